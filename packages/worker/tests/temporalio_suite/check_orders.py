from __future__ import annotations

import uuid

import pytest
from suite_activities import Order
from suite_workflows import OrderWorkflow, ParentWorkflow, RejectingWorkflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError


async def test_order_is_reserved_approved_and_charged(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        OrderWorkflow.run, Order("o-1", 3), id=f"order-{uuid.uuid4()}", task_queue=task_queue
    )
    while await handle.query(OrderWorkflow.current_status) != "awaiting approval":
        pass
    await handle.signal(OrderWorkflow.approve)
    assert await handle.result() == "reserved 3 for o-1; charged 300"
    assert await handle.query(OrderWorkflow.current_status) == "done"


async def test_history_records_activities_and_signal(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        OrderWorkflow.run, Order("o-2", 1), id=f"order-{uuid.uuid4()}", task_queue=task_queue
    )
    await handle.signal(OrderWorkflow.approve)
    await handle.result()
    kinds = [event.event_type async for event in handle.fetch_history_events()]
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 2
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


async def test_a_bad_order_fails_the_workflow(client: Client, task_queue: str) -> None:
    with pytest.raises(WorkflowFailureError) as failure:
        await client.execute_workflow(
            RejectingWorkflow.run, Order("o-3", 0), id=f"bad-{uuid.uuid4()}", task_queue=task_queue
        )
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "BadOrder"
    assert cause.message == "order rejected: bad quantity 0"


async def test_children_run_and_return_in_order(client: Client, task_queue: str) -> None:
    result = await client.execute_workflow(
        ParentWorkflow.run, ["a", "b", "c"], id=f"parent-{uuid.uuid4()}", task_queue=task_queue
    )
    assert result == ["A", "B", "C"]
