"""The in-process environment runs real workflows on a real Worker against the in-memory server,
skips time, and writes histories that replay: every run of every test here is replayed by the
``Replayer`` at teardown (the ``env`` fixture), so a history the server writes wrong fails the
test that wrote it."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import WorkflowFailureError
from tempyral.common import RetryPolicy
from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
)
from tempyral.replay import Replayer
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing._in_process import InProcessWorkflowEnvironment, start_in_process
from tempyral.worker import Worker

# -- workflows and activities -----------------------------------------------------------------


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@activity.defn
async def flaky(name: str) -> str:
    raise RuntimeError("the real flaky activity must not run when it is replaced")


@workflow.defn
class SleepThenGreet:
    @workflow.run
    async def run(self, name: str) -> str:
        await asyncio.sleep(timedelta(days=30).total_seconds())
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class Mailbox:
    def __init__(self) -> None:
        self.letters: list[str] = []

    @workflow.run
    async def run(self, expected: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.letters) >= expected)
        return self.letters

    @workflow.signal
    def post(self, letter: str) -> None:
        self.letters.append(letter)

    @workflow.query
    def count(self) -> int:
        return len(self.letters)


@workflow.defn
class RetriesFlaky:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            flaky,
            name,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(minutes=1), maximum_attempts=5),
        )


@workflow.defn
class GivesUp:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            flaky,
            "x",
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=2),
        )


@workflow.defn
class Child:
    @workflow.run
    async def run(self, value: int) -> int:
        await asyncio.sleep(3600)
        return value * 2


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_child_workflow(Child.run, value, id="child-of-parent") + 1


@workflow.defn
class FailingChildParent:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_child_workflow(Failing.run, id="failing-child")
        except ChildWorkflowError as err:
            return f"child failed: {err.cause}"
        return "child did not fail"


@workflow.defn
class Failing:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("broken on purpose", non_retryable=True)


@workflow.defn
class WaitsForever:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


@workflow.defn
class Countdown:
    @workflow.run
    async def run(self, left: int) -> int:
        await asyncio.sleep(60)
        if left == 0:
            return len(workflow.info().continued_run_id or "")
        workflow.continue_as_new(left - 1)


@workflow.defn
class TimerRace:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(hours=2))
        except asyncio.TimeoutError:
            return "timed out after two hours"
        return "condition met"


WORKFLOWS = [
    SleepThenGreet,
    Mailbox,
    RetriesFlaky,
    GivesUp,
    Child,
    Parent,
    FailingChildParent,
    Failing,
    WaitsForever,
    Countdown,
    TimerRace,
]


@pytest.fixture
async def env() -> AsyncIterator[InProcessWorkflowEnvironment]:
    """An in-process environment; every run it made is replayed at teardown."""
    environment = await start_in_process()
    try:
        yield environment
    finally:
        await environment.shutdown()
    replayer = Replayer(workflows=WORKFLOWS)
    histories = environment.workflow_histories()
    results = await replayer.replay_workflows(histories, raise_on_replay_failure=False)
    assert not results.replay_failures, f"histories that do not replay: {results.replay_failures}"


def worker(env: InProcessWorkflowEnvironment, **kwargs: object) -> Worker:
    # A given build id spares the worker hashing every loaded module once per process (~1 s),
    # a cost of the worker, not of the environment measured here.
    return Worker(
        env.client,
        task_queue="tq",
        workflows=WORKFLOWS,
        build_id="in-process-tests",
        **kwargs,  # type: ignore[arg-type]
    )


def event_types(env: InProcessWorkflowEnvironment, workflow_id: str) -> list[str]:
    return [EventType.Name(event.event_type) for event in env.history_of(workflow_id)]


# -- tests --------------------------------------------------------------------------------------


# Sleeping for real would outlast this timeout (30 days; 3 minutes of backoff below); skipping
# takes well under a second, so even a loaded machine finishes far inside it.
@pytest.mark.timeout(60)
async def test_a_thirty_day_sleep_is_skipped_on_the_environment_clock(
    env: InProcessWorkflowEnvironment,
) -> None:
    before = await env.get_current_time()
    async with worker(env, activities=[greet]):
        result = await env.client.execute_workflow(
            SleepThenGreet.run, "ada", id="sleeper", task_queue="tq"
        )
    assert result == "hello ada"
    # Thirty days passed on the environment's clock; the test's timeout proves
    # they were skipped, not slept: no wall-clock window for a loaded machine to miss.
    assert await env.get_current_time() - before >= timedelta(days=30)
    assert event_types(env, "sleeper")[:8] == [
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
        "EVENT_TYPE_WORKFLOW_TASK_STARTED",
        "EVENT_TYPE_WORKFLOW_TASK_COMPLETED",
        "EVENT_TYPE_TIMER_STARTED",
        "EVENT_TYPE_TIMER_FIRED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
        "EVENT_TYPE_WORKFLOW_TASK_STARTED",
    ]


async def test_signals_and_queries_reach_the_workflow(env: InProcessWorkflowEnvironment) -> None:
    async with worker(env):
        handle = await env.client.start_workflow(Mailbox.run, 2, id="mailbox", task_queue="tq")
        await handle.signal(Mailbox.post, "first")
        assert await handle.query(Mailbox.count) == 1
        await handle.signal(Mailbox.post, "second")
        assert await handle.result() == ["first", "second"]
        # Queries still work once the workflow has closed (the worker replays it).
        assert await handle.query(Mailbox.count) == 2


@pytest.mark.timeout(60)
async def test_a_fake_replaces_the_activity_and_retries_skip_their_backoff(
    env: InProcessWorkflowEnvironment,
) -> None:
    attempts: list[str] = []

    def fake(name: str) -> str:
        attempts.append(name)
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)} fails")
        return f"fake result for {name}"

    env.on_activity(flaky, fake)
    before = await env.get_current_time()
    async with worker(env, activities=[flaky]):
        result = await env.client.execute_workflow(
            RetriesFlaky.run, "bo", id="flaky", task_queue="tq"
        )
    assert result == "fake result for bo"
    assert attempts == ["bo", "bo", "bo"]
    # Backoffs of one and two minutes were honoured on the environment's clock (and skipped:
    # the test's timeout is shorter than sleeping through them).
    assert await env.get_current_time() - before >= timedelta(minutes=3)
    started_events = [
        event.activity_task_started_event_attributes
        for event in env.history_of("flaky")
        if event.HasField("activity_task_started_event_attributes")
    ]
    assert [attributes.attempt for attributes in started_events] == [3]
    assert "attempt 2 fails" in started_events[0].last_failure.message


async def test_an_activity_out_of_attempts_fails_the_workflow(
    env: InProcessWorkflowEnvironment,
) -> None:
    env.on_activity("flaky", lambda _name: (_ for _ in ()).throw(ValueError("always")))
    async with worker(env):
        with pytest.raises(WorkflowFailureError) as failure:
            await env.client.execute_workflow(GivesUp.run, id="gives-up", task_queue="tq")
    assert isinstance(failure.value.cause, ActivityError)
    assert "always" in str(failure.value.cause.cause)


async def test_child_workflows_run_and_report_to_their_parent(
    env: InProcessWorkflowEnvironment,
) -> None:
    async with worker(env):
        assert await env.client.execute_workflow(Parent.run, 20, id="parent", task_queue="tq") == 41
        failed = await env.client.execute_workflow(
            FailingChildParent.run, id="failing-parent", task_queue="tq"
        )
    assert failed == "child failed: broken on purpose"
    assert "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED" in event_types(env, "parent")
    child = env.history_of("child-of-parent")[0].workflow_execution_started_event_attributes
    assert child.parent_workflow_execution.workflow_id == "parent"


async def test_cancel_and_terminate(env: InProcessWorkflowEnvironment) -> None:
    async with worker(env):
        handle = await env.client.start_workflow(WaitsForever.run, id="cancelled", task_queue="tq")
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        handle = await env.client.start_workflow(WaitsForever.run, id="terminated", task_queue="tq")
        await handle.terminate(reason="enough")
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, TerminatedError)
        assert str(failure.value.cause) == "enough"
        description = await handle.describe()
        assert description.status is not None
        assert description.status.name == "TERMINATED"


async def test_continue_as_new_is_followed_to_the_last_run(
    env: InProcessWorkflowEnvironment,
) -> None:
    async with worker(env):
        handle = await env.client.start_workflow(Countdown.run, 3, id="countdown", task_queue="tq")
        assert await handle.result() == len(handle.result_run_id or "") > 0
    runs = [history for history in env.workflow_histories() if history.workflow_id == "countdown"]
    assert len(runs) == 4
    last_start = runs[-1].events[0].workflow_execution_started_event_attributes
    assert last_start.continued_execution_run_id == runs[-2].run_id


async def test_a_timeout_wins_when_nothing_happens_and_time_is_skipped(
    env: InProcessWorkflowEnvironment,
) -> None:
    async with worker(env):
        result = await env.client.execute_workflow(TimerRace.run, id="race", task_queue="tq")
    assert result == "timed out after two hours"


async def test_time_is_not_skipped_while_nobody_waits(env: InProcessWorkflowEnvironment) -> None:
    async with worker(env):
        handle = await env.client.start_workflow(Mailbox.run, 1, id="patient", task_queue="tq")
        before = await env.get_current_time()
        await asyncio.sleep(0.1)
        assert await env.get_current_time() - before < timedelta(seconds=5)
        await env.sleep(timedelta(days=2))
        assert await env.get_current_time() - before >= timedelta(days=2)
        await handle.signal(Mailbox.post, "late but accepted")
        assert await handle.result() == ["late but accepted"]


async def test_a_duplicate_workflow_id_is_refused(env: InProcessWorkflowEnvironment) -> None:
    from tempyral.exceptions import WorkflowAlreadyStartedError

    await env.client.start_workflow(WaitsForever.run, id="only-once", task_queue="nobody")
    with pytest.raises(WorkflowAlreadyStartedError):
        await env.client.start_workflow(WaitsForever.run, id="only-once", task_queue="nobody")


async def test_an_unsupported_call_names_itself(env: InProcessWorkflowEnvironment) -> None:
    with pytest.raises(RPCError) as error:
        await env.client.count_workflows()
    assert error.value.status == RPCStatusCode.UNIMPLEMENTED
    assert "CountWorkflowExecutions" in error.value.message
    assert "start_local" in error.value.message


async def test_a_stopped_worker_is_freed_without_the_cycle_collector(
    env: InProcessWorkflowEnvironment,
) -> None:
    # A worker per test is the in-process environment's pattern: the stopped one must go when
    # the last reference does, not wait for a cyclic collection (which costs every test).
    stopped = worker(env, activities=[greet])
    async with stopped:
        result = await env.client.execute_workflow(
            SleepThenGreet.run, "freed", id="freed", task_queue="tq"
        )
    assert result == "hello freed"
    parts = {
        "workflow worker": weakref.ref(stopped._workflow_worker),
        "activity worker": weakref.ref(stopped._activity_worker),
    }
    gc.collect()
    gc.disable()
    try:
        del stopped
        assert [name for name, part in parts.items() if part() is not None] == []
    finally:
        gc.enable()
