"""A worker process running ``shared_workflows.py`` under either SDK.

    python workflow_worker.py --sdk tempyral|official --target HOST:PORT --task-queue QUEUE
        [--max-cached N] [--graceful-ms N] [--workflows FILE]

``--workflows`` names another file of this folder's parent laid out like ``shared_workflows.py``
(``WORKFLOWS``, ``ACTIVITIES``, and optionally ``INTERCEPTORS`` for the worker).

With ``--sdk official`` the file's ``tempyral.workflow``/``activity``/``common``/``exceptions``
imports are aliased to the official ``temporalio`` modules first (the official SDK then runs the
very same source; it is never imported by tempyral code). Prints ``READY`` once its worker runs;
SIGTERM shuts it down gracefully, as does closing its stdin; it prints ``STOPPED`` and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent / "shared_workflows.py"


def load_shared(sdk: str, path: Path = SHARED) -> Any:
    if sdk == "official":
        import temporalio.activity
        import temporalio.common
        import temporalio.converter
        import temporalio.exceptions
        import temporalio.worker
        import temporalio.workflow

        sys.modules["tempyral.workflow"] = temporalio.workflow
        sys.modules["tempyral.activity"] = temporalio.activity
        sys.modules["tempyral.common"] = temporalio.common
        sys.modules["tempyral.exceptions"] = temporalio.exceptions
        sys.modules["tempyral.converter"] = temporalio.converter
        sys.modules["tempyral.worker"] = temporalio.worker
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def make_worker(sdk: str, args: argparse.Namespace, client: Any, shared: Any) -> Any:
    options: dict[str, Any] = {
        "task_queue": args.task_queue,
        "workflows": shared.WORKFLOWS,
        "activities": shared.ACTIVITIES,
        "max_cached_workflows": args.max_cached,
        "graceful_shutdown_timeout": timedelta(milliseconds=args.graceful_ms),
        "interceptors": getattr(shared, "INTERCEPTORS", []),
    }
    if sdk == "official":
        from temporalio.worker import UnsandboxedWorkflowRunner, Worker

        return Worker(client, workflow_runner=UnsandboxedWorkflowRunner(), **options)
    from tempyral.worker import Worker as TempyralWorker

    return TempyralWorker(client, **options)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdk", choices=["tempyral", "official"], required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--max-cached", type=int, default=1000)
    parser.add_argument("--graceful-ms", type=int, default=0)
    parser.add_argument("--workflows", type=Path, default=SHARED)
    args = parser.parse_args()
    # A bare name is a file beside shared_workflows.py; a path is taken as it is.
    workflows = args.workflows if args.workflows.is_absolute() else SHARED.parent / args.workflows
    shared = load_shared(args.sdk, workflows)
    if args.sdk == "official":
        from temporalio.client import Client

        client: Any = await Client.connect(args.target, identity=f"official-{args.task_queue}")
    else:
        from tempyral.client import Client as TempyralClient

        client = await TempyralClient.connect(args.target, identity=f"tempyral-{args.task_queue}")
    worker = make_worker(args.sdk, args, client, shared)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    running = asyncio.create_task(worker.run())
    for _ in range(1000):
        if running.done() or getattr(worker, "is_running", True):
            break
        await asyncio.sleep(0.01)
    print("READY", flush=True)
    await asyncio.wait([running, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED")
    if not running.done():
        await worker.shutdown()
    await running
    print("STOPPED", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
