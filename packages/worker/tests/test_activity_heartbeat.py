"""Heartbeats: throttling as the server sees it, details carried to the next attempt, and
cancellation delivered through heartbeat responses (async activities and threads)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import pytest

from tempyral import activity
from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeWorkflowExecutionRequest,
)
from tempyral.converter import DataConverter
from tempyral.exceptions import CancelledError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

state: dict[str, Any] = {}


async def pending_heartbeat(client: Any, workflow_id: str) -> list[Any] | None:
    """The heartbeat details the server holds for the workflow's pending activity."""
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    if not described.pending_activities:
        return None
    details = described.pending_activities[0].heartbeat_details
    return await DataConverter.default.decode_wrapper(details)


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@activity.defn
async def heartbeat_burst() -> str:
    activity.heartbeat(1)
    # Heartbeats made before the loop turns are merged into one (the latest), as in the official
    # SDK; let the first one go out on its own.
    await asyncio.sleep(0.2)
    activity.heartbeat(2)
    activity.heartbeat(3)
    state["burst_sent"].set()
    await state["burst_release"].wait()
    return "done"


async def test_heartbeats_are_throttled_to_the_latest_details(
    harness: Any, client: Any, task_queue: str
) -> None:
    state["burst_sent"] = asyncio.Event()
    state["burst_release"] = asyncio.Event()
    async with Worker(client, task_queue=task_queue, activities=[heartbeat_burst]):
        workflow_id = await harness.start(
            "RunActivity",
            # Throttle interval: 0.8 x 3 s = 2.4 s.
            {"activity": "heartbeat_burst", "task_queue": task_queue, "heartbeat_timeout_ms": 3000},
        )
        await asyncio.wait_for(state["burst_sent"].wait(), 20)
        # What the server shows, in order, until the interval (2.4 s) has ended: the first
        # heartbeat went out at once; of 2 and 3, only the latest goes, when the interval ends.
        seen: list[Any] = []
        deadline = time.monotonic() + 20
        while seen[-1:] != [[3]] and time.monotonic() < deadline:
            details = await pending_heartbeat(client, workflow_id)
            if details is not None and seen[-1:] != [details]:
                seen.append(details)
            await asyncio.sleep(0.1)
        assert seen == [[1], [3]]
        state["burst_release"].set()
        assert await harness.result(workflow_id) == {"result": "done"}


@activity.defn
async def fail_after_heartbeats() -> list[Any]:
    info = activity.info()
    if info.attempt == 1:
        for step in range(1, 6):
            activity.heartbeat(f"step-{step}", step)
        raise RuntimeError("first attempt fails after heartbeating")
    return [info.attempt, *info.heartbeat_details]


@activity.defn
def sync_fail_after_heartbeat(start: int) -> list[Any]:
    info = activity.info()
    if info.attempt < 3:
        activity.heartbeat({"attempt": info.attempt, "start": start})
        raise ValueError("not yet")
    return [info.attempt, *info.heartbeat_details]


async def test_last_heartbeat_details_reach_the_next_attempt(
    harness: Any, client: Any, task_queue: str
) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            activities=[fail_after_heartbeats, sync_fail_after_heartbeat],
            activity_executor=executor,
        ):
            retry = {"initial_ms": 50, "backoff": 1.0}
            async_outcome, sync_outcome = await asyncio.gather(
                harness.run_activity(
                    {"activity": "fail_after_heartbeats", "task_queue": task_queue, "retry": retry}
                ),
                harness.run_activity(
                    {
                        "activity": "sync_fail_after_heartbeat",
                        "args": [7],
                        "task_queue": task_queue,
                        "retry": retry,
                    }
                ),
            )
    # The throttled heartbeats are flushed with the failure: the last one is what attempt 2 sees.
    assert async_outcome == {"result": [2, "step-5", 5]}
    assert sync_outcome == {"result": [3, {"attempt": 2, "start": 7}]}


@activity.defn
async def wait_to_be_cancelled() -> str:
    state["started"].set()
    try:
        while True:
            activity.heartbeat("waiting")
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        state["cancelled"] = (activity.is_cancelled(), activity.cancellation_details())
        raise


@activity.defn
async def wait_for_cancel_event() -> str:
    state["started"].set()
    try:
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        # The cancelled event is set by then; returning swallows the cancellation.
        await asyncio.wait_for(activity.wait_for_cancelled(), 1)
        state["cancelled"] = activity.is_cancelled()
        return "saw the cancellation and returned"


