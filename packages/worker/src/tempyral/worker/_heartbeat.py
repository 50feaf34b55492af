"""Heartbeat throttling for one running activity, with the rules of Temporal's core SDK.

* The first heartbeat is sent at once. Until ``interval`` has passed since that send began,
  later heartbeats only replace the pending details; then the latest pending details are sent and
  the interval starts again. When an interval ends with nothing pending, the activity is
  forgotten, so its next heartbeat is sent at once again.
* ``interval`` is 0.8 x the heartbeat timeout, or ``default_heartbeat_throttle_interval``
  (30 s) without one, capped by ``max_heartbeat_throttle_interval`` (60 s): see
  :py:func:`throttle_interval`.
* When the activity ends, :py:meth:`HeartbeatThrottler.close` stops the interval; with
  ``flush=True`` (the activity failed or was cancelled) the latest pending details are sent first,
  so they are the ones the next attempt sees. A heartbeat already being sent is waited for.

Details are converted to payloads when ``heartbeat()`` is called (so later changes to the objects
do not leak in); the payload codec runs when they are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tempyral.api.common.v1.message_pb2 import Payload

__all__ = ["HeartbeatThrottler", "throttle_interval"]


def throttle_interval(
    heartbeat_timeout: timedelta | None, *, default: timedelta, maximum: timedelta
) -> float:
    """Seconds between two heartbeats sent for an activity with ``heartbeat_timeout``."""
    # Servers send an unset heartbeat timeout as zero; both mean "no timeout".
    if heartbeat_timeout is None or heartbeat_timeout <= timedelta(0):
        interval = default
    else:
        interval = heartbeat_timeout * 0.8
    return min(interval, maximum).total_seconds()


class HeartbeatThrottler:
    """Sends one activity's heartbeats to the server, no more often than every ``interval``."""

    def __init__(
        self,
        *,
        interval: float,
        encode: Callable[[list[Payload]], Awaitable[list[Payload]]],
        send: Callable[[list[Payload]], Awaitable[None]],
        on_error: Callable[[Exception], None],
        on_sent: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._encode = encode
        self._send = send
        self._on_error = on_error
        self._on_sent = on_sent
        self._clock = clock
        self._pending: list[Payload] | None = None
        self._driver: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._closed = False
        self._flush_on_close = False
        self.sent = 0
        """How many heartbeats went to the server (for tests and diagnostics)."""

    def record(self, payloads: list[Payload]) -> None:
        """Queue a heartbeat with these (converted) details. Call on the event loop's thread."""
        if self._closed:
            return
        self._pending = payloads
        if self._driver is None:
            self._driver = asyncio.create_task(self._drive(), name="heartbeat")

    async def close(self, *, flush: bool) -> None:
        """Stop throttling; with ``flush``, send the pending details now. Never raises."""
        self._closed = True
        self._flush_on_close = flush
        self._wake.set()
        if self._driver is not None:
            await asyncio.shield(self._driver)

    async def _drive(self) -> None:
        try:
            payloads = self._take_pending()
            while payloads is not None:
                started = self._clock()
                if not await self._send_one(payloads):
                    return
                remaining = self._interval - (self._clock() - started)
                if remaining > 0 and not self._is_closed():
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), remaining)
                if self._is_closed():
                    break
                payloads = self._take_pending()
            if self._is_closed() and self._flush_on_close:
                final = self._take_pending()
                if final is not None:
                    await self._send_one(final)
        finally:
            self._driver = None

    # Methods, not attribute reads: both change while the driver awaits.
    def _is_closed(self) -> bool:
        return self._closed

    def _take_pending(self) -> list[Payload] | None:
        payloads, self._pending = self._pending, None
        return payloads

    async def _send_one(self, payloads: list[Payload]) -> bool:
        try:
            encoded = await self._encode(payloads)
        except Exception as err:
            self._on_error(err)
            return False
        await self._send(encoded)
        self.sent += 1
        self._on_sent()
        return True
