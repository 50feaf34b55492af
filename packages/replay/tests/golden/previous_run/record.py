"""Record the previous-run and randomness golden histories under the OFFICIAL ``temporalio``
worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/previous_run/record.py

Like ``golden/patching/record.py``, it starts a dev server, aliases ``tempyral.workflow`` and
``tempyral.exceptions`` to the official modules, runs ``workflows.py`` on an official worker and
writes each history with the official ``WorkflowHistory.to_json()``. A retried run carries the
first attempt's failure; a schedule triggered twice carries the first run's result to the second;
the reset scenarios reset a finished run to its first and to its last workflow task through
the service API.
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

import temporalio.exceptions
import temporalio.workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
    WorkflowHandle,
)
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-previous-run"


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_workflows_under_official_sdk() -> Any:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    return _load(HERE / "workflows.py", "golden_previous_run_workflows")


async def save(handle: WorkflowHandle[Any, Any], name: str, index: dict[str, str]) -> None:
    history = await handle.fetch_history()
    (OUT / f"{name}.json").write_text(history.to_json() + "\n")
    index[name] = handle.id
    print(f"  {name}: {len(history.events)} events")


async def completed_tasks(handle: WorkflowHandle[Any, Any], count: int) -> None:
    """Poll history until it has ``count`` completed workflow tasks."""
    for _ in range(200):
        events = (await handle.fetch_history()).events
        done = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
        if len(done) >= count:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{handle.id} never completed {count} workflow tasks")


async def scheduled_runs(client: Client, schedule_id: str, count: int) -> list[str]:
    """The workflow ids of the schedule's first ``count`` runs, once each has finished."""
    handle = client.get_schedule_handle(schedule_id)
    for _ in range(600):
        actions = (await handle.describe()).info.recent_actions
        if len(actions) >= count:
            ids = [a.action.workflow_id for a in actions[:count]]  # type: ignore[attr-defined]
            for workflow_id in ids:
                await client.get_workflow_handle(workflow_id).result()
            return ids
        await asyncio.sleep(0.1)
    raise TimeoutError(f"schedule {schedule_id} did not start {count} runs")


async def record(client: Client, wf: Any) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    index: dict[str, str] = {}

    retried = await client.start_workflow(
        wf.Retried.run,
        id=f"golden-retried-{run}",
        task_queue=TASK_QUEUE,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=2),
    )
    await retried.result()
    await save(client.get_workflow_handle(retried.id), "retried", index)

    schedule_id = f"golden-tally-{run}"
    schedule = await client.create_schedule(
        schedule_id,
        Schedule(
            action=ScheduleActionStartWorkflow(
                wf.Tally.run, id=f"golden-tally-run-{run}", task_queue=TASK_QUEUE
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
        ),
    )
    await schedule.trigger()
    await scheduled_runs(client, schedule_id, 1)
    await asyncio.sleep(2)  # the scheduler learns of the completion from the server
    await schedule.trigger()
    first, second = await scheduled_runs(client, schedule_id, 2)
    await schedule.delete()
    await save(client.get_workflow_handle(first), "tally_first", index)
    await save(client.get_workflow_handle(second), "tally_second", index)

    base = await client.start_workflow(
        wf.Reseeded.run, id=f"golden-reseeded-{run}", task_queue=TASK_QUEUE
    )
    for count in (1, 2):  # each signal in a task of its own
        await completed_tasks(base, count)
        await base.signal(wf.Reseeded.proceed)
    await base.result()
    await save(client.get_workflow_handle(base.id, run_id=base.result_run_id), "reseed_base", index)
    events = (await base.fetch_history()).events
    completed = [
        e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    # Reset to the first task (all code runs again, from the new seed), to the task of the first
    # signal (the second signal is reapplied: the code after it draws from the new seed, and the
    # callback registered at the start hears of it), and to the last task.
    for name, finish_event_id in (
        ("reseed_reset_first", completed[0]),
        ("reseed_reset_middle", completed[1]),
        ("reseed_reset_last", completed[-1]),
    ):
        reset = await client.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(
                    workflow_id=base.id, run_id=base.result_run_id
                ),
                reason="golden reset",
                workflow_task_finish_event_id=finish_event_id,
                request_id=str(uuid.uuid4()),
            )
        )
        reset_run = client.get_workflow_handle(base.id, run_id=reset.run_id)
        await reset_run.result()
        await save(reset_run, name, index)
    return index


async def main() -> None:
    from tempyral.testing import DevServer

    wf = load_workflows_under_official_sdk()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    async with DevServer() as server:
        client = await Client.connect(server.target)
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=wf.WORKFLOWS,
            workflow_runner=UnsandboxedWorkflowRunner(),
            max_cached_workflows=0,  # every task replays, as tempyral's replayer will
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            index = await record(client, wf)
    (HERE / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
