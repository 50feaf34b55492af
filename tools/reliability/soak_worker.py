"""The reliability tools' worker process: ``soak_workflows.py`` (or ``--workflows poison``:
``poison_workflows.py``) on a worker of either SDK.

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


def define(sdk: str, name: str) -> Any:
    if sdk == "official":
        import temporalio.workflow

        sys.modules["tempyral.workflow"] = temporalio.workflow
    path = Path(__file__).resolve().parent / f"{name}_workflows.py"
    spec = importlib.util.spec_from_file_location(f"{name}_workflows", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_workflows"] = module
    spec.loader.exec_module(module)
    return module.WORKFLOWS


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdk", choices=["tempyral", "official"], required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--workflows", choices=["soak", "poison"], default="soak")
    args = parser.parse_args()
    workflows = define(args.sdk, args.workflows)
    if args.sdk == "official":
        from temporalio.client import Client
        from temporalio.worker import UnsandboxedWorkflowRunner, Worker

        client: Any = await Client.connect(args.target)
        worker: Any = Worker(
            client,
            task_queue=args.task_queue,
            workflows=workflows,
            workflow_runner=UnsandboxedWorkflowRunner(),
        )
    else:
        from tempyral.client import Client as TempyralClient
        from tempyral.worker import Worker as TempyralWorker

        client = await TempyralClient.connect(args.target)
        worker = TempyralWorker(client, task_queue=args.task_queue, workflows=workflows)
    async with worker:
        print("READY", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
