"""Workflow updates end to end on a tempyral worker against the real dev server.

The update scenarios of the golden folder (``replay/tests/golden/updates``: accepted sync and
async, rejected by a validator, failed, async-accepted with ``get_update_handle``, deduplicated by
id, dynamic and run-time handlers, update-with-start) run here on a tempyral worker, driven by the
tempyral client; the histories it wrote then replay in the official ``Replayer`` (a separate
process). Single cases check what a user sees: a rejection leaves no history, a handler that
raises a non-failure error fails the task (and a fixed worker completes the update), a failed
update leaves the run going, and a worker killed mid-update and restarted completes it once.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from tempyral.exceptions import ApplicationError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).resolve().parents[2] / "replay" / "tests" / "golden" / "updates"
E = EventType


def _load(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


WF = _load("golden_update_workflows", GOLDEN / "workflows.py")
SCENARIOS = _load("golden_update_scenarios", GOLDEN / "scenarios.py")


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@pytest.fixture
async def queue(client: Client) -> AsyncIterator[str]:
    task_queue = f"updates-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[
            WF.Counter,
            WF.Dynamic,
            WF.StartedWithUpdate,
            WF.UpdateAfterQuietTask,
            WF.QuietChild,
            Broken,
            Calls,
        ],
        activities=[greet],
    ):
        yield task_queue


async def test_golden_scenarios_run_on_tempyral_and_replay_in_the_official_sdk(
    client: Client, queue: str, tmp_path: Path
) -> None:
    handles = await SCENARIOS.drive(client, WF, queue)
    index = {}
    for name, handle in handles.items():
        history = await handle.fetch_history()
        (tmp_path / f"{name}.json").write_text(history.to_json())
        index[name] = handle.id
    (tmp_path / "index.json").write_text(json.dumps(index))
    # Values the workflows computed are the official run's (asserted inside the scenarios too).
    assert await handles["update_accepted"].result() == {
        "total": 3,
        "seen": ["add:add-1", "Hello, updates!"],
    }
    process = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(GOLDEN / "record.py"), "--tempyral-histories", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    results = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    assert {r["name"] for r in results} == set(index)
    assert [r for r in results if r["failure"]] == []


async def test_a_rejected_update_leaves_no_history(client: Client, queue: str) -> None:
    handle = await client.start_workflow(WF.Counter.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
    # The server drops the task of a rejected update when history ends with a task completion
    # (a speculative task): here, right after the first task, as the official recording does.
    assert await handle.query(WF.Counter.current) == 0
    before = len((await handle.fetch_history()).events)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(WF.Counter.add, -5)
    assert "must not be negative" in str(caught.value.cause)
    assert len((await handle.fetch_history()).events) == before
    assert await handle.execute_update(WF.Counter.add, 1) == 1
    await handle.execute_update(WF.Counter.finish)
    assert (await handle.result())["total"] == 1


async def test_async_accepted_update_and_its_handle(client: Client, queue: str) -> None:
    handle = await client.start_workflow(WF.Counter.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
    update = await handle.start_update(
        WF.Counter.add_later, 4, id="later", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    history = await handle.fetch_history()
    kinds = [e.event_type for e in history.events]
    assert E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in kinds
    assert await handle.get_update_handle("later").result() == 4
    assert await update.result() == 4
    # The same id again: the recorded outcome, the handler not run twice.
    assert await handle.execute_update(WF.Counter.add_later, 4, id="later") == 4
    await handle.execute_update(WF.Counter.finish)
    assert (await handle.result())["total"] == 4


@workflow.defn
class Broken:
    """An update handler that raises a non-failure error fails the workflow task, not the update."""

    fixed = False

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "done"

    @workflow.update
    def poke(self) -> str:
        if not Broken.fixed:
            raise RuntimeError("a bug in the handler")
        self.done = True
        return "poked"


async def test_an_update_handler_bug_fails_the_task_until_fixed(client: Client, queue: str) -> None:
    Broken.fixed = False
    handle = await client.start_workflow(Broken.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
    update = asyncio.create_task(handle.execute_update(Broken.poke))
    for _ in range(100):
        history = await handle.fetch_history()
        failed = [e for e in history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        if failed:
            break
        await asyncio.sleep(0.1)
    assert failed, "the task did not fail"
    assert "a bug in the handler" in failed[0].workflow_task_failed_event_attributes.failure.message
    Broken.fixed = True
    assert await asyncio.wait_for(update, 30) == "poked"
    assert await handle.result() == "done"


@workflow.defn
class Calls:
    """An update that fails as a failure (the update fails, the run goes on)."""

    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: "stop" in self.signals)
        return self.signals

    @workflow.signal
    def note(self, value: str) -> None:
        self.signals.append(value)

    @workflow.update
    def refuse(self) -> None:
        raise ApplicationError("refused", non_retryable=True)


async def test_a_failed_update_leaves_the_run_going(client: Client, queue: str) -> None:
    handle = await client.start_workflow(Calls.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(Calls.refuse)
    assert isinstance(caught.value.cause, ApplicationError)
    assert caught.value.cause.message == "refused"
    await handle.signal(Calls.note, "stop")
    assert await handle.result() == ["stop"]


async def test_update_handlers_run_on_a_worker_restarted_mid_update(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    """A worker killed while an update waits on a timer; a new worker replays the accepted update
    from history and completes it, once."""
    task_queue = f"updates-restart-{uuid.uuid4()}"
    first = workflow_worker_process("tempyral", tempyral_target, task_queue)
    await first.wait_ready()
    handle = await client.start_workflow(
        "UpdateCounter", id=f"wf-{uuid.uuid4()}", task_queue=task_queue
    )
    update = await handle.start_update(
        "slow_add", 2, id="slow", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    first.kill()
    second = workflow_worker_process("tempyral", tempyral_target, task_queue)
    await second.wait_ready()
    assert await asyncio.wait_for(update.result(), 60) == 2
    await handle.signal("finish")
    assert await asyncio.wait_for(handle.result(), 60) == 2
    history = await handle.fetch_history()
    completed_type = E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    completed = [e for e in history.events if e.event_type == completed_type]
    assert len(completed) == 1
