"""CPU and wall time of handing one activation to a workflow thread and getting its outcome back.

The worker runs each activation on a thread of its own pool (so that a stuck workflow can be
reported as a deadlock) through ``ActivationRunner``. This times that hand-off alone: four
"workflows" on one event loop, each running ``--calls`` / 4 activations one after another, each
activation a ~10 us loop of Python code standing in for the engine. Per call it reports the
process's CPU time, the wall time and the context switches. A tempyral-only measurement (the
official SDK hands activations from its Rust core to Python differently); compare commits by
running it from two checkouts in turn. Run from the repository root::

    hatch run python tools/bench/activation_handoff.py [--calls 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time

from tempyral.worker._workflow_activation import ActivationRunner
from tempyral.worker._workflow_threads import WorkflowThreads

CONCURRENT = 4


def engine_stand_in() -> int:
    total = 0
    for number in range(300):
        total += number
    return total


async def one_round(runner: ActivationRunner, calls: int) -> dict[str, float]:
    async def workflow(count: int) -> None:
        for _ in range(count):
            await runner.run(engine_stand_in)

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(workflow(calls // CONCURRENT) for _ in range(CONCURRENT)))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "cpu_us_per_call": round(1e6 * cpu / calls, 1),
        "wall_us_per_call": round(1e6 * wall / calls, 1),
        "context_switches_per_call": round(
            (after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) / calls, 2
        ),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    threads = WorkflowThreads(CONCURRENT, name_prefix="handoff_")
    runner = ActivationRunner(None, deadlock_timeout=2.0, threads=threads)
    try:
        await one_round(runner, 2_000)  # warm-up: threads started, code paths warm
        rounds = [await one_round(runner, args.calls) for _ in range(args.rounds)]
    finally:
        threads.shutdown()
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(json.dumps({"calls": args.calls, "rounds": rounds, "median": medians}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
