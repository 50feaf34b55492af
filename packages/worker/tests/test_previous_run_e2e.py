"""On a real server and a tempyral worker: a retried run sees the failure of the attempt before
(``workflow.get_last_failure()``), and a scheduled run sees the result of the run before
(``workflow.get_last_completion_result()``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tempyral import workflow
from tempyral.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from tempyral.common import RetryPolicy
from tempyral.exceptions import ApplicationError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration


@workflow.defn
class FailsOnce:
    @workflow.run
    async def run(self) -> list[Any]:
        if workflow.info().attempt == 1:
            raise ApplicationError("first attempt fails", type="FirstAttempt")
        failure = workflow.get_last_failure()
        assert isinstance(failure, ApplicationError)
        return [workflow.info().attempt, failure.message, failure.type]


@workflow.defn
class Counts:
    @workflow.run
    async def run(self) -> list[Any]:
        had = workflow.has_last_completion_result()
        previous = workflow.get_last_completion_result(list)
        return [(previous[0] if previous else 0) + 1, had, workflow.get_last_failure() is None]


@pytest.fixture
async def task_queue(client: Client) -> AsyncIterator[str]:
    queue = f"previous-run-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[FailsOnce, Counts]):
        yield queue


async def test_a_retried_run_sees_the_failure_before(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        FailsOnce.run,
        id=f"fails-once-{uuid.uuid4()}",
        task_queue=task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=2),
    )
    assert await handle.result() == [2, "first attempt fails", "FirstAttempt"]


async def _runs(schedule: ScheduleHandle, count: int) -> list[str]:
    """Workflow ids of the schedule's first ``count`` runs (waiting until they started)."""
    for _ in range(300):
        actions = (await schedule.describe()).info.recent_actions
        if len(actions) >= count:
            ids = []
            for recent in actions[:count]:
                assert isinstance(recent.action, ScheduleActionExecutionStartWorkflow)
                ids.append(recent.action.workflow_id)
            return ids
        await asyncio.sleep(0.1)
    raise AssertionError(f"the schedule never started {count} runs")


async def test_a_scheduled_run_sees_the_result_before(client: Client, task_queue: str) -> None:
    schedule = await client.create_schedule(
        f"counts-{uuid.uuid4()}",
        Schedule(
            action=ScheduleActionStartWorkflow(
                Counts.run, id=f"counts-run-{uuid.uuid4()}", task_queue=task_queue
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
        ),
    )
    try:
        await schedule.trigger()
        [first] = await _runs(schedule, 1)
        assert await client.get_workflow_handle(first).result() == [1, False, True]
        await asyncio.sleep(2)  # the scheduler hears of the completion from the server
        await schedule.trigger()
        _, second = await _runs(schedule, 2)
        assert await client.get_workflow_handle(second).result() == [2, True, True]
    finally:
        await schedule.delete()
