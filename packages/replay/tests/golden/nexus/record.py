"""Record the Nexus golden histories under the OFFICIAL ``temporalio`` SDK (caller and handler).

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/nexus/record.py

It starts a real dev server (``tempyral.testing.DevServer``, with the dynamic config that records
Nexus cancel-request outcomes), creates the endpoint through the OperatorService, runs the
official handler (``handler.py``) and an official caller worker running ``workflows.py`` (its
``tempyral`` imports aliased to the official modules), drives one run per scenario and writes
each history with the official ``WorkflowHistory.to_json()``, plus ``index.json`` (workflow ids)
and ``results.json`` (what each run returned).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import temporalio.exceptions
import temporalio.workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).parent
OUT = HERE / "histories"
CALLER_QUEUE = "golden-nexus-caller"
HANDLER_QUEUE = "golden-nexus-handler"
# What a dev server needs for every Nexus scenario here (cancel-request outcome events included).
DYNAMIC_CONFIG = {
    "component.nexusoperations.recordCancelRequestCompletionEvents": True,
    "system.refreshNexusEndpointsMinWait": "0s",
    "history.enableSignalWithStartFromWorkflow": True,  # workflow.signal_with_start_workflow
}
CANCELLATION_TYPES = ("ABANDON", "TRY_CANCEL", "WAIT_REQUESTED", "WAIT_COMPLETED")


def load_workflows_under_official_sdk() -> Any:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    spec = importlib.util.spec_from_file_location("golden_nexus_workflows", HERE / "workflows.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_nexus_workflows"] = module
    spec.loader.exec_module(module)
    return module


def scenarios(wf: Any) -> list[tuple[str, Any, str]]:
    """(history name, workflow run method, argument) for every golden run."""
    return [
        ("sync_result", wf.SyncResult.run, "golden"),
        ("async_result", wf.AsyncResult.run, "golden"),
        ("handler_failure", wf.HandlerFailure.run, "golden"),
        ("handler_error", wf.HandlerError.run, "golden"),
        ("async_failure", wf.AsyncFailure.run, "golden"),
        *[(f"cancelled_{kind.lower()}", wf.Cancelled.run, kind) for kind in CANCELLATION_TYPES],
        ("cancelled_before_sent", wf.CancelledBeforeSent.run, "golden"),
        ("timed_out", wf.TimedOut.run, "golden"),
        ("signal_with_start", wf.SignalWithStart.run, "golden-mailbox"),
    ]


async def record(client: Client, wf: Any) -> tuple[dict[str, str], dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    index: dict[str, str] = {}
    results: dict[str, str] = {}
    for name, fn, arg in scenarios(wf):
        handle = await client.start_workflow(
            fn, arg, id=f"golden-nexus-{name}-{run}", task_queue=CALLER_QUEUE
        )
        results[name] = await handle.result()
        history = await handle.fetch_history()
        (OUT / f"{name}.json").write_text(history.to_json() + "\n")
        index[name] = handle.id
        print(f"  {name}: {len(history.events)} events: {results[name]}", flush=True)
    # The workflow that signal-with-start started: its start carries the signal.
    mailbox = client.get_workflow_handle("golden-mailbox")
    results["mailbox"] = await mailbox.result()
    (OUT / "mailbox.json").write_text((await mailbox.fetch_history()).to_json() + "\n")
    index["mailbox"] = mailbox.id
    return index, results


async def main() -> None:
    from tempyral.testing import DevServer

    wf = load_workflows_under_official_sdk()
    sys.path.insert(0, str(HERE))
    import handler

    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    async with DevServer(dynamic_config=DYNAMIC_CONFIG) as server:
        client = await Client.connect(server.target)
        async with (
            handler.handler_worker(client, HANDLER_QUEUE),
            Worker(
                client,
                task_queue=CALLER_QUEUE,
                workflows=wf.WORKFLOWS,
                workflow_runner=UnsandboxedWorkflowRunner(),
                graceful_shutdown_timeout=timedelta(seconds=1),
            ),
        ):
            index, results = await record(client, wf)
    (HERE / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # the official core can abort at interpreter exit
