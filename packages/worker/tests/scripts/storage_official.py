"""The official SDK's side of the external storage tests, in its own process.

python storage_official.py worker --target HOST:PORT --task-queue QUEUE --directory DIR
    runs ``storage_workflows.py`` on an official worker whose converter stores payloads of
    ``THRESHOLD`` bytes and more in DIR; prints READY, stops when stdin closes.
python storage_official.py start --target HOST:PORT --task-queue QUEUE --directory DIR --id ID
    starts LargePayloadWorkflow with a large input from an official client with that storage,
    waits for its result and prints its length and first characters.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent / "storage_workflows.py"


def load_shared() -> Any:
    import temporalio.activity
    import temporalio.converter
    import temporalio.workflow

    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.activity"] = temporalio.activity
    sys.modules["tempyral.converter"] = temporalio.converter
    spec = importlib.util.spec_from_file_location("storage_workflows", SHARED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["storage_workflows"] = module
    spec.loader.exec_module(module)
    return module


async def connect(args: argparse.Namespace, shared: Any) -> Any:
    from temporalio.api.common.v1 import Payload
    from temporalio.client import Client
    from temporalio.converter import DataConverter, ExternalStorage

    storage = ExternalStorage(
        drivers=[shared.FileDriver(Path(args.directory), Payload)],
        payload_size_threshold=shared.THRESHOLD,
    )
    return await Client.connect(args.target, data_converter=DataConverter(external_storage=storage))


async def run_worker(args: argparse.Namespace, shared: Any) -> None:
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    worker = Worker(
        await connect(args, shared),
        task_queue=args.task_queue,
        workflows=shared.WORKFLOWS,
        activities=shared.ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    async with worker:
        print("READY", flush=True)
        await stop.wait()


async def start(args: argparse.Namespace, shared: Any) -> None:
    client = await connect(args, shared)
    result = await client.execute_workflow(
        "LargePayloadWorkflow", "o" * shared.BIG, id=args.id, task_queue=args.task_queue
    )
    print(f"RESULT {len(result)} {result[:20]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["worker", "start"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--directory", required=True)
    parser.add_argument("--id")
    args = parser.parse_args()
    shared = load_shared()
    asyncio.run(run_worker(args, shared) if args.mode == "worker" else start(args, shared))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(code)
