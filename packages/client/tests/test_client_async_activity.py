"""Completing an official-SDK activity asynchronously with tempyral's AsyncActivityHandle.

The ``AsyncCompletion`` workflow runs ``async_activity`` (id ``async-activity``), which signals
its task token to the workflow and completes asynchronously; the tests then heartbeat, complete,
fail or cancel it by token or by ids.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tempyral.client import (
    AsyncActivityCancelledError,
    AsyncActivityHandle,
    Client,
    WorkflowFailureError,
    WorkflowHandle,
)
from tempyral.exceptions import ActivityError, ApplicationError

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def start(client: Client, worker: OfficialWorker) -> tuple[WorkflowHandle[Any, Any], bytes]:
    """Start the workflow and wait for its activity's task token."""
    handle = await client.start_workflow(
        "AsyncCompletion", id=f"async-{uuid.uuid4()}", task_queue=worker.task_queue
    )
    for _ in range(100):
        token = await handle.query("task_token")
        if token:
            assert isinstance(token, bytes)
            return handle, token
        await asyncio.sleep(0.1)
    raise AssertionError("the activity never sent its task token")


async def test_complete_by_task_token(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle, token = await start(tempyral_client, official_worker)
    activity = tempyral_client.get_async_activity_handle(task_token=token)
    await activity.heartbeat("progress", 50)
    description = await handle.describe()
    pending = description.raw_description.pending_activities
    assert [p.activity_id for p in pending] == ["async-activity"]
    details = await tempyral_client.data_converter.decode_wrapper(pending[0].heartbeat_details)
    assert details == ["progress", 50]
    await activity.complete({"done": True})
    assert await handle.result() == {"done": True}


async def test_complete_by_ids_without_a_result(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle, _ = await start(tempyral_client, official_worker)
    activity = tempyral_client.get_async_activity_handle(
        workflow_id=handle.id, run_id=handle.result_run_id, activity_id="async-activity"
    )
    await activity.heartbeat()
    await activity.complete()
    assert await handle.result() is None


async def test_fail_by_ids(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    handle, _ = await start(tempyral_client, official_worker)
    activity = tempyral_client.get_async_activity_handle(
        workflow_id=handle.id, run_id=None, activity_id="async-activity"
    )
    error = ApplicationError("failed outside", "fail-detail", type="AsyncFail", non_retryable=True)
    await activity.fail(error, last_heartbeat_details=["last beat"])
    with pytest.raises(WorkflowFailureError) as raised:
        await handle.result()
    cause = raised.value.cause
    assert isinstance(cause, ActivityError)
    inner = cause.__cause__
    assert isinstance(inner, ApplicationError)
    assert inner.message == "failed outside"
    assert inner.type == "AsyncFail"
    assert inner.details == ("fail-detail",)


@pytest.mark.parametrize("by", ["token", "ids"])
async def test_cancellation_is_seen_on_heartbeat(
    tempyral_client: Client, official_worker: OfficialWorker, by: str
) -> None:
    handle, token = await start(tempyral_client, official_worker)
    activity: AsyncActivityHandle = (
        tempyral_client.get_async_activity_handle(task_token=token)
        if by == "token"
        else tempyral_client.get_async_activity_handle(
            workflow_id=handle.id, run_id=handle.result_run_id, activity_id="async-activity"
        )
    )
    await handle.signal("cancel_activity")
    cancelled: AsyncActivityCancelledError | None = None
    for _ in range(100):
        try:
            await activity.heartbeat()
        except AsyncActivityCancelledError as err:
            cancelled = err
            break
        await asyncio.sleep(0.1)
    assert cancelled is not None, "the heartbeat never reported the cancellation"
    assert cancelled.details is not None
    assert cancelled.details.cancel_requested
    await activity.report_cancellation("bye")
    assert await handle.result() == {"cancelled": ["bye"]}


def test_handle_needs_a_token_or_ids(tempyral_client: Client) -> None:
    with pytest.raises(ValueError, match="Task token cannot be present with other IDs"):
        tempyral_client.get_async_activity_handle(task_token=b"t", activity_id="a")
    with pytest.raises(ValueError, match="must all be given together"):
        tempyral_client.get_async_activity_handle(workflow_id="w")
    with pytest.raises(ValueError, match="Require task token"):
        tempyral_client.get_async_activity_handle()
