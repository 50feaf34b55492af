"""When workflow code fails, the workflow task fails and the workflow waits for a fix.

* Code that raises fails the task (``WORKFLOW_WORKER_UNHANDLED_FAILURE``, the error's message and
  stack); the workflow keeps running and finishes once the code is fixed.
* Code that no longer matches its history fails the task as ``NON_DETERMINISTIC_ERROR``, with the
  workflow source ``file:line`` that issued the unexpected command in the message.
* Exception types listed in ``workflow_failure_exception_types`` (of the worker or of
  ``@workflow.defn``) fail the workflow instead, ``NondeterminismError`` included.
* Unknown workflow types and determinism-guard violations fail the task, saying why.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from tempyral import workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.failed_cause_pb2 import WorkflowTaskFailedCause
from tempyral.client import Client, WorkflowFailureError, WorkflowHandle
from tempyral.exceptions import ApplicationError
from tempyral.worker import Worker

from .shared_workflows import ACTIVITIES, SHORT, greet

pytestmark = pytest.mark.integration

SWITCHES: dict[str, bool] = {"broken": False, "changed": False}


class CustomError(Exception):
    pass


@workflow.defn
class Raises:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.01)
        if SWITCHES["broken"]:
            raise RuntimeError("bug in workflow code")
        return "fixed"


@workflow.defn
class RaisesCustom:
    @workflow.run
    async def run(self) -> None:
        raise CustomError("a failure the worker was told to fail workflows with")


@workflow.defn(failure_exception_types=[KeyError])
class RaisesKeyError:
    @workflow.run
    async def run(self) -> None:
        raise KeyError("missing")


@workflow.defn
class Changing:
    def __init__(self) -> None:
        self.proceed = False

    @workflow.signal
    def go(self) -> None:
        self.proceed = True

    @workflow.run
    async def run(self) -> str:
        if SWITCHES["changed"]:
            await workflow.sleep(1)  # CHANGED LINE
        else:
            await workflow.execute_activity(greet, "first", start_to_close_timeout=SHORT)
        await workflow.wait_condition(lambda: self.proceed)
        return "done"


@workflow.defn
class ReadsTheClock:
    @workflow.run
    async def run(self) -> float:
        import time

        return time.time()


TEST_WORKFLOWS = [Raises, RaisesCustom, RaisesKeyError, Changing, ReadsTheClock]


@pytest.fixture(autouse=True)
def reset_switches() -> None:
    SWITCHES.update(broken=False, changed=False)


@pytest.fixture
async def worker_queue(client: Client) -> AsyncIterator[str]:
    """A worker that replays every task from history (no cache), as a restarted worker would."""
    task_queue = f"failures-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=TEST_WORKFLOWS,
        activities=ACTIVITIES,
        max_cached_workflows=0,
        workflow_failure_exception_types=[CustomError],
    ):
        yield task_queue


async def start(client: Client, task_queue: str, workflow: Any, **kwargs: Any) -> Any:
    return await client.start_workflow(
        workflow, id=f"wf-{uuid.uuid4()}", task_queue=task_queue, **kwargs
    )


async def activity_completed(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(300):
        history = await handle.fetch_history()
        if any(
            e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in history.events
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the activity of {handle.id} never completed")


async def task_failure(handle: WorkflowHandle[Any, Any], timeout: float = 15) -> Any:
    """The attributes of the first WorkflowTaskFailed event of the workflow."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        history = await handle.fetch_history()
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes
        await asyncio.sleep(0.1)
    raise AssertionError(f"no workflow task failure in {handle.id}")


async def test_code_error_fails_the_task_not_the_workflow(
    client: Client, worker_queue: str
) -> None:
    SWITCHES["broken"] = True
    records: list[Any] = []
    sink = logger.add(lambda m: records.append(m.record), level="WARNING")
    logger.enable("tempyral")
    try:
        handle = await start(client, worker_queue, Raises.run, task_timeout=timedelta(seconds=1))
        failed = await task_failure(handle)
    finally:
        logger.remove(sink)
        logger.disable("tempyral")

    assert (
        failed.cause
        == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
    )
    assert failed.failure.message == "bug in workflow code"
    assert 'raise RuntimeError("bug in workflow code")' in failed.failure.stack_trace
    assert failed.failure.application_failure_info.type == "RuntimeError"
    # The worker's log says so, with the workflow's details.
    [record] = [r for r in records if "Failing workflow task" in r["message"]]
    assert record["extra"]["workflow_id"] == handle.id
    assert record["extra"]["workflow_type"] == "Raises"
    # The workflow is not failed: once the code is fixed, the next attempt completes it.
    SWITCHES["broken"] = False
    assert await asyncio.wait_for(handle.result(), 20) == "fixed"


async def test_nondeterminism_fails_the_task_naming_the_source_line(
    client: Client, worker_queue: str
) -> None:
    handle = await start(client, worker_queue, Changing.run, task_timeout=timedelta(seconds=1))
    await activity_completed(handle)
    SWITCHES["changed"] = True  # as if a new version of the code were deployed
    await handle.signal(Changing.go)

    failed = await task_failure(handle)

    assert (
        failed.cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    )
    message = failed.failure.message
    assert "[TMPRL1100]" in message
    assert "ACTIVITY_TASK_SCHEDULED" in message
    assert "the code issued START_TIMER" in message
    line = next(
        number
        for number, text in enumerate(Path(__file__).read_text().splitlines(), start=1)
        if "# CHANGED LINE" in text
    )
    assert f"test_workflow_task_failures.py:{line}" in message
    # Deploying the old code again lets the workflow go on.
    SWITCHES["changed"] = False
    assert await asyncio.wait_for(handle.result(), 20) == "done"


async def test_listed_exception_types_fail_the_workflow(client: Client, worker_queue: str) -> None:
    by_worker = await start(client, worker_queue, RaisesCustom.run)
    by_definition = await start(client, worker_queue, RaisesKeyError.run)

    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(by_worker.result(), 20)
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "CustomError"
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(by_definition.result(), 20)
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "KeyError"


async def test_nondeterminism_can_fail_the_workflow(client: Client) -> None:
    task_queue = f"nondeterminism-fails-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Changing],
        activities=ACTIVITIES,
        max_cached_workflows=0,
        workflow_failure_exception_types=[workflow.NondeterminismError],
    ):
        handle = await start(client, task_queue, Changing.run)
        await activity_completed(handle)
        SWITCHES["changed"] = True
        await handle.signal(Changing.go)
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), 20)
    assert "[TMPRL1100]" in str(failed.value.cause)


async def test_unknown_workflow_type_fails_the_task(client: Client, worker_queue: str) -> None:
    handle = await client.start_workflow(
        "NoSuchWorkflow", id=f"wf-{uuid.uuid4()}", task_queue=worker_queue
    )

    failed = await task_failure(handle)
    await handle.terminate()

    assert "'NoSuchWorkflow' is not registered" in failed.failure.message
    assert "Raises" in failed.failure.message


async def test_determinism_guard_fails_the_task(client: Client, worker_queue: str) -> None:
    handle = await start(client, worker_queue, ReadsTheClock.run)

    failed = await task_failure(handle)
    await handle.terminate()

    assert "time.time()" in failed.failure.message
    assert failed.failure.application_failure_info.type == "RestrictedWorkflowAccessError"
