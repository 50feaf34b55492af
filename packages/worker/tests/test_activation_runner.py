"""Engine calls on the worker's threads: every outcome comes back, however long the call takes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest

from tempyral.worker._workflow_activation import ActivationRunner, DeadlockError
from tempyral.worker._workflow_threads import WorkflowThreads


def sleep_on_thread(seconds: float) -> None:
    """Workflow code holding its thread (runs on a workflow thread, never on the loop)."""
    time.sleep(seconds)


@pytest.fixture
def threads() -> Iterator[WorkflowThreads]:
    pool = WorkflowThreads(4, name_prefix="runner_test_")
    yield pool
    pool.shutdown()


async def test_quick_and_slow_calls_return_their_results_and_raise_their_errors(
    threads: WorkflowThreads,
) -> None:
    runner = ActivationRunner(None, deadlock_timeout=5, threads=threads)

    def slow() -> str:
        time.sleep(0.05)
        return "slow"

    def fails_slowly() -> None:
        time.sleep(0.05)
        raise KeyError("slow failure")

    def fails() -> None:
        raise KeyError("quick failure")

    assert await runner.run(lambda: "quick") == "quick"
    assert await runner.run(slow) == "slow"
    with pytest.raises(KeyError, match="quick failure"):
        await runner.run(fails)
    with pytest.raises(KeyError, match="slow failure"):
        await runner.run(fails_slowly)


async def test_a_slow_call_does_not_hold_up_the_loop(threads: WorkflowThreads) -> None:
    runner = ActivationRunner(None, deadlock_timeout=None, threads=threads)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = ticks
    await runner.run(lambda: sleep_on_thread(0.3))
    ticking.cancel()
    # Polls and heartbeats go on while workflow code runs: the loop ran meanwhile.
    assert ticks - before >= 10


async def test_calls_ending_around_the_loop_s_wait_all_come_back(
    threads: WorkflowThreads,
) -> None:
    runner = ActivationRunner(None, deadlock_timeout=5, threads=threads)
    rng = random.Random(7)

    def call(index: int, seconds: float) -> int:
        time.sleep(seconds)
        return index

    # Durations on both sides of the loop's blocking wait (2 ms), so that some calls end just as
    # the loop stops waiting: none may be lost (a lost outcome would hang here).
    for index in range(300):
        seconds = rng.uniform(0.0015, 0.0025)
        result = await asyncio.wait_for(runner.run(lambda i=index, s=seconds: call(i, s)), 5)
        assert result == index


async def test_a_stuck_call_is_reported_as_a_deadlock_after_the_timeout(
    threads: WorkflowThreads,
) -> None:
    runner = ActivationRunner(None, deadlock_timeout=0.2, threads=threads)
    started = time.monotonic()
    with pytest.raises(DeadlockError, match=r"didn't yield within 0\.2"):
        await runner.run(lambda: sleep_on_thread(1))
    assert 0.15 < time.monotonic() - started < 0.9
