"""The in-memory server's clock: real time plus skipped time, and timers on it.

Virtual time runs with the event loop's clock, plus every jump taken. A jump happens when
somebody is waiting for time to pass (a client waiting on a workflow result, ``env.sleep``), the
server says nothing is in progress (no workflow task queued or running, no activity queued or
running), and a timer is pending: the clock moves to that timer and fires it. This is trio's
``MockClock`` autojump idea, limited to the moments a test waits, as the official time-skipping
test server does: a test that starts a workflow and then signals it is not overtaken by a jump.

Timers fire from the event loop (``loop.call_at`` on the real remainder) when their time comes
without a jump, so work that keeps the server busy still sees timeouts in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = ["Timer", "VirtualClock"]


@dataclass(order=True)
class Timer:
    """A callback due at a virtual time; ``cancel()`` before it fires to drop it."""

    when: datetime
    sequence: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Virtual time for one in-memory server, with timers and idle-time jumps."""

    def __init__(self, *, start: datetime | None = None, is_idle: Callable[[], bool]) -> None:
        self._loop = asyncio.get_running_loop()
        self._base = start or datetime.now(timezone.utc)
        self._loop_base = self._loop.time()
        self._skipped = 0.0
        self._timers: list[Timer] = []
        self._sequence = itertools.count()
        self._wakeup: asyncio.TimerHandle | None = None
        self._is_idle = is_idle
        self._demand = 0  # waiters that want time skipped while the server is idle
        self._check_scheduled = False
        self.auto_skip = True

    def now(self) -> datetime:
        return self._base + timedelta(seconds=self._loop.time() - self._loop_base + self._skipped)

    def call_later(self, delay: timedelta, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + max(delay, timedelta(0)), callback)

    def call_at(self, when: datetime, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, next(self._sequence), callback)
        heapq.heappush(self._timers, timer)
        self._arm()
        self.poke()
        return timer

    async def sleep(self, duration: timedelta) -> None:
        """Wait ``duration`` of virtual time, skipping it whenever the server is idle."""
        done = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not done.done():
                done.set_result(None)

        timer = self.call_later(duration, wake)
        with self.skipping_wanted(force=True):
            try:
                await done
            finally:
                timer.cancel()

    @contextlib.contextmanager
    def skipping_wanted(self, *, force: bool = False) -> Iterator[None]:
        """While inside, idle time is skipped (unless auto-skip is off and not ``force``)."""
        wanted = force or self.auto_skip
        if wanted:
            self._demand += 1
            self.poke()
        try:
            yield
        finally:
            if wanted:
                self._demand -= 1

    def poke(self) -> None:
        """Something changed: check, once the loop is free, whether a jump is due."""
        if not self._check_scheduled:
            self._check_scheduled = True
            self._loop.call_soon(self._check)

    def close(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._timers.clear()

    # -- internals ----------------------------------------------------------------------------

    def _check(self) -> None:
        self._check_scheduled = False
        self._fire_due()
        if self._demand > 0 and self._is_idle():
            upcoming = self._next_timer()
            if upcoming is not None:
                # One jump per check: the fired timer's consequences (a workflow task, a waiter
                # that is satisfied) get their turn on the loop before the next jump is judged.
                self._skipped += max((upcoming.when - self.now()).total_seconds(), 0.0)
                self._fire_due()
                self.poke()
        self._arm()

    def _next_timer(self) -> Timer | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0] if self._timers else None

    def _fire_due(self) -> None:
        now = self.now()
        while (timer := self._next_timer()) is not None and timer.when <= now:
            heapq.heappop(self._timers)
            timer.callback()
        self._arm()

    def _arm(self) -> None:
        """Wake the loop (in real time) when the earliest timer is due."""
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        upcoming = self._next_timer()
        if upcoming is not None:
            delay = max((upcoming.when - self.now()).total_seconds(), 0.0)
            self._wakeup = self._loop.call_later(delay, self.poke)
