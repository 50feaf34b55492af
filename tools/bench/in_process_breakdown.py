"""Where one in-process test's time goes: phases, idle loop time, RPCs, activation hand-offs.

The same test as ``in_process_overhead.py`` (start an environment, a worker, one workflow that
sleeps 30 s then runs an activity, stop), run ``--tests`` times after a warm-up, with wall-clock
counters only (no cProfile, which inflates the many small calls this path makes). Prints one JSON
object of medians per test:

- ``phases_ms``: environment start, worker construction, workflow execution (worker polls
  included: the worker starts polling lazily), worker stop, environment stop;
- ``warm_execution_ms``: the same workflow on a worker kept running (what a test costs without
  a worker start and stop);
- ``loop_idle_ms`` and ``blocking_selects``: time the event loop spent waiting in ``select``
  with nothing to run (the loop waiting on a workflow thread);
- ``handoff_us``: per activation handed to a workflow thread, from submit until the thread
  starts it, the engine's work, and from its end until the awaiting task resumes;
- ``threads_started_per_test``: threads started (a workflow thread per worker, unless a parked
  one is taken);
- ``rpcs``: calls per test the in-memory server answered, by name.

    hatch run python tools/bench/in_process_breakdown.py [--tests 60]

Measured 2026-12-06 (2 shared cores, load average 4.1 to 4.3), three runs each alternating
the starting commit (1488ab5, A) and this branch (B), medians per test of each run:

- ``test_ms``: A 6.89, 5.00, 4.48; B 3.59, 3.34, 3.74;
- ``execution``: A 6.02, 4.14, 3.74; B 3.05, 2.82, 3.11 (a cold worker's first workflow now
  costs what a warm worker's does: ``warm_execution_ms`` A 3.30, 3.15, 3.23; B 3.60, 2.96, 2.54);
- ``worker_stop``: A 0.53, 0.50, 0.49; B 0.29, 0.28, 0.29;
- ``worker_construction``: A 0.18, 0.15, 0.15; B 0.14, 0.13, 0.14;
- ``threads_started_per_test``: A 1.17, 1.10, 1.02 (a thread per worker, a second when an
  activation came before the first was idle again); B 0, 0.02, 0 (parked threads are taken);
- ``handoff_us`` (to thread / engine / back): A 67/271/49, 51/262/43, 49/214/41;
  B 46/199/41, 46/189/39, 47/197/42;
- RPCs per test are unchanged (8 workflow and 6 activity polls, most cancelled at worker stop).

Second round, 2026-12-06, against 576d321 (A), load average 9.0 to 9.6 on the 2 cores, three runs
each alternating: ``test_ms`` A 9.89, 8.75, 3.56; B 9.47, 7.93, 7.74; ``engine_work`` A 262, 254,
227 us; B 285, 242, 243 us; ``worker_stop`` A 0.29, 0.29, 0.28; B 0.31, 0.29, 0.30. At that load
these figures follow the scheduler; B's changes (fewer reference cycles, ``workflow.info()``
built once per run) are below their noise (see ``in_process_overhead.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from in_process_overhead import SleepThenEcho, echo

from tempyral.testing import start_in_process
from tempyral.testing._memory_server import MemoryServer
from tempyral.worker import Worker
from tempyral.worker._workflow_activation import ActivationRunner

_PHASES = ("environment_start", "worker_construction", "execution", "worker_stop", "env_stop")


class _Counters:
    def __init__(self) -> None:
        self.idle = 0.0
        self.blocking_selects = 0
        self.rpcs: collections.Counter[str] = collections.Counter()
        self.handoffs: list[tuple[float, float, float]] = []
        self.threads_started = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def _instrument(counters: _Counters) -> None:
    loop = asyncio.get_running_loop()
    selector: Any = loop._selector  # type: ignore[attr-defined]
    select = selector.select

    def timed_select(timeout: float | None = None) -> Any:
        started = time.perf_counter()
        ready = select(timeout)
        if timeout is None or timeout > 0:
            counters.idle += time.perf_counter() - started
            counters.blocking_selects += 1
        return ready

    selector.select = timed_select

    answer = MemoryServer.__call__

    def counted(self: MemoryServer, rpc: str, request: Any) -> Any:
        counters.rpcs[rpc] += 1
        return answer(self, rpc, request)

    MemoryServer.__call__ = counted  # type: ignore[method-assign]

    run_on_threads = ActivationRunner._run_on_threads

    async def timed_run(self: ActivationRunner, threads: Any, fn: Callable[[], Any]) -> Any:
        marks: dict[str, float] = {}

        def marked() -> Any:
            marks["start"] = time.perf_counter()
            try:
                return fn()
            finally:
                marks["end"] = time.perf_counter()

        marks["submit"] = time.perf_counter()
        result = await run_on_threads(self, threads, marked)
        resumed = time.perf_counter()
        counters.handoffs.append(
            (
                marks["start"] - marks["submit"],
                marks["end"] - marks["start"],
                resumed - marks["end"],
            )
        )
        return result

    ActivationRunner._run_on_threads = timed_run  # type: ignore[method-assign]

    start_thread = threading.Thread.start

    def counted_start(self: threading.Thread) -> None:
        counters.threads_started += 1
        start_thread(self)

    threading.Thread.start = counted_start  # type: ignore[method-assign]


async def _one_test(index: int) -> list[float]:
    marks = [time.perf_counter()]
    async with await start_in_process() as env:
        marks.append(time.perf_counter())
        worker = Worker(
            env.client,
            task_queue=f"breakdown-{index}",
            workflows=[SleepThenEcho],
            activities=[echo],
            build_id="bench",
        )
        marks.append(time.perf_counter())
        async with worker:
            await env.client.execute_workflow(
                SleepThenEcho.run, 30.0, id=f"breakdown-{index}", task_queue=f"breakdown-{index}"
            )
            marks.append(time.perf_counter())
        marks.append(time.perf_counter())
    marks.append(time.perf_counter())
    return [later - earlier for earlier, later in itertools.pairwise(marks)]


async def _warm_executions(tests: int) -> list[float]:
    async with (
        await start_in_process() as env,
        Worker(
            env.client,
            task_queue="breakdown-warm",
            workflows=[SleepThenEcho],
            activities=[echo],
            build_id="bench",
        ),
    ):
        times = []
        for index in range(tests):
            started = time.perf_counter()
            await env.client.execute_workflow(
                SleepThenEcho.run, 30.0, id=f"warm-{index}", task_queue="breakdown-warm"
            )
            times.append(time.perf_counter() - started)
        return times


async def main(tests: int) -> dict[str, Any]:
    counters = _Counters()
    _instrument(counters)
    for index in range(10):  # warm-up: imports, first-use caches
        await _one_test(-1 - index)
    counters.reset()
    phases = [await _one_test(index) for index in range(tests)]
    per_test = {
        "idle": counters.idle / tests,
        "selects": counters.blocking_selects / tests,
        "rpcs": {rpc: count / tests for rpc, count in counters.rpcs.most_common()},
        "handoffs": list(counters.handoffs),
        "threads": counters.threads_started / tests,
    }
    warm = await _warm_executions(tests)
    ms = 1000.0
    return {
        "tests": tests,
        "test_ms": round(statistics.median(sum(test) for test in phases) * ms, 3),
        "phases_ms": {
            name: round(statistics.median(test[position] for test in phases) * ms, 3)
            for position, name in enumerate(_PHASES)
        },
        "warm_execution_ms": round(statistics.median(warm) * ms, 3),
        "loop_idle_ms": round(per_test["idle"] * ms, 3),
        "blocking_selects": per_test["selects"],
        "handoffs_per_test": len(per_test["handoffs"]) / tests,
        "handoff_us": {
            name: round(statistics.median(h[position] for h in per_test["handoffs"]) * 1e6)
            for position, name in enumerate(("to_thread", "engine_work", "back_to_loop"))
        },
        "threads_started_per_test": per_test["threads"],
        "rpcs": per_test["rpcs"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=60)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.tests))))
