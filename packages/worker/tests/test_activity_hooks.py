"""The hook the workflow worker uses for eager activities.

The tests play the workflow side's part: one takes an activity task from a queue nobody polls
(as the server would return it with a workflow task completion) and dispatches it to a running
worker, which runs it and reports the outcome by task token; another checks when eager slots are
offered at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from tempyral import activity
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import PollActivityTaskQueueRequest
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
