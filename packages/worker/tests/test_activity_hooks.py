"""The hooks the workflow worker will use: eager activities and local activity attempts.

The workflow side is not integrated yet, so the tests play its part: one takes an activity task
from a queue nobody polls (as the server would return it with a workflow task completion) and
dispatches it to a running worker, which runs it and reports the outcome by task token; another
runs local activity attempts and checks the outcomes handed back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tempyral import activity
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollActivityTaskQueueRequest,
    PollActivityTaskQueueResponse,
)
from tempyral.converter import DataConverter
from tempyral.worker import Worker

pytestmark = pytest.mark.integration


@activity.defn
async def eager_echo(value: str) -> str:
    return f"eager {value}"


async def test_dispatched_task_runs_and_reports(harness: Any, client: Any, task_queue: str) -> None:
    unpolled = f"{task_queue}-unpolled"
    worker = Worker(client, task_queue=task_queue, activities=[eager_echo])
    hooks = worker._activity_worker
    assert hooks is not None
    async with worker:
        workflow_id = await harness.start(
            "RunActivity", {"activity": "eager_echo", "args": ["hello"], "task_queue": unpolled}
        )
        task = await client.workflow_service.poll_activity_task_queue(
            PollActivityTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=unpolled), identity="test"
            )
        )
        assert task.task_token
        # Pollers hold 5 of the 100 slots; a free one is reserved for the eager task.
        permit = hooks.try_reserve_eager_slot()
        assert permit is not None
        hooks.dispatch_eager(task, permit)
        outcome = await harness.result(workflow_id)
    assert outcome == {"result": "eager hello"}


async def test_eager_slots_respect_options_and_capacity(client: Any, task_queue: str) -> None:
    disabled = Worker(
        client,
        task_queue=task_queue,
        activities=[eager_echo],
        disable_eager_activity_execution=True,
    )
    assert disabled._activity_worker is not None
    assert disabled._activity_worker.try_reserve_eager_slot() is None
    rate_limited = Worker(
        client,
        task_queue=task_queue,
        activities=[eager_echo],
        max_task_queue_activities_per_second=5,
    )
    assert rate_limited._activity_worker is not None
    assert rate_limited._activity_worker.try_reserve_eager_slot() is None
    small = Worker(
        client, task_queue=task_queue, activities=[eager_echo], max_concurrent_activities=2
    )
    hooks = small._activity_worker
    assert hooks is not None
    first, second = hooks.try_reserve_eager_slot(), hooks.try_reserve_eager_slot()
    assert first is not None
    assert second is not None
    assert hooks.try_reserve_eager_slot() is None
    first.release()
    assert hooks.try_reserve_eager_slot() is not None


local_seen: dict[str, Any] = {}


@activity.defn
async def local_double(value: int) -> int:
    info = activity.info()
    local_seen["is_local"] = info.is_local
    activity.heartbeat("ignored for local activities")
    if value < 0:
        raise ValueError("negative")
    if value == 0:
        await activity.wait_for_cancelled()
    return value * 2


def local_task(value: int, token: bytes) -> PollActivityTaskQueueResponse:
    task = PollActivityTaskQueueResponse(
        task_token=token,
        activity_id="local-1",
        attempt=1,
        workflow_namespace="default",
    )
    task.activity_type.name = "local_double"
    task.workflow_execution.workflow_id = "wf-local"
    task.workflow_execution.run_id = "run-local"
    task.workflow_type.name = "SomeWorkflow"
    task.input.payloads.extend(DataConverter.default.payload_converter.to_payloads([value]))
    return task


async def test_local_attempts_run_and_return_their_outcome(client: Any, task_queue: str) -> None:
    # The hook the workflow worker will use for local activities: no server calls involved.
    worker = Worker(client, task_queue=task_queue, activities=[local_double])
    hooks = worker._activity_worker
    assert hooks is not None
    completed = await hooks.start_local_attempt(local_task(21, b"la-1")).outcome
    assert completed.kind == "completed"
    assert completed.result is not None
    assert DataConverter.default.payload_converter.from_payload(completed.result) == 42
    assert local_seen["is_local"] is True

    failed = await hooks.start_local_attempt(local_task(-1, b"la-2")).outcome
    assert failed.kind == "failed"
    assert failed.failure is not None
    assert failed.failure.message == "negative"

    waiting = hooks.start_local_attempt(local_task(0, b"la-3"))
    await asyncio.sleep(0.05)
    waiting.cancel(activity.ActivityCancellationDetails(cancel_requested=True))
    cancelled = await waiting.outcome
    assert cancelled.kind == "cancelled"
    await hooks.wait_all_completed()


async def test_local_attempts_are_cancelled_at_shutdown(
    client: Any, task_queue: str, eventually: Any
) -> None:
    worker = Worker(client, task_queue=task_queue, activities=[local_double])
    hooks = worker._activity_worker
    assert hooks is not None
    running = asyncio.create_task(worker.run())
    await eventually(lambda: worker.is_running)
    waiting = hooks.start_local_attempt(local_task(0, b"la-shutdown"))
    await asyncio.sleep(0.05)
    await worker.shutdown()  # graceful_shutdown_timeout is 0: cancelled at once
    await running
    outcome = waiting.outcome.result()
    assert outcome.kind == "failed"
    assert outcome.failure is not None
    assert outcome.failure.application_failure_info.type == "WorkerShutdown"
