"""Concurrency slots and the worker-side rate limit.

A task occupies one slot from the moment a poll for it starts until its result is reported, so a
worker never holds more tasks than it has slots (``max_concurrent_activities``). Pollers reserve
a slot before polling, as Temporal's core SDK does; eager activities reserve one when the
workflow schedules them. The rate limiter spaces polls ``1 / max_activities_per_second`` apart.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter", "SlotPermit", "SlotSupplier"]


class SlotPermit:
    """One reserved slot; release it exactly once (further releases do nothing)."""

    def __init__(self, supplier: SlotSupplier) -> None:
        self._supplier: SlotSupplier | None = supplier

    def release(self) -> None:
        supplier, self._supplier = self._supplier, None
        if supplier is not None:
            supplier._give_back()

    @property
    def released(self) -> bool:
        return self._supplier is None


class SlotSupplier:
    """A fixed number of slots, handed out first come, first served."""

    def __init__(self, kind: str, size: int) -> None:
        if size < 1:
            raise ValueError(f"{kind} slots must be at least 1, got {size}")
        self.kind = kind
        self.size = size
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.on_change: Callable[[SlotSupplier], None] | None = None
        """Told after every reservation and release (the slot metrics)."""

    @property
    def in_use(self) -> int:
        return self.size - self._free

    def try_reserve(self) -> SlotPermit | None:
        """A permit if a slot is free right now (and nobody is queued for one), else None."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            if self.on_change is not None:
                self.on_change(self)
            return SlotPermit(self)
        return None

    async def reserve(self) -> SlotPermit:
        """Wait for a free slot."""
        permit = self.try_reserve()
        if permit is not None:
            return permit
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            if self.on_change is not None:
                self.on_change(self)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed to us as we were cancelled: pass it on.
                self._give_back()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return SlotPermit(self)

    def _give_back(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the waiter
                return
        self._free += 1
        if self.on_change is not None:
            self.on_change(self)


class RateLimiter:
    """Lets callers through at most ``per_second`` times a second, evenly spaced (burst 1)."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not per_second > 0:
            raise ValueError(f"a rate must be positive, got {per_second}")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._next = 0.0

    def delay(self) -> float:
        """Take the next turn; seconds to wait before it comes."""
        now = self._clock()
        turn = max(now, self._next)
        self._next = turn + self._interval
        return turn - now

    async def wait(self) -> None:
        delay = self.delay()
        if delay > 0:
            await asyncio.sleep(delay)