@pytest.mark.parametrize("name", ["wait_to_be_cancelled", "wait_for_cancel_event"])
async def test_cancellation_reaches_async_activities_through_heartbeats(
    harness: Any, client: Any, task_queue: str, name: str
) -> None:
    state["started"] = asyncio.Event()
    state.pop("cancelled", None)
    async with Worker(
        client, task_queue=task_queue, activities=[wait_to_be_cancelled, wait_for_cancel_event]
    ):
        workflow_id = await harness.start(
            "RunActivity",
            {
                "activity": name,
                "task_queue": task_queue,
                "heartbeat_timeout_ms": 1000,
                "cancel_on_signal": True,
                "cancellation_type": "WAIT_CANCELLATION_COMPLETED",
            },
        )
        await asyncio.wait_for(state["started"].wait(), 20)
        await harness.signal(workflow_id, "cancel_activity")
        outcome = await harness.result(workflow_id)
    if name == "wait_to_be_cancelled":
        assert outcome["error"]["cause"]["class"] == "CancelledError"
        is_cancelled, details = state["cancelled"]
        assert is_cancelled
        assert details == activity.ActivityCancellationDetails(cancel_requested=True)
    else:
        # Returning normally after a cancellation request completes the activity.
        assert outcome == {"result": "saw the cancellation and returned"}
        assert state["cancelled"] is True


@activity.defn
def sync_until_cancelled() -> str:
    state["thread"] = threading.current_thread().name
    state["started_threadsafe"]()
    try:
        while True:
            activity.heartbeat()
            time.sleep(0.02)
    except CancelledError:
        state["cancelled"] = activity.is_cancelled()
        raise


@activity.defn(no_thread_cancel_exception=True)
def sync_polls_is_cancelled() -> str:
    state["started_threadsafe"]()
    while not activity.is_cancelled():
        activity.heartbeat()
        time.sleep(0.02)
    return "noticed"


@activity.defn
def sync_shielded() -> str:
    state["started_threadsafe"]()
    try:
        with activity.shield_thread_cancel_exception():
            while not activity.is_cancelled():
                activity.heartbeat()
                activity.wait_for_cancelled_sync(0.02)
            # Still running after the cancellation: the exception waits for the block's end.
            time.sleep(0.2)
            state["shield_finished"] = True
        state["after_shield"] = True
    except CancelledError:
        state["cancelled"] = True
        raise
    return "unreachable"


@pytest.mark.parametrize(
    "name", ["sync_until_cancelled", "sync_polls_is_cancelled", "sync_shielded"]
)
async def test_cancellation_reaches_sync_activities(
    harness: Any, client: Any, task_queue: str, name: str
) -> None:
    for key in ("cancelled", "shield_finished", "after_shield"):
        state.pop(key, None)
    started = asyncio.Event()
    loop = asyncio.get_running_loop()
    state["started_threadsafe"] = lambda: loop.call_soon_threadsafe(started.set)
    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="sync-act") as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            activities=[sync_until_cancelled, sync_polls_is_cancelled, sync_shielded],
            activity_executor=executor,
        ):
            workflow_id = await harness.start(
                "RunActivity",
                {
                    "activity": name,
                    "task_queue": task_queue,
                    "heartbeat_timeout_ms": 1000,
                    "cancel_on_signal": True,
                    "cancellation_type": "WAIT_CANCELLATION_COMPLETED",
                },
            )
            await asyncio.wait_for(started.wait(), 20)
            await harness.signal(workflow_id, "cancel_activity")
            outcome = await harness.result(workflow_id)
    if name == "sync_polls_is_cancelled":
        assert outcome == {"result": "noticed"}
    else:
        assert outcome["error"]["cause"]["class"] == "CancelledError"
        assert state["cancelled"] is True
    if name == "sync_shielded":
        assert state["shield_finished"] is True
        assert "after_shield" not in state


class NotSerializable:
    pass


@activity.defn
async def heartbeats_garbage() -> str:
    activity.heartbeat(NotSerializable())
    await asyncio.sleep(30)
    return "never"


async def test_unconvertible_heartbeat_details_fail_the_attempt(
    harness: Any, client: Any, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, activities=[heartbeats_garbage]):
        outcome = await harness.run_activity(
            {
                "activity": "heartbeats_garbage",
                "task_queue": task_queue,
                "retry": {"max_attempts": 1},
            }
        )
    # As in the official SDK: the activity is cancelled and fails with the conversion error.
    cause = outcome["error"]["cause"]
    assert cause["type"] == "TypeError"
    assert "NotSerializable" in cause["message"]
