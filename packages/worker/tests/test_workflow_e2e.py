"""Workflows run end to end on a tempyral worker against the real dev server.

Every workflow feature of the engine, through a real ``Worker``: activities (succeeding, failing,
retried, cancelled), timers, child workflows, signals in and out, queries (attached to a task and
legacy), external cancellation, continue-as-new, cancellation by a client, ``wait_condition``,
asyncio primitives, workflow failure versus workflow task failure. Each test has a task queue and
a worker of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from tempyral.exceptions import ApplicationError, CancelledError
from tempyral.worker import Worker

from .shared_workflows import (
    ACTIVITIES,
    WORKFLOWS,
    Activities,
    ContinueAsNew,
    DynamicSignals,
    ExternalCanceller,
    Fails,
    KitchenSink,
    Parent,
    SignalSender,
    SignalTarget,
    Sleeper,
    Timers,
)

pytestmark = pytest.mark.integration


class Env:
    def __init__(self, client: Client, task_queue: str, worker: Worker) -> None:
        self.client = client
        self.task_queue = task_queue
        self.worker = worker

    async def start(self, workflow: Any, *args: Any, **kwargs: Any) -> WorkflowHandle[Any, Any]:
        kwargs.setdefault("id", f"wf-{uuid.uuid4()}")
        return await self.client.start_workflow(
            workflow, args=list(args), task_queue=self.task_queue, **kwargs
        )

    async def result(self, handle: WorkflowHandle[Any, Any], timeout: float = 30) -> Any:
        return await asyncio.wait_for(handle.result(), timeout)


@pytest.fixture
async def env(client: Client) -> AsyncIterator[Env]:
    task_queue = f"workflows-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES
    ) as worker:
        yield Env(client, task_queue, worker)


async def events_of(handle: WorkflowHandle[Any, Any], kind: str) -> list[Any]:
    history = await handle.fetch_history()
    number = EventType.Value(f"EVENT_TYPE_{kind}")
    return [event for event in history.events if event.event_type == number]


async def wait_for_event(handle: WorkflowHandle[Any, Any], kind: str, timeout: float = 15) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await events_of(handle, kind)
        if found:
            return found[-1]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {kind} event in {handle.id} within {timeout} s")
        await asyncio.sleep(0.1)


async def test_activities(env: Env) -> None:
    handle = await env.start(Activities.run)

    assert await env.result(handle) == [
        "Hello, tempyral!",
        "caught: no luck",
        "succeeded on attempt 3",
        "cancelled: CancelledError",
    ]


async def test_timers_fire_and_cancel(env: Env) -> None:
    handle = await env.start(Timers.run)

    elapsed = await env.result(handle)

    assert elapsed >= 0.6
    assert len(await events_of(handle, "TIMER_FIRED")) == 3
    assert len(await events_of(handle, "TIMER_CANCELED")) == 1


async def test_child_workflows(env: Env) -> None:
    handle = await env.start(Parent.run)

    assert await env.result(handle) == ["child a done", "failed: child b failed"]


async def test_signals_in_and_queries(env: Env) -> None:
    handle = await env.start(SignalTarget.run, 2)
    await handle.signal(SignalTarget.add, "one")
    assert await handle.query(SignalTarget.seen) in (["one"], [])
    await handle.signal("add", "two")

    assert await env.result(handle) == ["one", "two", "timeout"]
    assert await handle.query(SignalTarget.seen) == ["one", "two", "timeout"]
    with pytest.raises(WorkflowQueryFailedError, match="this query always fails"):
        await handle.query(SignalTarget.broken)


async def test_signal_out_to_another_workflow(env: Env) -> None:
    target = await env.start(SignalTarget.run, 1)
    sender = await env.start(SignalSender.run, target.id)

    assert await env.result(sender) == "sent"
    assert await env.result(target) == ["from-workflow", "timeout"]


async def test_dynamic_signals(env: Env) -> None:
    handle = await env.start(DynamicSignals.run)
    await handle.signal("first", "a")
    await handle.signal("second", args=["b", "c"])

    assert await env.result(handle) == ["first:1", "second:2"]


async def test_external_cancel(env: Env) -> None:
    target = await env.start(Sleeper.run)
    await wait_for_event(target, "TIMER_STARTED")
    canceller = await env.start(ExternalCanceller.run, target.id)

    assert await env.result(canceller) == "cancel requested"
    with pytest.raises(WorkflowFailureError) as failed:
        await env.result(target)
    assert isinstance(failed.value.cause, CancelledError)
    # The cleanup activity ran before the workflow reported its cancellation.
    assert len(await events_of(target, "ACTIVITY_TASK_COMPLETED")) == 1


async def test_cancellation_by_a_client(env: Env) -> None:
    handle = await env.start(Sleeper.run)
    await wait_for_event(handle, "TIMER_STARTED")
    await handle.cancel()

    with pytest.raises(WorkflowFailureError) as failed:
        await env.result(handle)
    assert isinstance(failed.value.cause, CancelledError)
    assert await events_of(handle, "WORKFLOW_EXECUTION_CANCELED")


async def test_continue_as_new(env: Env) -> None:
    handle = await env.start(ContinueAsNew.run, 0)

    assert await env.result(handle) == 2
    first_run = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    assert await events_of(first_run, "WORKFLOW_EXECUTION_CONTINUED_AS_NEW")


async def test_asyncio_primitives(env: Env) -> None:
    handle = await env.start(KitchenSink.run)
    await handle.signal(KitchenSink.push, "pushed")

    assert await env.result(handle) == [
        "Hello, x!",
        "Hello, y!",
        "Hello, z!",
        "first done: 1",
        "pushed",
    ]


async def test_workflow_failure(env: Env) -> None:
    handle = await env.start(Fails.run)

    with pytest.raises(WorkflowFailureError) as failed:
        await env.result(handle)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "workflow gave up"
    assert list(cause.details) == [{"detail": 1}]
    # A workflow failure is not a task failure.
    assert not await events_of(handle, "WORKFLOW_TASK_FAILED")
