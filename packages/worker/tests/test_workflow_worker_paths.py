"""The workflow worker's other paths: the cache bound, queries on both paths, eager starts and
eager activities, updates (rejected, as the engine does not run them), and replay-silent logs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest

from tempyral import workflow
from tempyral.client import Client, WorkflowUpdateFailedError
from tempyral.exceptions import ApplicationError
from tempyral.worker import Worker
from tempyral.worker._client import worker_workflow_service

from .shared_workflows import ACTIVITIES, SHORT, WORKFLOWS, Activities, SignalTarget, greet

pytestmark = pytest.mark.integration


@workflow.defn
class Chatty:
    @workflow.run
    async def run(self) -> str:
        workflow.logger.info("chatty starts")
        greeting = await workflow.execute_activity(greet, "log", start_to_close_timeout=SHORT)
        await workflow.sleep(0.01)
        workflow.logger.info("chatty got %s", greeting)
        return greeting


@workflow.defn
class Counter:
    def __init__(self) -> None:
        self.count = 0

    @workflow.signal
    def bump(self) -> None:
        self.count += 1

    @workflow.run
    async def run(self, target: int) -> int:
        await workflow.wait_condition(lambda: self.count >= target)
        return self.count


def queue() -> str:
    return f"paths-{uuid.uuid4()}"


async def start(client: Client, task_queue: str, workflow_run: Any, *args: Any, **kw: Any) -> Any:
    return await client.start_workflow(
        workflow_run, args=list(args), id=f"wf-{uuid.uuid4()}", task_queue=task_queue, **kw
    )


async def test_the_cache_holds_at_most_max_cached_workflows(client: Client) -> None:
    task_queue = queue()
    async with Worker(
        client, task_queue=task_queue, workflows=WORKFLOWS, max_cached_workflows=2
    ) as worker:
        handles = [await start(client, task_queue, SignalTarget.run, 1) for _ in range(6)]
        for handle in handles:  # each has run its first task and waits for its signal
            assert await handle.query(SignalTarget.seen) == []
        cache = worker._workflow_worker._handler.cache  # type: ignore[union-attr,attr-defined]
        assert len(cache) <= 2
        for index, handle in enumerate(handles):
            await handle.signal(SignalTarget.add, str(index))
        results = await asyncio.gather(*(asyncio.wait_for(h.result(), 30) for h in handles))
    assert results == [[str(index), "timeout"] for index in range(6)]


async def test_long_histories_are_fetched_page_by_page(client: Client) -> None:
    task_queue = queue()
    service = worker_workflow_service(client)
    original = service.get_workflow_execution_history
    pages: list[int] = []

    async def counting(request: Any, **kwargs: Any) -> Any:
        response = await original(request, **kwargs)
        if request.next_page_token:
            pages.append(len(response.history.events))
        return response

    service.get_workflow_execution_history = counting  # type: ignore[method-assign]
    try:
        # No cache: each task brings the run's whole history, more than a poll carries (256).
        async with Worker(
            client, task_queue=task_queue, workflows=[Counter], max_cached_workflows=0
        ):
            handle = await start(client, task_queue, Counter.run, 600)
            await asyncio.gather(*(handle.signal(Counter.bump) for _ in range(600)))
            assert await asyncio.wait_for(handle.result(), 60) == 600
    finally:
        del service.get_workflow_execution_history
    assert len((await handle.fetch_history()).events) > 600
    assert pages, "the worker fetched no further page of history"


async def test_queries_see_the_state_after_a_signal(client: Client) -> None:
    task_queue = queue()
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS):
        handle = await start(client, task_queue, SignalTarget.run, 3)
        for value in ("a", "b"):
            await handle.signal(SignalTarget.add, value)
            # A query sent while the signal's task is pending is attached to that task and
            # answered after it: the signal is always seen.
            assert value in await handle.query(SignalTarget.seen)
        await handle.signal(SignalTarget.add, "c")
        assert await asyncio.wait_for(handle.result(), 30) == ["a", "b", "c", "timeout"]


async def test_eager_workflow_start(client: Client, eventually: Any) -> None:
    task_queue = queue()
    handed: list[Any] = []
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        # The worker offers eager starts once it runs (``async with`` returns as it starts).
        await eventually(lambda: client._eager_workflow_start_available(task_queue))
        hook = client._eager_workflow_task_hook
        assert hook is not None
        client._eager_workflow_task_hook = lambda task: (handed.append(task), hook(task))[1]
        handle = await start(client, task_queue, Activities.run, request_eager_start=True)
        assert len(await asyncio.wait_for(handle.result(), 30)) == 4
    assert len(handed) == 1
    assert handed[0].workflow_execution.workflow_id == handle.id
    # The worker's offer ends with it: later starts are not eager.
    assert client._eager_workflow_start_hook is None
    assert not client._eager_workflow_start_available(task_queue)


@pytest.mark.parametrize("disabled", [False, True])
async def test_eager_activities(client: Client, disabled: bool) -> None:
    task_queue = queue()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        disable_eager_activity_execution=disabled,
    ) as worker:
        activities = worker._activity_worker
        assert activities is not None
        dispatched: list[Any] = []
        original = activities.dispatch_eager
        activities.dispatch_eager = lambda task, permit: (  # type: ignore[method-assign]
            dispatched.append(task.activity_type.name),
            original(task, permit),
        )[1]
        handle = await start(client, task_queue, Activities.run)
        assert len(await asyncio.wait_for(handle.result(), 30)) == 4
    assert ("greet" in dispatched) is not disabled


async def test_an_update_without_handler_is_rejected_with_a_reason(client: Client) -> None:
    task_queue = queue()
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS):
        handle = await start(client, task_queue, SignalTarget.run, 1)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await asyncio.wait_for(handle.execute_update("anything", "x"), 30)
        # The run goes on after the rejection (its cached state was dropped and replayed).
        await handle.signal(SignalTarget.add, "after")
        assert await asyncio.wait_for(handle.result(), 30) == ["after", "timeout"]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert "Update handler for 'anything' expected but not found" in cause.message


async def test_workflow_logger_is_silent_during_replay(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tempyral.workflow")
    task_queue = queue()
    # No cache: every task replays the run from its first event.
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Chatty],
        activities=ACTIVITIES,
        max_cached_workflows=0,
    ):
        handle = await start(client, task_queue, Chatty.run)
        assert await asyncio.wait_for(handle.result(), 30) == "Hello, log!"

    messages = [r.getMessage() for r in caplog.records if r.name == "tempyral.workflow"]
    assert [m.split(" (")[0] for m in messages] == ["chatty starts", "chatty got Hello, log!"]
    assert handle.id in messages[0]
