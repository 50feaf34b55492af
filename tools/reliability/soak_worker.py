"""The soak's worker process: ``Collect`` workflows on a worker of either SDK.

    python soak_worker.py --sdk tempyral|official --target HOST:PORT --task-queue QUEUE

With ``--sdk official`` the ``tempyral`` workflow API is aliased to ``temporalio``'s before the
workflow is defined, so both SDKs run the same source. Prints ``READY`` once polling; the soak
SIGKILLs it at random moments and starts another.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any


def define(sdk: str) -> Any:
    if sdk == "official":
        import temporalio.workflow

        sys.modules["tempyral.workflow"] = temporalio.workflow
    path = Path(__file__).resolve().parent / "soak_workflows.py"
    spec = importlib.util.spec_from_file_location("soak_workflows", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_workflows"] = module
    spec.loader.exec_module(module)
    return module.Collect


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdk", choices=["tempyral", "official"], required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    collect = define(args.sdk)
    if args.sdk == "official":
        from temporalio.client import Client
        from temporalio.worker import UnsandboxedWorkflowRunner, Worker

        client: Any = await Client.connect(args.target)
        worker: Any = Worker(
            client,
            task_queue=args.task_queue,
            workflows=[collect],
            workflow_runner=UnsandboxedWorkflowRunner(),
        )
    else:
        from tempyral.client import Client as TempyralClient
        from tempyral.worker import Worker as TempyralWorker

        client = await TempyralClient.connect(args.target)
        worker = TempyralWorker(client, task_queue=args.task_queue, workflows=[collect])
    async with worker:
        print("READY", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
