"""What watches a running attempt: its heartbeats to the server, and its local timeout.

A heartbeat response may ask for cancellation (``cancel_requested``), pause or reset; a
``NOT_FOUND`` answer means the server no longer knows the attempt. Each becomes a cancellation
of the attempt with matching :py:class:`tempyral.activity.ActivityCancellationDetails`. Other
heartbeat errors are logged and otherwise ignored, as in Temporal's core SDK.

The local timeout fires ``local_timeout_buffer`` (5 s) after the shorter of the heartbeat timeout
(restarted by every heartbeat sent) and the start-to-close timeout, so an attempt the server has
already timed out is cancelled here too, and not reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from tempyral.activity import ActivityCancellationDetails
from tempyral.api.common.v1.message_pb2 import Payload, Payloads
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollActivityTaskQueueResponse,
    RecordActivityTaskHeartbeatRequest,
    RecordActivityTaskHeartbeatResponse,
)
from tempyral.service import RPCError, RPCStatusCode
from tempyral.worker._heartbeat import HeartbeatThrottler, throttle_interval
from tempyral.worker._payload_errors import PayloadsTooLargeError

if TYPE_CHECKING:
    from loguru import Logger

    from tempyral.worker._activity_run import RunningActivity

__all__ = ["arm_local_timeout", "heartbeat_failed", "new_throttler"]

HeartbeatRPC = Callable[
    [RecordActivityTaskHeartbeatRequest], Awaitable[RecordActivityTaskHeartbeatResponse]
]


def heartbeat_failed(running: RunningActivity, error: Exception) -> None:
    """Heartbeat details that cannot be converted or encoded fail the attempt with the error."""
    if running.log is not None:
        running.log.opt(exception=error).warning(
            "Cancelling activity because failed recording heartbeat"
        )
    running.cancel_for_heartbeat_error(error)


def new_throttler(
    running: RunningActivity,
    *,
    send: HeartbeatRPC,
    namespace: str,
    identity: str,
    default_interval: timedelta,
    max_interval: timedelta,
) -> HeartbeatThrottler:
    """The heartbeat throttler of ``running`` (whose info, converter and activity_log are set)."""
    info, converter, activity_log = running.info, running.converter, running.log
    assert info is not None
    assert converter is not None
    assert activity_log is not None

    async def encode(payloads: list[Payload]) -> list[Payload]:
        return await converter._transform_outbound_sequence(payloads)

    async def send_one(payloads: list[Payload]) -> None:
        request = RecordActivityTaskHeartbeatRequest(
            task_token=running.task_token, namespace=namespace, identity=identity
        )
        if payloads:
            request.details.CopyFrom(Payloads(payloads=payloads))
        activity_log.debug("Recording heartbeat")
        try:
            response = await send(request)
        except PayloadsTooLargeError as err:  # over the namespace's limit: never sent
            heartbeat_failed(running, err)
            return
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                activity_log.debug("Activity not found when recording heartbeat")
                running.request_cancel(ActivityCancellationDetails(not_found=True))
            else:
                activity_log.warning("Error when recording heartbeat: {}: {}", err.status.name, err)
            return
        if response.cancel_requested or response.activity_paused or response.activity_reset:
            running.request_cancel(
                ActivityCancellationDetails(
                    cancel_requested=response.cancel_requested,
                    paused=response.activity_paused,
                    reset=response.activity_reset,
                )
            )

    def on_error(error: Exception) -> None:
        heartbeat_failed(running, error)

    return HeartbeatThrottler(
        interval=throttle_interval(
            info.heartbeat_timeout, default=default_interval, maximum=max_interval
        ),
        encode=encode,
        send=send_one,
        on_error=on_error,
        on_sent=running.timeout_reset.set,
    )


def arm_local_timeout(
    task: PollActivityTaskQueueResponse,
    running: RunningActivity,
    activity_log: Logger,
    *,
    buffer: timedelta,
) -> asyncio.Task[None] | None:
    """Start the local timeout of an attempt; None when it has no heartbeat or start-to-close."""
    candidates: list[tuple[float, str]] = []
    for name, kind in (
        ("heartbeat_timeout", "heartbeat"),
        ("start_to_close_timeout", "start_to_close"),
    ):
        if task.HasField(name):
            seconds = getattr(task, name).ToTimedelta().total_seconds()
            if seconds > 0:
                candidates.append((seconds, kind))
    if not candidates:
        return None
    seconds, kind = min(candidates)
    wait = seconds + buffer.total_seconds()

    async def time_out() -> None:
        if kind == "heartbeat":
            while True:
                running.timeout_reset.clear()
                try:
                    await asyncio.wait_for(running.timeout_reset.wait(), wait)
                except asyncio.TimeoutError:
                    break
        else:
            await asyncio.sleep(wait)
        activity_log.debug("Timing out activity due to elapsed local {} timer", kind)
        running.request_cancel(ActivityCancellationDetails(not_found=True, timed_out=True))

    return asyncio.create_task(time_out(), name="activity local timeout")
