"""Record the patching/upsert/metadata golden histories under the OFFICIAL ``temporalio`` worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/patching/record.py [NAME ...]

With names (``summaries``, ``reset``...: the scenarios below), only those are recorded again and
the other histories are kept.

Like ``golden/record.py`` (whose helpers it reuses), it starts a dev server, aliases
``tempyral.workflow`` and ``tempyral.common`` to the official modules, runs ``workflows.py`` on an
official worker and writes each history with the official ``WorkflowHistory.to_json()``. The reset
scenario resets a finished run to its first workflow task through the service API.
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

import temporalio.common
import temporalio.workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-patching"


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


shared = _load(HERE.parent / "record.py", "golden_record")  # wait_started, save's format


def load_workflows_under_official_sdk() -> Any:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    return _load(HERE / "workflows.py", "golden_patching_workflows")


async def save(handle: WorkflowHandle[Any, Any], name: str, index: dict[str, str]) -> None:
    history = await handle.fetch_history()
    (OUT / f"{name}.json").write_text(history.to_json() + "\n")
    index[name] = handle.id
    print(f"  {name}: {len(history.events)} events")


async def record(client: Client, wf: Any, only: set[str]) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    index: dict[str, str] = {}

    def wanted(name: str) -> bool:
        return not only or name in only

    async def start(fn: Any, *args: Any, name: str, **kwargs: Any) -> WorkflowHandle[Any, Any]:
        return await client.start_workflow(
            fn, args=list(args), id=f"golden-{name}-{run}", task_queue=TASK_QUEUE, **kwargs
        )

    for name, fn in (
        ("patched", wf.Patched.run),
        ("deprecated", wf.Deprecated.run),
        ("upserts", wf.Upserts.run),
        ("history_hints", wf.HistoryHints.run),
        ("summaries", wf.Summaries.run),
    ):
        if not wanted(name):
            continue
        handle = await start(fn, name=name)
        await handle.result()
        await save(handle, name, index)

    if wanted("carries_over"):
        await record_carry_over(start, client, wf, index)
    if wanted("mid_flight"):
        await record_mid_flight(start, wf, index)
    if wanted("reset"):
        await record_reset(start, client, wf, index)
    return index


async def record_carry_over(start: Any, client: Client, wf: Any, index: dict[str, str]) -> None:
    carry = await start(
        wf.CarriesOver.run,
        True,
        name="carries_over",
        memo={"origin": "client"},
        search_attributes=temporalio.common.TypedSearchAttributes(
            [temporalio.common.SearchAttributePair(wf.KEYWORD, "from-start")]
        ),
    )
    await carry.result()
    first_run = client.get_workflow_handle(carry.id, run_id=carry.result_run_id)
    await save(first_run, "carries_over_0", index)
    await save(client.get_workflow_handle(carry.id), "carries_over_1", index)


async def record_mid_flight(start: Any, wf: Any, index: dict[str, str]) -> None:
    for version in (1, 2):
        wf.MidFlight.patched_code = version == 2
        mid = await start(wf.MidFlight.run, name=f"mid_flight_v{version}")
        await shared.wait_started(mid, "WORKFLOW_TASK_COMPLETED")
        await mid.signal(wf.MidFlight.proceed)
        await mid.result()
        await save(mid, f"mid_flight_v{version}", index)
    wf.MidFlight.patched_code = False


async def record_reset(start: Any, client: Client, wf: Any, index: dict[str, str]) -> None:
    base = await start(wf.Resettable.run, name="reset")
    await shared.wait_started(base, "WORKFLOW_TASK_COMPLETED")
    await base.signal(wf.Resettable.proceed)
    await base.result()
    await save(client.get_workflow_handle(base.id, run_id=base.result_run_id), "reset_base", index)
    events = (await base.fetch_history()).events
    first_completed = next(
        e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    reset = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=base.id, run_id=base.result_run_id),
            reason="golden reset",
            workflow_task_finish_event_id=first_completed,
            request_id=str(uuid.uuid4()),
        )
    )
    reset_run = client.get_workflow_handle(base.id, run_id=reset.run_id)
    await reset_run.result()
    await save(reset_run, "reset_run", index)


async def main() -> None:
    from tempyral.testing import DevServer

    only = set(sys.argv[1:])
    wf = load_workflows_under_official_sdk()
    OUT.mkdir(exist_ok=True)
    index_file = HERE / "index.json"
    kept: dict[str, str] = json.loads(index_file.read_text()) if only else {}
    if not only:
        for old in OUT.glob("*.json"):
            old.unlink()
    attributes = {"CustomKeywordField": "Keyword", "CustomIntField": "Int"}
    async with DevServer(search_attributes=attributes) as server:
        client = await Client.connect(server.target)
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=wf.WORKFLOWS,
            workflow_runner=UnsandboxedWorkflowRunner(),
            max_cached_workflows=0,  # every task replays: the mid-flight switch is a redeploy
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            index = kept | await record(client, wf, only)
    index_file.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
