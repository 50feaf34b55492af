"""Where a workflow worker's polls go, without a server: the balance's choices on their own, and
poll loops of a :py:class:`TaskPoller` following fake queues' backlogs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tempyral.worker._poll_balance import StickyPollBalance
from tempyral.worker._poller import StickyPolls, TaskPoller
from tempyral.worker._slots import SlotPermit, SlotSupplier


def split(balance: StickyPollBalance) -> tuple[int, int]:
    return balance.loops(sticky=False), balance.loops(sticky=True)


def start_loops(balance: StickyPollBalance, count: int) -> list[bool]:
    return [balance.choose(None) for _ in range(count)]


def poll_again(balance: StickyPollBalance, loops: list[bool]) -> list[bool]:
    """Every loop's poll returned: each chooses where its next one goes."""
    return [balance.choose(previous) for previous in loops]


def test_idle_queues_rest_at_the_ratio_with_a_poll_on_each() -> None:
    balance = StickyPollBalance(ratio=0.2)
    start_loops(balance, 5)
    assert split(balance) == (1, 4)
    wide = StickyPollBalance(ratio=0.5)
    start_loops(wide, 4)
    assert split(wide) == (2, 2)
    # Even a ratio of 1 leaves the sticky queue a poll, and 0 the task queue one.
    for ratio in (0.0, 1.0):
        edge = StickyPollBalance(ratio=ratio)
        start_loops(edge, 3)
        assert edge.loops(sticky=False) >= 1
        assert edge.loops(sticky=True) >= 1


def test_a_task_queue_backlog_draws_the_spare_polls_and_the_sticky_queue_keeps_one() -> None:
    balance = StickyPollBalance(ratio=0.2)
    loops = start_loops(balance, 5)
    balance.returned(sticky=False, backlog=300)
    loops = poll_again(balance, loops)
    assert split(balance) == (4, 1)
    # Drained: each loop goes back to the resting split as its poll returns.
    balance.returned(sticky=False, backlog=0)
    loops = poll_again(balance, loops)
    assert split(balance) == (1, 4)


def test_no_more_sticky_polls_rest_there_than_runs_are_cached() -> None:
    cached = [0]
    balance = StickyPollBalance(ratio=0.2, sticky_runs=lambda: cached[0])
    loops = start_loops(balance, 5)
    # Nothing cached: the sticky queue can have no task yet; it keeps its one poll.
    assert split(balance) == (4, 1)
    cached[0] = 2
    loops = poll_again(balance, loops)
    assert split(balance) == (3, 2)
    cached[0] = 40
    loops = poll_again(balance, loops)
    assert split(balance) == (1, 4)
    # A sticky backlog still draws polls past the cached count (the count lags a moment).
    cached[0] = 1
    balance.returned(sticky=True, backlog=3)
    loops = poll_again(balance, loops)
    assert split(balance) == (2, 3)


def test_a_sticky_backlog_comes_before_the_task_queue_backlog() -> None:
    balance = StickyPollBalance(ratio=0.2)
    loops = start_loops(balance, 5)
    balance.returned(sticky=False, backlog=300)
    balance.returned(sticky=True, backlog=2)
    loops = poll_again(balance, loops)
    # Two sticky tasks wait: up to two polls there, the rest drain the task queue's backlog.
    assert split(balance) == (3, 2)
    balance.returned(sticky=True, backlog=50)
    loops = poll_again(balance, loops)
    assert split(balance) == (1, 4)


def test_the_split_gauge_is_told_only_when_a_loop_moves() -> None:
    balance = StickyPollBalance(ratio=0.2)
    told: list[tuple[int, int]] = []
    balance.on_change = lambda normal, sticky: told.append((normal, sticky))
    loops = start_loops(balance, 2)
    assert told == [(1, 0), (1, 1)]
    loops = poll_again(balance, loops)
    assert told == [(1, 0), (1, 1)]  # each loop stayed where it was
    balance.leave(loops[0])
    assert told[-1] == (0, 1)


@dataclass
class FakeResponse:
    queue: str
    backlog: int


class FakeQueue:
    """A queue with ``backlog`` tasks: polls take one at once, or wait while it is empty."""

    def __init__(self, name: str, balance: StickyPollBalance, *, sticky: bool) -> None:
        self.name = name
        self.backlog = 0
        self.open = 0
        self.most_open = 0
        self._balance = balance
        self._sticky = sticky
        self._arrived = asyncio.Event()

    def add(self, count: int) -> None:
        self.backlog += count
        self._arrived.set()

    async def poll(self) -> FakeResponse:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while self.backlog == 0:
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), 0.2)
                except asyncio.TimeoutError:
                    self._balance.returned(sticky=self._sticky, backlog=0)
                    return FakeResponse("", 0)  # the long-poll timeout
            self.backlog -= 1
            await asyncio.sleep(0.002)  # the round trip
            self._balance.returned(sticky=self._sticky, backlog=self.backlog)
            return FakeResponse(self.name, self.backlog)
        finally:
            self.open -= 1


async def test_poll_loops_follow_the_backlog_to_the_task_queue_and_back() -> None:
    balance = StickyPollBalance(ratio=0.2)
    normal = FakeQueue("normal", balance, sticky=False)
    sticky = FakeQueue("sticky", balance, sticky=True)
    handled: list[str] = []

    def on_task(task: FakeResponse, permit: SlotPermit) -> None:
        handled.append(task.queue)
        permit.release()

    poller: TaskPoller[FakeResponse] = TaskPoller(
        name="workflow",
        count=5,
        slots=SlotSupplier("workflow task", 10),
        poll=normal.poll,
        has_task=lambda task: bool(task.queue),
        on_task=on_task,
        sticky_polls=StickyPolls(poll=sticky.poll, on_task=on_task, balance=balance),
    )
    running = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)
    assert split(balance) == (1, 4)
    normal.add(100)
    sticky.add(3)
    for _ in range(200):
        if len(handled) == 103:
            break
        await asyncio.sleep(0.01)
    assert sorted(set(handled)) == ["normal", "sticky"]
    assert len(handled) == 103
    assert normal.most_open == 4  # the spare polls drained the backlog, one stayed sticky
    await asyncio.sleep(0.5)  # the task queue's polls time out empty and move back
    assert split(balance) == (1, 4)
    poller.initiate_shutdown()
    await asyncio.wait_for(running, 2)
    assert split(balance) == (0, 0)
