"""Failures, retries, timeouts and asynchronous completion, as the official workflow sees them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tempyral import activity
from tempyral.exceptions import ApplicationError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

attempts: dict[str, list[int]] = {}
state: dict[str, Any] = {}


def record_attempt(key: str) -> int:
    attempt = activity.info().attempt
    attempts.setdefault(key, []).append(attempt)
    return attempt


@activity.defn
async def flaky(key: str, succeed_on: int) -> str:
    attempt = record_attempt(key)
    if attempt < succeed_on:
        raise ValueError(f"attempt {attempt} fails")
    return f"succeeded on attempt {attempt}"


@activity.defn
async def fails_for_good(key: str) -> None:
    record_attempt(key)
    raise ApplicationError(
        "cannot go on", {"reason": "bad input"}, type="BadInput", non_retryable=True
    )


@activity.defn
async def fails_with_type(key: str) -> None:
    record_attempt(key)
    raise ApplicationError("listed as non-retryable by the workflow", type="Fatal")


@activity.defn
async def fails_with_cause() -> None:
    try:
        raise KeyError("root cause")
    except KeyError as err:
        raise ApplicationError("wrapper", "detail", type="Wrapped", non_retryable=True) from err


@activity.defn
async def takes_int(value: int) -> int:
    return value + 1


ACTIVITIES = [flaky, fails_for_good, fails_with_type, fails_with_cause, takes_int]


async def test_retries_until_success(harness: Any, client: Any, task_queue: str) -> None:
    attempts.clear()
    async with Worker(client, task_queue=task_queue, activities=ACTIVITIES):
        outcome = await harness.run_activity(
            {
                "activity": "flaky",
                "args": ["retry", 3],
                "task_queue": task_queue,
                "retry": {"initial_ms": 50, "backoff": 1.0},
            }
        )
    assert outcome == {"result": "succeeded on attempt 3"}
    assert attempts["retry"] == [1, 2, 3]


async def test_retries_stop_at_maximum_attempts(harness: Any, client: Any, task_queue: str) -> None:
    attempts.clear()
    async with Worker(client, task_queue=task_queue, activities=ACTIVITIES):
        outcome = await harness.run_activity(
            {
                "activity": "flaky",
                "args": ["max", 99],
                "task_queue": task_queue,
                "retry": {"initial_ms": 50, "backoff": 1.0, "max_attempts": 3},
            }
        )
    error = outcome["error"]
    assert error["retry_state"] == "MAXIMUM_ATTEMPTS_REACHED"
    assert error["cause"]["class"] == "ApplicationError"
    assert error["cause"]["type"] == "ValueError"
    assert error["cause"]["message"] == "attempt 3 fails"
    assert attempts["max"] == [1, 2, 3]


async def test_non_retryable_application_error_is_not_retried(
    harness: Any, client: Any, task_queue: str
) -> None:
    attempts.clear()
    async with Worker(client, task_queue=task_queue, activities=ACTIVITIES):
        flagged, listed = await asyncio.gather(
            harness.run_activity(
                {
                    "activity": "fails_for_good",
                    "args": ["flagged"],
                    "task_queue": task_queue,
                    "retry": {"initial_ms": 50, "max_attempts": 5},
                }
            ),
            harness.run_activity(
                {
                    "activity": "fails_with_type",
                    "args": ["listed"],
                    "task_queue": task_queue,
                    "retry": {
                        "initial_ms": 50,
                        "max_attempts": 5,
                        "non_retryable_types": ["Fatal"],
                    },
                }
            ),
        )
    assert flagged["error"]["retry_state"] == "NON_RETRYABLE_FAILURE"
    assert flagged["error"]["cause"] == {
        "class": "ApplicationError",
        "message": "cannot go on",
        "type": "BadInput",
        "non_retryable": True,
        "details": [{"reason": "bad input"}],
    }
    assert listed["error"]["retry_state"] == "NON_RETRYABLE_FAILURE"
    assert listed["error"]["cause"]["type"] == "Fatal"
    assert attempts["flagged"] == [1]
    assert attempts["listed"] == [1]


async def test_failure_chain_and_bad_arguments(harness: Any, client: Any, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=ACTIVITIES):
        chained, bad_args = await asyncio.gather(
            harness.run_activity({"activity": "fails_with_cause", "task_queue": task_queue}),
            harness.run_activity(
                {
                    "activity": "takes_int",
                    "args": ["not a number"],
                    "task_queue": task_queue,
                    "retry": {"max_attempts": 1},
                }
            ),
        )
    cause = chained["error"]["cause"]
    assert cause["type"] == "Wrapped"
    assert cause["details"] == ["detail"]
    assert cause["cause"]["class"] == "ApplicationError"
    assert cause["cause"]["type"] == "KeyError"
    assert "root cause" in cause["cause"]["message"]
    assert bad_args["error"]["cause"]["message"] == "Failed decoding arguments"


@activity.defn
async def sleeps_past_timeout() -> str:
    state["started"] = time.monotonic()
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        state["local_cancel_after"] = time.monotonic() - state["started"]
        state["details"] = activity.cancellation_details()
        raise
    return "never"


@activity.defn
async def stops_heartbeating() -> str:
    activity.heartbeat("last words")
    await asyncio.sleep(60)
    return "never"


async def test_timeouts(harness: Any, client: Any, task_queue: str, eventually: Any) -> None:
    state.clear()
    async with Worker(
        client, task_queue=task_queue, activities=[sleeps_past_timeout, stops_heartbeating]
    ):
        start_to_close, heartbeat = await asyncio.gather(
            harness.run_activity(
                {
                    "activity": "sleeps_past_timeout",
                    "task_queue": task_queue,
                    "start_to_close_ms": 1000,
                    "retry": {"max_attempts": 1},
                }
            ),
            harness.run_activity(
                {
                    "activity": "stops_heartbeating",
                    "task_queue": task_queue,
                    "heartbeat_timeout_ms": 1000,
                    "retry": {"max_attempts": 1},
                }
            ),
        )
        assert start_to_close["error"]["retry_state"] == "MAXIMUM_ATTEMPTS_REACHED"
        assert start_to_close["error"]["cause"]["timeout_type"] == "START_TO_CLOSE"
        assert heartbeat["error"]["cause"]["timeout_type"] == "HEARTBEAT"
        assert heartbeat["error"]["cause"]["last_heartbeat_details"] == ["last words"]
        # The worker cancels the attempt itself 5 s after its own deadline passes (the server
        # has timed it out already, so nothing is reported).
        await eventually(lambda: "local_cancel_after" in state, 15)
    # Not before its deadline plus the 5 s grace; the eventually above bounds it from above,
    # far below the 60 s sleep, without a tight window for a loaded machine to miss.
    assert state["local_cancel_after"] > 5.5
    assert state["details"] == activity.ActivityCancellationDetails(not_found=True, timed_out=True)


@activity.defn
async def completes_later() -> str:
    state["token"] = activity.info().task_token
    activity.raise_complete_async()


async def test_complete_async_with_the_task_token(
    harness: Any, client: Any, task_queue: str, eventually: Any
) -> None:
    state.clear()
    async with Worker(client, task_queue=task_queue, activities=[completes_later]):
        workflow_id = await harness.start(
            "RunActivity", {"activity": "completes_later", "task_queue": task_queue}
        )
        await eventually(lambda: "token" in state)
        # The attempt stays open after the function returned; nothing was reported.
        await asyncio.sleep(0.5)
        await client.get_async_activity_handle(task_token=state["token"]).complete(
            "completed from outside"
        )
        outcome = await harness.result(workflow_id)
    assert outcome == {"result": "completed from outside"}
