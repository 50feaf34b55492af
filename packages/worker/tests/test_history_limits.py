"""A run that reaches the server's history limits ends as it ends under the official SDK.

Neither SDK does anything about the limits: after each change to a run, the Temporal server
itself terminates a run whose history is past ``limit.historyCount.error`` events or
``limit.historySize.error`` bytes (reason "Workflow history count exceeds limit." / "Workflow
history size exceeds limit.", identity ``history-service``). What the SDK does is pass on the
hint the server puts in each ``WorkflowTaskStarted`` event once the history is past
``limit.historyCount.suggestContinueAsNew`` / ``limit.historySize.suggestContinueAsNew``
(``is_continue_as_new_suggested()``; the ``.warn`` limits only make the server log), and keep
working when a run it holds is terminated under it.

The dev server here has those limits lowered; ``GrowHistory`` (``limits_workflows.py``) runs on
a tempyral worker in-process and on an official worker in a process of its own, and both runs
must end the same way, with histories tempyral's ``Replayer`` replays.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.workflow_pb2 import WorkflowExecutionStatus
from tempyral.client import Client, WorkflowHandle, WorkflowHistory
from tempyral.testing import DevServer
from tempyral.worker import Replayer, Worker

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
WORKFLOWS_FILE = HERE / "limits_workflows.py"

COUNT_SUGGEST, COUNT_ERROR = 20, 60
SIZE_SUGGEST, SIZE_ERROR = 6_000, 12_000
PADDING = 1_000  # summary characters per timer: the size limit comes long before the count one


def _load_workflows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("limits_workflows", WORKFLOWS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["limits_workflows"] = module
    spec.loader.exec_module(module)
    return module


wf = _load_workflows()


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    limits = {
        "limit.historyCount.suggestContinueAsNew": COUNT_SUGGEST,
        "limit.historyCount.warn": COUNT_SUGGEST,
        "limit.historyCount.error": COUNT_ERROR,
        "limit.historySize.suggestContinueAsNew": SIZE_SUGGEST,
        "limit.historySize.warn": SIZE_SUGGEST,
        "limit.historySize.error": SIZE_ERROR,
    }
    with DevServer(dynamic_config=limits) as dev_server:
        yield dev_server


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await Client.connect(server.target)


@asynccontextmanager
async def _running_worker(
    sdk: str, client: Client, target: str, task_queue: str, start_process: Any
) -> AsyncIterator[None]:
    if sdk == "tempyral":
        async with Worker(client, task_queue=task_queue, workflows=wf.WORKFLOWS):
            yield
        return
    process = start_process(sdk, target, task_queue, "--workflows", str(WORKFLOWS_FILE))
    await process.wait_ready()
    yield
    # The worker shut down gracefully (the official process may still crash in its interpreter's
    # teardown, after this line: its exit code is not the worker's doing).
    process.terminate()
    assert "STOPPED" in process.output(), process.output()


class Outcome:
    """What a user sees of a run that outgrew its history."""

    def __init__(
        self, status: int, history: WorkflowHistory, progress: dict[str, Any], after: int
    ) -> None:
        self.status = status
        self.history = history
        self.progress = progress
        self.next_run_result = after
        last = history.events[-1]
        self.last_event = EventType.Name(last.event_type)
        terminated = last.workflow_execution_terminated_event_attributes
        self.reason = terminated.reason
        self.identity = terminated.identity
        self.first_suggested_at = next(
            (
                e.event_id
                for e in history.events
                if e.workflow_task_started_event_attributes.suggest_continue_as_new
            ),
            None,
        )


async def _outgrow(
    sdk: str, padding: int, client: Client, server: DevServer, start_process: Any
) -> Outcome:
    """Run GrowHistory until the server stops it, then a short run on the same worker."""
    task_queue = f"limits-{sdk}-{uuid.uuid4()}"
    async with _running_worker(sdk, client, server.target, task_queue, start_process):
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            "GrowHistory", padding, id=f"grow-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(300):
            described = await handle.describe()
            if described.status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
                break
            await asyncio.sleep(0.1)
        # The worker replays the closed run to answer: what the code saw of the hints.
        progress = await handle.query("progress")
        # The worker goes on: a run under the limits started after it completes there.
        short = await client.start_workflow(
            "GrowHistory", 0, id=f"short-{uuid.uuid4()}", task_queue=task_queue
        )
        await short.signal("stop")
        after = await asyncio.wait_for(short.result(), 30)
    return Outcome(described.status, await handle.fetch_history(), progress, after)


@pytest.mark.parametrize(
    ("padding", "reason"),
    [
        (0, "Workflow history count exceeds limit."),
        (PADDING, "Workflow history size exceeds limit."),
    ],
    ids=["count", "size"],
)
async def test_a_run_past_the_history_limit_is_terminated_as_under_the_official_sdk(
    padding: int,
    reason: str,
    client: Client,
    server: DevServer,
    workflow_worker_process: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        ours = await _outgrow("tempyral", padding, client, server, workflow_worker_process)
    official = await _outgrow("official", padding, client, server, workflow_worker_process)

    for outcome in (ours, official):
        assert outcome.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED
        assert outcome.last_event == "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"
        assert (outcome.reason, outcome.identity) == (reason, "history-service")
        assert outcome.next_run_result >= 1
        # The code saw the hint from the first task the server marked, and not before.
        assert outcome.first_suggested_at is not None
        assert outcome.progress["suggested_at"] == outcome.first_suggested_at
    if padding:
        for outcome in (ours, official):
            assert outcome.progress["largest_size"] >= SIZE_SUGGEST
            assert len(outcome.history.events) < COUNT_ERROR
    else:
        assert ours.first_suggested_at == official.first_suggested_at
        assert ours.first_suggested_at is not None
        assert ours.first_suggested_at >= COUNT_SUGGEST
        assert [e.event_type for e in ours.history.events] == [
            e.event_type for e in official.history.events
        ]
        assert ours.progress == {**official.progress, "largest_size": ours.progress["largest_size"]}
    # When the limit is crossed by the worker's own completion, the server answers it with
    # INVALID_ARGUMENT and the reason; tempyral, like the official core, logs it and evicts the run.
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("tempyral")]
    assert all(f"INVALID_ARGUMENT: {reason}" in message for message in warnings), warnings

    replayer = Replayer(workflows=wf.WORKFLOWS)
    for outcome in (ours, official):
        replayed = await replayer.replay_workflow(outcome.history)
        assert replayed.replay_failure is None


async def _continue_when_suggested(
    sdk: str, client: Client, server: DevServer, start_process: Any
) -> tuple[list[int], list[WorkflowHistory]]:
    task_queue = f"suggested-{sdk}-{uuid.uuid4()}"
    async with _running_worker(sdk, client, server.target, task_queue, start_process):
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            "ContinueWhenSuggested", [], id=f"suggested-{uuid.uuid4()}", task_queue=task_queue
        )
        result = await asyncio.wait_for(handle.result(), 60)
    histories = []
    run_id = handle.first_execution_run_id
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = last.new_execution_run_id
    return result, histories


async def test_a_run_continues_as_new_when_the_server_suggests_it_as_under_the_official_sdk(
    client: Client, server: DevServer, workflow_worker_process: Any
) -> None:
    ours, our_histories = await _continue_when_suggested(
        "tempyral", client, server, workflow_worker_process
    )
    official, official_histories = await _continue_when_suggested(
        "official", client, server, workflow_worker_process
    )
    # Each run went on until the first workflow task the server marked, then continued as new.
    assert ours == official
    assert len(ours) == 2
    assert all(length >= COUNT_SUGGEST for length in ours)
    for history, seen_at in zip(our_histories, ours, strict=False):
        marked = [
            e.event_id
            for e in history.events
            if e.workflow_task_started_event_attributes.suggest_continue_as_new
        ]
        assert marked[0] == seen_at
    assert [len(h.events) for h in our_histories] == [len(h.events) for h in official_histories]
    replayer = Replayer(workflows=wf.WORKFLOWS)
    for history in (*our_histories, *official_histories):
        replayed = await replayer.replay_workflow(history)
        assert replayed.replay_failure is None
