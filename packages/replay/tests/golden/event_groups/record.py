"""Record the event-group golden history under the OFFICIAL ``temporalio`` worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/event_groups/record.py

Like ``golden/patching/record.py``, it starts a dev server and runs ``workflows.py`` (with
``tempyral.workflow`` aliased to the official module) on an official worker; the workflow is
signalled and updated once it waits for them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import temporalio.workflow
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-event-groups"


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


shared = _load(HERE.parent / "record.py", "golden_record")  # wait_started


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


async def main() -> None:
    from tempyral.testing import DevServer

    sys.modules["tempyral.workflow"] = temporalio.workflow
    wf = _load(HERE / "workflows.py", "golden_event_group_workflows")
    OUT.mkdir(exist_ok=True)
    async with DevServer() as server:
        client = await Client.connect(server.target)
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=wf.WORKFLOWS,
            activities=[greet],
            workflow_runner=UnsandboxedWorkflowRunner(),
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            workflow_id = f"golden-event-groups-{uuid.uuid4().hex[:8]}"
            handle = await client.start_workflow(
                wf.Grouped.run, id=workflow_id, task_queue=TASK_QUEUE
            )
            await shared.wait_started(handle, "TIMER_CANCELED")
            await handle.signal(wf.Grouped.poke)
            assert await handle.execute_update(wf.Grouped.mark, "noted") == "noted"
            print(f"  grouped: {await handle.result()}")
        history = await handle.fetch_history()
    (OUT / "grouped.json").write_text(history.to_json() + "\n")
    (HERE / "index.json").write_text(json.dumps({"grouped": handle.id}, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
