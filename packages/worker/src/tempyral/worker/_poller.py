"""Long polls for tasks: several at once, each holding a slot, stopped cleanly on shutdown.

Each loop reserves a slot, waits its turn under the rate limit, then sends one
long poll. A poll that brings a task hands it and its slot to ``on_task``; an empty poll (the
server's long-poll timeout) gives the slot back. Failed polls are retried by the service layer
(forever for retryable codes, with backoff up to 10 s, so a restarting server is waited for);
an error that survives those retries is fatal and ends :py:meth:`TaskPoller.run` with it.
How many loops run is a :py:class:`PollerScaler`'s target: fixed (``count``), or moved by each
poll's outcome (autoscaling); a loop above the target stops after its poll.

A workflow worker's loops poll two queues, its task queue and its sticky queue
(:py:class:`StickyPolls`): before each poll a loop asks the
:py:class:`~tempyral.worker._poll_balance.StickyPollBalance` which one, so the same budget of
polls follows the work (``_poll_balance`` explains the choice).

On shutdown, polls are cancelled at once, or, when the server completes outstanding polls after
``ShutdownWorker`` (``worker_poll_complete_on_shutdown``), given ``drain_seconds`` to return. A
task that arrives as its poll is being stopped is still handed to ``on_task``, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tempyral.common import logger
from tempyral.worker._poll_balance import StickyPollBalance
from tempyral.worker._poller_scaling import PollerScaler
from tempyral.worker._slots import RateLimiter, SlotPermit, SlotPool, SlotSupplier

__all__ = ["StickyPolls", "TaskPoller"]

TaskT = TypeVar("TaskT")
_T = TypeVar("_T")


@dataclass(frozen=True)
class StickyPolls(Generic[TaskT]):
    """The sticky queue the loops of a workflow poller also poll, where ``balance`` says."""

    poll: Callable[[], Awaitable[TaskT]]
    on_task: Callable[[TaskT, SlotPermit], None]
    balance: StickyPollBalance


class _Stopped(Exception):
    """The poller was asked to stop while waiting."""


class TaskPoller(Generic[TaskT]):
    """Concurrent long-poll loops (``count``, or as ``scaler`` says) feeding ``on_task``."""

    def __init__(
        self,
        *,
        name: str,
        slots: SlotPool,
        poll: Callable[[], Awaitable[TaskT]],
        has_task: Callable[[TaskT], bool],
        on_task: Callable[[TaskT, SlotPermit], None],
        count: int | None = None,
        scaler: PollerScaler | None = None,
        rate_limiter: RateLimiter | None = None,
        sticky_polls: StickyPolls[TaskT] | None = None,
    ) -> None:
        if scaler is None:
            if count is None or count < 1:
                raise ValueError(f"{name}: at least one poller is needed, got {count}")
            scaler = PollerScaler.fixed(count)
        self.name = name
        self.scaler = scaler
        self.on_scaled: Callable[[int], None] | None = None
        """Told the new target when autoscaling moves it (the ``num_pollers`` gauge)."""
        self._sticky_polls = sticky_polls
        self._loops: set[asyncio.Task[None]] = set()
        self._loop_ended = asyncio.Event()
        self._slots = slots
        self._poll = poll
        self._has_task = has_task
        self._on_task = on_task
        self._rate_limiter = rate_limiter
        self._stopping = asyncio.Event()
        # Done once stopping: one future every wait watches, rather than a task per wait.
        self._stopped: asyncio.Future[None] | None = None
        self._drain_seconds = 0.0
        self.polls_in_flight = 0
        # Counted, and logged once when the poller ends: a record per poll cost a worker shutdown
        # about ten log records (a test suite starts and stops a worker per test).
        self._cancelled_polls = 0

    def initiate_shutdown(self, *, drain_seconds: float = 0.0) -> None:
        """Stop polling; in-flight polls get ``drain_seconds`` to return before being cancelled."""
        self._drain_seconds = drain_seconds
        self._stop()

    def _stop(self) -> None:
        self._stopping.set()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    def _stop_signal(self) -> asyncio.Future[None]:
        """A future done once the poller is stopping (created in the running loop)."""
        if self._stopped is None:
            self._stopped = asyncio.get_running_loop().create_future()
            if self._stopping.is_set():
                self._stopped.set_result(None)
        return self._stopped

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running_loops(self) -> int:
        """How many poll loops are running now."""
        return self._live_loops()

    async def run(self) -> None:
        """Poll until shut down; raises the first fatal poll error (stopping the other loops)."""
        self._start_loops()
        try:
            while self._loops:
                await self._loop_ended.wait()
                self._loop_ended.clear()
                for loop in [loop for loop in self._loops if loop.done()]:
                    self._loops.discard(loop)
                    if not loop.cancelled() and loop.exception() is not None:
                        self._stop()
                        await asyncio.gather(*self._loops, return_exceptions=True)
                        error = loop.exception()
                        assert error is not None
                        raise error
        finally:
            for loop in self._loops:
                loop.cancel()
            await asyncio.gather(*self._loops, return_exceptions=True)
            if self._cancelled_polls:
                logger.debug(
                    "{}: {} poll(s) cancelled for shutdown", self.name, self._cancelled_polls
                )

    def _start_loops(self) -> None:
        """Start loops up to the scaler's target (never while stopping)."""
        while self._live_loops() < self.scaler.target and not self._stopping.is_set():
            loop = asyncio.create_task(self._loop(), name=f"{self.name} poller")
            self._loops.add(loop)
            # run() wakes only when a loop ends (not through a task and asyncio.wait per turn).
            loop.add_done_callback(self._on_loop_end)

    def _on_loop_end(self, _: asyncio.Task[None]) -> None:
        self._loop_ended.set()

    def _live_loops(self) -> int:
        # Loops that ended stay in the set until run() collects them: they do not count.
        return sum(1 for loop in self._loops if not loop.done())

    def _above_target(self) -> bool:
        """Whether the calling loop should stop, there being more loops than wanted."""
        return self._live_loops() > self.scaler.target

    async def _until_stopped(self, awaitable: Awaitable[_T]) -> _T:
        """Await ``awaitable`` unless the poller stops first (then cancel it, raise _Stopped)."""
        task = asyncio.ensure_future(awaitable)
        await _either_done(task, self._stop_signal())
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if task.cancelled():
                raise _Stopped
        return task.result()

    async def _loop(self) -> None:
        balance = self._sticky_polls.balance if self._sticky_polls is not None else None
        sticky: bool | None = None  # where the last poll went (None: no poll yet)
        try:
            while not self._stopping.is_set() and not self._above_target():
                sticky = balance.choose(sticky) if balance is not None else False
                if not await self._turn(sticky=sticky):
                    return
        finally:
            if balance is not None and sticky is not None:
                balance.leave(sticky)

    async def _turn(self, *, sticky: bool) -> bool:
        """Reserve a slot, poll once and hand the task on; False once stopped meanwhile."""
        permit = self._free_fixed_slot(sticky)
        if permit is None:
            try:
                permit = await self._until_stopped(self._slots.reserve(sticky=sticky))
            except _Stopped:
                return False
        try:
            if self._rate_limiter is not None:
                await self._until_stopped(self._rate_limiter.wait())
            task = await self._poll_once(sticky)
        except _Stopped:
            permit.release()
            return False
        except BaseException:
            permit.release()
            raise
        got_task = task is not None and self._has_task(task)
        if task is not None:
            before = self.scaler.target
            self.scaler.observe(task, has_task=got_task)
            if self.scaler.target != before and self.on_scaled is not None:
                self.on_scaled(self.scaler.target)
            self._start_loops()
        if task is not None and got_task:
            if sticky and self._sticky_polls is not None:
                self._sticky_polls.on_task(task, permit)
            else:
                self._on_task(task, permit)
        else:
            permit.release()
        return True

    def _free_fixed_slot(self, sticky: bool) -> SlotPermit | None:
        """A free slot of a fixed-size pool, taken without a task and a wait, or None.

        Only a fixed pool: its ``reserve`` starts with the same ``try_reserve``, whereas a custom
        supplier's user code would see a ``try_reserve_slot`` call it does not expect."""
        if type(self._slots) is SlotSupplier:
            return self._slots.try_reserve(sticky=sticky)
        return None

    async def _poll_once(self, sticky: bool) -> TaskT | None:
        self.polls_in_flight += 1
        if sticky and self._sticky_polls is not None:
            poll = asyncio.ensure_future(self._sticky_polls.poll())
        else:
            poll = asyncio.ensure_future(self._poll())
        try:
            await _either_done(poll, self._stop_signal())
            if not poll.done() and self._drain_seconds > 0:
                await asyncio.wait({poll}, timeout=self._drain_seconds)
            if not poll.done():
                poll.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poll
                if poll.cancelled():
                    self._cancelled_polls += 1
                    raise _Stopped
            return poll.result()
        except asyncio.CancelledError:
            poll.cancel()
            raise
        finally:
            self.polls_in_flight -= 1


async def _either_done(first: asyncio.Future[Any], second: asyncio.Future[Any]) -> None:
    """Return once ``first`` or ``second`` is done: ``asyncio.wait`` with ``FIRST_COMPLETED``
    for two futures, without its sets and checks (every poll waits so, a dozen per test)."""
    if first.done() or second.done():
        return
    woken = asyncio.get_running_loop().create_future()

    def wake(_: asyncio.Future[Any]) -> None:
        if not woken.done():
            woken.set_result(None)

    first.add_done_callback(wake)
    second.add_done_callback(wake)
    try:
        await woken
    finally:
        first.remove_done_callback(wake)
        second.remove_done_callback(wake)
