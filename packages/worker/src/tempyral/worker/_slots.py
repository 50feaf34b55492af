"""Concurrency slots and the worker-side rate limit.

A task occupies one slot from the moment a poll for it starts until its result is reported, so a
worker never holds more tasks than its slot pool allows. Pollers reserve a slot before polling,
as Temporal's core SDK does; eager activities reserve one when the workflow schedules them. A
permit is marked used (with what the task is) when a task arrives, and released exactly once.

:py:class:`SlotPool` is what pollers and task handlers see; :py:class:`SlotSupplier` is the
fixed-size pool. The resource-based and custom pools (``_resource_slots.py``,
``_custom_slots.py``) implement the same interface. The rate limiter spaces polls
``1 / max_activities_per_second`` apart.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ActivitySlot",
    "LocalActivitySlot",
    "NexusSlot",
    "RateLimiter",
    "SlotPermit",
    "SlotPool",
    "SlotSupplier",
    "WorkflowSlot",
]


class SlotPermit:
    """One reserved slot; mark it used when a task arrives, release it exactly once."""

    def __init__(self, pool: SlotPool, user_permit: object = None) -> None:
        self._pool: SlotPool | None = pool
        self.user_permit = user_permit
        """A custom supplier's own permit (None for tempyral's pools)."""
        self.info: object | None = None
        """What uses the slot (a ``*SlotInfo``), once marked used."""

    def mark_used(self, info: object) -> None:
        """The slot now runs the task ``info`` describes (told to the pool once)."""
        if self.info is None and self._pool is not None:
            self.info = info
            self._pool._mark_used(self)

    def release(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool._give_back(self)

    @property
    def released(self) -> bool:
        return self._pool is None


class SlotPool(ABC):
    """Hands out slot permits of one kind (workflow task, activity, local activity)."""

    kind: str
    on_change: Callable[[SlotPool], None] | None = None
    """Told after every reservation and release (the slot metrics)."""

    @property
    @abstractmethod
    def size(self) -> int | None:
        """The most slots this pool hands out at once, if known."""

    @property
    @abstractmethod
    def in_use(self) -> int:
        """Permits handed out and not yet released."""

    @abstractmethod
    def try_reserve(self, *, sticky: bool = False) -> SlotPermit | None:
        """A permit if a slot is free right now, else None; never waits."""

    @abstractmethod
    async def reserve(self, *, sticky: bool = False) -> SlotPermit:
        """Wait for a free slot (``sticky``: for a poll of the sticky workflow queue)."""

    def may_have_free(self) -> bool:
        """Whether a slot is likely free now, without reserving one (eager workflow start)."""
        size = self.size
        return size is None or self.in_use < size

    def _mark_used(self, permit: SlotPermit) -> None:  # noqa: B027 - most pools need no notice
        """A permit of this pool started a task (``permit.info``)."""

    @abstractmethod
    def _give_back(self, permit: SlotPermit) -> None:
        """A permit of this pool was released."""

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)


class SlotSupplier(SlotPool):
    """A fixed number of slots, handed out first come, first served."""

    def __init__(self, kind: str, size: int) -> None:
        if size < 1:
            raise ValueError(f"{kind} slots must be at least 1, got {size}")
        self.kind = kind
        self._size = size
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def size(self) -> int:
        return self._size

    @property
    def in_use(self) -> int:
        return self._size - self._free

    def try_reserve(self, *, sticky: bool = False) -> SlotPermit | None:
        """A permit if a slot is free right now (and nobody is queued for one), else None."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            self._changed()
            return SlotPermit(self)
        return None

    async def reserve(self, *, sticky: bool = False) -> SlotPermit:
        """Wait for a free slot."""
        permit = self.try_reserve()
        if permit is not None:
            return permit
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            self._changed()
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed to us as we were cancelled: pass it on.
                self._hand_on()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return SlotPermit(self)

    def _give_back(self, permit: SlotPermit) -> None:
        self._hand_on()

    def _hand_on(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the waiter
                return
        self._free += 1
        self._changed()


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


@dataclass(frozen=True)
class WorkflowSlot:
    """A slot's task is a workflow task (a ``WorkflowSlotInfo``)."""

    workflow_type: str
    is_sticky: bool


@dataclass(frozen=True)
class ActivitySlot:
    """A slot's task is an activity (an ``ActivitySlotInfo``)."""

    activity_type: str


@dataclass(frozen=True)
class LocalActivitySlot:
    """A slot's task is a local activity (a ``LocalActivitySlotInfo``)."""

    activity_type: str


@dataclass(frozen=True)
class NexusSlot:
    """A slot's task is a Nexus operation (a ``NexusSlotInfo``)."""

    service: str
    operation: str
