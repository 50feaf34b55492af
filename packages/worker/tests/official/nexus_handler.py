"""An official ``temporalio`` worker serving ``nexus_services.TempyralNexusService``.

Run as a separate process (the official SDK never shares a process with the code under test):

    python nexus_handler.py --target HOST:PORT --task-queue QUEUE

The service's source is the one the tempyral worker serves (``nexus_services.py``), imported
with ``tempyral.*`` aliased to the official modules, so a test can call the same operations on
both SDKs' handlers and compare what the caller gets. Prints ``READY``; stops when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent / "nexus_services.py"


def load_shared() -> Any:
    import temporalio.activity
    import temporalio.client
    import temporalio.exceptions
    import temporalio.nexus
    import temporalio.workflow

    sys.modules["tempyral.activity"] = temporalio.activity
    sys.modules["tempyral.client"] = temporalio.client
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    sys.modules["tempyral.nexus"] = temporalio.nexus
    sys.modules["tempyral.workflow"] = temporalio.workflow
    spec = importlib.util.spec_from_file_location("nexus_services", SHARED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nexus_services"] = module
    spec.loader.exec_module(module)
    return module


async def main() -> None:
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    shared = load_shared()
    client = await Client.connect(args.target)
    async with Worker(
        client,
        task_queue=args.task_queue,
        nexus_service_handlers=[shared.TempyralNexusService()],
        workflows=[shared.Greet, shared.WaitForever],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        print("READY", flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The official core can abort at interpreter exit: leave without finalization.
    os._exit(0)
