"""Local activities run by a tempyral worker against the real dev server: they succeed, are retried
in the worker, time out, fail, are cancelled; a long one keeps the workflow task alive with task
heartbeats; a backoff over the local retry threshold becomes a timer in history; the worker never
runs more at once than ``max_concurrent_local_activities``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowHandle
from tempyral.common import RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError, FailureError, TimeoutError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

SHORT = timedelta(seconds=10)


class Calls:
    """What the activities saw (reset per test)."""

    attempts: dict[str, list[int]] = {}  # noqa: RUF012 - shared on purpose
    endings: dict[str, str] = {}  # noqa: RUF012 - shared on purpose
    running = 0
    most_running = 0


@activity.defn
async def greet(name: str) -> str:
    info = activity.info()
    assert info.is_local
    return f"Hello, {name}!"


@activity.defn
async def flaky(key: str, succeed_on: int) -> str:
    attempt = activity.info().attempt
    Calls.attempts.setdefault(key, []).append(attempt)
    if attempt < succeed_on:
        raise ApplicationError(f"attempt {attempt} failed")
    return f"succeeded on attempt {attempt}"


@activity.defn
async def slow(seconds: float) -> str:
    Calls.running += 1
    Calls.most_running = max(Calls.most_running, Calls.running)
    try:
        await asyncio.sleep(seconds)
    finally:
        Calls.running -= 1
    return "slow done"


@activity.defn
async def notes_its_end(key: str, seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        Calls.endings[key] = "cancelled"
        raise
    Calls.endings[key] = "finished"
    return "finished"


@activity.defn
async def fail_always() -> None:
    raise ApplicationError("always fails", type="Broken", non_retryable=True)


@workflow.defn
class LocalGreeting:
    @workflow.run
    async def run(self, name: str) -> list[str]:
        first = await workflow.execute_local_activity(greet, name, start_to_close_timeout=SHORT)
        second = await workflow.execute_local_activity(
            greet, "again", schedule_to_close_timeout=SHORT
        )
        return [first, second]


@workflow.defn
class LocalFlaky:
    @workflow.run
    async def run(self, key: str, succeed_on: int, initial_ms: int, threshold_s: float) -> str:
        result: str = await workflow.execute_local_activity(
            flaky,
            args=[key, succeed_on],
            start_to_close_timeout=SHORT,
            local_retry_threshold=timedelta(seconds=threshold_s),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=initial_ms), maximum_attempts=5
            ),
        )
        return result


@workflow.defn
class LocalOutcomes:
    """How a local activity ends, as the workflow code sees it."""

    @workflow.run
    async def run(self, kind: str) -> str:
        try:
            if kind == "timeout":
                await workflow.execute_local_activity(
                    slow,
                    5.0,
                    start_to_close_timeout=timedelta(milliseconds=300),
                    retry_policy=RetryPolicy(maximum_attempts=2),
                )
            elif kind == "schedule_to_close":
                await workflow.execute_local_activity(
                    slow, 5.0, schedule_to_close_timeout=timedelta(milliseconds=700)
                )
            elif kind == "fail":
                await workflow.execute_local_activity(fail_always, start_to_close_timeout=SHORT)
            else:
                handle = workflow.start_local_activity(
                    slow,
                    30.0,
                    start_to_close_timeout=SHORT * 6,
                    cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                )
                await workflow.sleep(0.5)
                handle.cancel()
                await handle
        except FailureError as err:
            # As with the official SDK, a failure is raised as is; a timeout or a cancel comes
            # wrapped in an ActivityError.
            cause = err.cause if isinstance(err, ActivityError) else err
            detail = ""
            if isinstance(cause, TimeoutError):
                detail = cause.type.name if cause.type else ""
            elif isinstance(cause, ApplicationError):
                detail = f"{cause.type}: {cause.message}"
            return f"{type(cause).__name__} {detail}".strip()
        return "not reached"


@workflow.defn
class LocalCancelled:
    """Cancels a running local activity with the given cancellation type, then waits for
    ``finish`` (the run stays on the worker while the activity may still run)."""

    def __init__(self) -> None:
        self.outcome = "running"
        self.finished = False

    @workflow.query
    def seen(self) -> str:
        return self.outcome

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    @workflow.run
    async def run(self, key: str, cancellation_type: str) -> str:
        handle = workflow.start_local_activity(
            notes_its_end,
            args=[key, 5.0],
            start_to_close_timeout=SHORT,
            cancellation_type=workflow.ActivityCancellationType[cancellation_type],
        )
        # The timer goes out with the task's first heartbeat (the activity holds the task):
        # the code runs again, and cancels, while the activity still runs.
        await workflow.sleep(0.1)
        handle.cancel()
        try:
            await handle
            self.outcome = "not cancelled"
        except ActivityError as err:
            self.outcome = type(err.cause).__name__
        await workflow.wait_condition(lambda: self.finished)
        return self.outcome


@workflow.defn
class LocalLong:
    @workflow.run
    async def run(self, seconds: float, count: int) -> list[str]:
        handles = [
            workflow.start_local_activity(slow, seconds, start_to_close_timeout=SHORT * 3)
            for _ in range(count)
        ]
        return [await handle for handle in handles]


WORKFLOWS = [LocalGreeting, LocalFlaky, LocalOutcomes, LocalCancelled, LocalLong]
ACTIVITIES = [greet, flaky, slow, notes_its_end, fail_always]


class Env:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def run(self, workflow: Any, *args: Any, **kwargs: Any) -> WorkflowHandle[Any, Any]:
        handle = await self.client.start_workflow(
            workflow,
            args=list(args),
            id=f"local-{uuid.uuid4()}",
            task_queue=self.task_queue,
            **kwargs,
        )
        await asyncio.wait_for(handle.result(), 60)
        return handle


@pytest.fixture
async def env(client: Client) -> AsyncIterator[Env]:
    Calls.attempts = {}
    Calls.endings = {}
    Calls.running = Calls.most_running = 0
    task_queue = f"local-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        max_concurrent_local_activities=2,
    ):
        yield Env(client, task_queue)


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events]


async def test_local_activities_succeed_and_are_recorded_as_markers(env: Env) -> None:
    handle = await env.run(LocalGreeting.run, "tempyral")
    assert await handle.result() == ["Hello, tempyral!", "Hello, again!"]
    kinds = await event_types(handle)
    # Both ran inside the first workflow task: no activity events, two markers.
    assert kinds.count("WORKFLOW_TASK_COMPLETED") == 1
    assert kinds.count("MARKER_RECORDED") == 2
    assert not [k for k in kinds if k.startswith("ACTIVITY_TASK")]


async def test_a_local_activity_is_retried_in_the_worker(env: Env) -> None:
    handle = await env.run(LocalFlaky.run, "retried", 3, 100, 60.0)
    assert await handle.result() == "succeeded on attempt 3"
    assert Calls.attempts["retried"] == [1, 2, 3]
    kinds = await event_types(handle)
    assert "TIMER_STARTED" not in kinds
    assert kinds.count("MARKER_RECORDED") == 1


async def test_a_backoff_over_the_retry_threshold_becomes_a_timer(env: Env) -> None:
    handle = await env.run(LocalFlaky.run, "timer", 3, 1500, 1.0)
    assert await handle.result() == "succeeded on attempt 3"
    assert Calls.attempts["timer"] == [1, 2, 3]
    kinds = await event_types(handle)
    # Each failed attempt is a marker carrying its backoff, then a timer; the last succeeds.
    assert kinds.count("MARKER_RECORDED") == 3
    assert kinds.count("TIMER_FIRED") == 2


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("timeout", "TimeoutError START_TO_CLOSE"),
        ("schedule_to_close", "TimeoutError SCHEDULE_TO_CLOSE"),
        ("fail", "ApplicationError Broken: always fails"),
        ("cancel", "CancelledError"),
    ],
)
async def test_how_a_local_activity_ends_reaches_the_workflow(
    env: Env, kind: str, expected: str
) -> None:
    handle = await env.run(LocalOutcomes.run, kind)
    assert await handle.result() == expected


@pytest.mark.parametrize(
    ("cancellation_type", "activity_end"),
    [("ABANDON", "finished"), ("TRY_CANCEL", "cancelled")],
)
async def test_a_cancelled_local_activity_resolves_at_once_and_is_abandoned_or_cancelled(
    env: Env, eventually: Any, cancellation_type: str, activity_end: str
) -> None:
    """ABANDON and TRY_CANCEL both give the workflow its CancelledError at once, while the 5 s
    activity still runs, and record a cancelled marker; ABANDON leaves the activity running to
    its end (it no longer holds the workflow task), TRY_CANCEL cancels it. A 2 s task timeout:
    the task heartbeats after 1.6 s."""
    key = f"{cancellation_type}-{uuid.uuid4()}"
    handle = await env.client.start_workflow(
        LocalCancelled.run,
        args=[key, cancellation_type],
        id=f"local-{uuid.uuid4()}",
        task_queue=env.task_queue,
        task_timeout=timedelta(seconds=2),
    )
    seen = "running"
    for _ in range(100):
        seen = await handle.query(LocalCancelled.seen)
        if seen != "running":
            break
        await asyncio.sleep(0.1)
    assert seen == "CancelledError"
    if cancellation_type == "ABANDON":
        assert key not in Calls.endings  # the workflow did not wait for it
    await eventually(lambda: key in Calls.endings, timeout=10)
    assert Calls.endings[key] == activity_end
    await handle.signal(LocalCancelled.finish)
    assert await asyncio.wait_for(handle.result(), 30) == "CancelledError"
    history = await handle.fetch_history()
    [marker] = [
        e.marker_recorded_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert marker.marker_name == "core_local_activity"
    assert marker.failure.HasField("canceled_failure_info")


async def test_a_long_local_activity_heartbeats_the_workflow_task(env: Env) -> None:
    """With a 2 s task timeout, 3.5 s of local activity keeps completing the task at 80% of it
    with no commands; the run is never timed out and retried."""
    handle = await env.run(LocalLong.run, 3.5, 1, task_timeout=timedelta(seconds=2))
    assert await handle.result() == ["slow done"]
    kinds = await event_types(handle)
    assert "WORKFLOW_TASK_TIMED_OUT" not in kinds
    assert "WORKFLOW_TASK_FAILED" not in kinds
    assert kinds.count("WORKFLOW_TASK_COMPLETED") >= 3
    assert kinds.count("MARKER_RECORDED") == 1


async def test_local_activity_slots_bound_how_many_run_at_once(env: Env) -> None:
    handle = await env.run(LocalLong.run, 0.5, 5)
    assert await handle.result() == ["slow done"] * 5
    assert Calls.most_running == 2


async def test_an_unregistered_local_activity_fails_the_task_clearly(client: Client) -> None:
    task_queue = f"local-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=[slow]):
        handle = await client.start_workflow(
            LocalGreeting.run, "x", id=f"local-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(150):
            if "WORKFLOW_TASK_FAILED" in await event_types(handle):
                break
            await asyncio.sleep(0.1)
        history = await handle.fetch_history()
        failed = next(
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        )
        message = failed.workflow_task_failed_event_attributes.failure.message
        assert "Activity function greet is not registered on this worker" in message
        await handle.terminate()
