"""Poison workflows against a worker of either SDK: does the worker survive, is each failure in
history, and does it go on serving a healthy workflow?

    python tools/reliability/poison.py --sdk tempyral|official

The worker runs in its own process (``soak_worker.py --workflows poison``) against a dev server
of its own. For each poison kind (``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit``, a
custom ``BaseException``) the report says whether a WorkflowTaskFailed event with that error
appeared, and whether the worker process was still alive and completed ``Healthy`` afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from tempyral.api.enums.v1.event_type_pb2 import EVENT_TYPE_WORKFLOW_TASK_FAILED
from tempyral.client import Client
from tempyral.testing import DevServer

HERE = Path(__file__).resolve().parent
KINDS = ["SystemExit", "KeyboardInterrupt", "GeneratorExit", "Poison"]


def _soak() -> Any:
    spec = importlib.util.spec_from_file_location("reliability_soak", HERE / "soak.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability_soak"] = module
    spec.loader.exec_module(module)
    return module


async def task_failure(client: Client, workflow_id: str, timeout: float) -> str | None:
    """The failure message of the workflow's first failed task, or None within ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        for event in history.events:
            if event.event_type == EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failure = event.workflow_task_failed_event_attributes.failure
                return f"{failure.application_failure_info.type or '?'}: {failure.message}"
        await asyncio.sleep(0.2)
    return None


async def poison(sdk: str, timeout: float = 15) -> dict[str, Any]:
    soak = _soak()
    results: dict[str, Any] = {"sdk": sdk, "kinds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        async with DevServer() as server:
            client = await Client.connect(server.target)
            for kind in KINDS:
                # A fresh worker per kind: one poison must not hide what the next one does.
                queue = f"poison-{uuid.uuid4()}"
                log = Path(tmp) / f"{kind}.log"
                worker = soak.WorkerProcess(sdk, server.target, queue, log, workflows="poison")
                await worker.start()
                try:
                    workflow_id = f"poison-{kind}-{uuid.uuid4()}"
                    await client.start_workflow(
                        "PoisonWorkflow", kind, id=workflow_id, task_queue=queue
                    )
                    failed = await task_failure(client, workflow_id, timeout)
                    alive = not worker.exited
                    healthy = None
                    if alive:
                        try:
                            healthy = await asyncio.wait_for(
                                client.execute_workflow(
                                    "Healthy", id=f"healthy-{uuid.uuid4()}", task_queue=queue
                                ),
                                timeout,
                            )
                        except asyncio.TimeoutError:
                            healthy = None
                    results["kinds"][kind] = {
                        "task_failure_in_history": failed,
                        "worker_alive": alive and not worker.exited,
                        "healthy_workflow_completed": healthy == "still serving",
                        "logged": kind in log.read_text() if log.exists() else False,
                    }
                finally:
                    worker.kill()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", choices=["tempyral", "official"], default="tempyral")
    args = parser.parse_args()
    quiet = logging.getLogger("tempyral")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    print(json.dumps(asyncio.run(poison(args.sdk)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
