"""Poison workflows: code that raises ``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit`` or
a ``BaseException`` of its own fails its workflow task (the error's type, message and stack in
history, a warning in the log) and the worker goes on serving every other workflow. Activities
raising the same fail their attempt, as they always did."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.failed_cause_pb2 import WorkflowTaskFailedCause
from tempyral.client import Client, WorkflowHandle
from tempyral.common import RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError
from tempyral.worker import Worker

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


class Poison(BaseException):
    """A BaseException of the user's own."""


KINDS: dict[str, type[BaseException]] = {
    "SystemExit": SystemExit,
    "KeyboardInterrupt": KeyboardInterrupt,
    "GeneratorExit": GeneratorExit,
    "Poison": Poison,
}


@workflow.defn
class PoisonWorkflow:
    @workflow.run
    async def run(self, kind: str) -> None:
        await workflow.sleep(0.01)
        raise KINDS[kind](f"poisoned by {kind}")  # POISON LINE


@workflow.defn
class Healthy:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(0.01)
        return f"still serving {name}"


@activity.defn
async def exits(kind: str) -> None:
    raise KINDS[kind](f"activity poisoned by {kind}")


@workflow.defn
class CallsPoisonActivity:
    @workflow.run
    async def run(self, kind: str) -> str:
        try:
            await workflow.execute_activity(
                exits,
                kind,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            cause = err.cause
            return cause.type or "" if isinstance(cause, ApplicationError) else repr(cause)
        return "no error"


@pytest.fixture
async def task_queue(client: Client) -> AsyncIterator[str]:
    queue = f"poison-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[PoisonWorkflow, Healthy, CallsPoisonActivity],
        activities=[exits],
    ):
        yield queue


async def first_task_failure(handle: WorkflowHandle[Any, Any], timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in (await handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes
        await asyncio.sleep(0.1)
    raise AssertionError(f"no workflow task failure in {handle.id}")


async def test_poison_workflows_fail_their_tasks_and_the_worker_stays_up(
    client: Client, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Standard logging hears it with no set-up at all: nothing here enables tempyral's logger.
    caplog.set_level(logging.WARNING, logger="tempyral")
    handles = {
        kind: await client.start_workflow(
            PoisonWorkflow.run,
            kind,
            id=f"poison-{kind}-{uuid.uuid4()}",
            task_queue=task_queue,
            task_timeout=timedelta(seconds=1),
        )
        for kind in KINDS
    }
    failures = {kind: await first_task_failure(h) for kind, h in handles.items()}
    # Each poison pill failed its own task, and the same worker serves a healthy workflow.
    healthy = await client.execute_workflow(
        Healthy.run,
        "me",
        id=f"healthy-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=30),
    )
    assert healthy == "still serving me"
    for kind, failed in failures.items():
        assert (
            failed.cause
            == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
        )
        assert failed.failure.application_failure_info.type == kind
        assert f"poisoned by {kind}" in failed.failure.message
        assert "# POISON LINE" in failed.failure.stack_trace
        logged = [
            r
            for r in caplog.records
            if r.getMessage().startswith("Failing workflow task")
            and getattr(r, "workflow_id", None) == handles[kind].id
        ]
        assert logged, f"no log line for the {kind} task failure"
    # The workflows stay open, waiting for fixed code, as after any task failure.
    for handle in handles.values():
        assert (await handle.describe()).status.name == "RUNNING"
        await handle.terminate("test over")


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_activities_raising_base_exceptions_fail_their_attempt(
    client: Client, task_queue: str, kind: str
) -> None:
    result = await client.execute_workflow(
        CallsPoisonActivity.run,
        kind,
        id=f"poison-activity-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=30),
    )
    assert result == kind
