"""Per-test overhead of the in-process environment next to a dev-server test, as a ratio.

One "test" is what a workflow test does: start an environment (in-process) or connect a client
(dev server, started once beforehand, as a session fixture does), start a worker, run a workflow
that sleeps 30 seconds then runs an activity, shut the worker down. The dev server cannot skip
the sleep, so the workflow there sleeps 0 s (a smaller job, which favours the dev server).

    hatch run python tools/bench/in_process_overhead.py [--tests 20]

Prints one JSON object: median seconds per test on each and the ratio (goal: >= 20).

Measured 2026-12-06 on 2 cores shared with other sessions' tests and benchmarks (load average
2.6 to 4.9 throughout; no quiet period came), ``--tests 40``, sixteen runs alternating the
starting commit (1488ab5, A) and this branch (B; the first eight before its last change,
525ad37). In-process ms per test, in run order:

- A: 7.3, 5.8, 5.3, 13.6, 10.3, 7.7, 8.9, 6.0 | 16.4, 7.8, 5.2, 7.0, 6.4, 4.9, 6.9, 6.5
  (median 6.95); ratio median 14.3 (6.1 to 19.8);
- B: 3.7, 3.8, 8.1, 6.3, 3.8, 4.6, 3.7, 7.7 | 4.6, 4.2, 8.2, 3.7, 5.2, 7.0, 6.3, 9.8
  (median 4.9); ratio median 20.0 (10.6 to 26.8);
- the dev server: 97.5 to 103.8 ms per test on both sides (unchanged).

Under that load the wall-clock figures follow the scheduler (a test hands three activations to a
workflow thread and back, and each hand-off waits for a core). CPU time is steadier: a scratch
loop of this file's in-process test (200 tests after 20 warm-up, five alternating runs, same
load) used 6.15, 6.07, 6.25, 6.71, 6.21 ms of process CPU per test on A and 4.55, 4.12, 4.67,
4.47, 4.16 on B (median 6.21 -> 4.47), of which the event loop's thread 4.88 -> 3.07.

What B changed: a worker's workflow threads are parked when it stops and the next worker takes
them (no thread start per test, and no thread woken to end or to be handed over); no log record
is built that nothing takes; task-token renderings for redaction are worked out only when a line
is logged; requests smaller than every payload threshold are not walked; polls, and a poller's
watch over its loops, wait through done callbacks instead of ``asyncio.wait``.

Second round, 2026-12-06, against 576d321 (A) under heavier load (load average 6.7 to 9.6 on the 2
cores throughout), ``--tests 40``, four runs each alternating. In-process ms per test: A 8.0, 4.1,
6.5, 3.4 (median 5.3; ratio 12.4, 24.6, 15.3, 29.4); B 7.2, 10.6, 6.4, 3.4 (median 6.8; ratio 13.9,
9.5, 15.4, 30.8); the dev server 98.0 to 105.6 ms. At this load the wall-clock figures follow the
scheduler and show no difference either way. The scratch CPU loop (300 tests after 20 warm-up, ten
alternating runs, load 7 to 10): process CPU per test A 4.13, 4.45, 4.77, 4.04, 4.60, 4.03, 3.95,
4.16, 5.05, 5.43 (median 4.31), B 4.73, 4.46, 4.49, 4.10, 4.41, 4.09, 3.79, 4.64, 4.69, 4.64
(median 4.47; median of the ten paired differences -0.08); event-loop thread median A 3.02, B 3.14:
no change beyond the noise.

What B changed is below that noise: a stopped worker, its pollers and its activities' heartbeat and
timeout helpers are freed by reference counting (objects the cycle collector frees per test 415 ->
219, and its CPU per test, summed over generations, 0.44, 0.38, 0.33 -> 0.31, 0.30, 0.29 ms in
three alternating runs of 400 tests), and a run's ``workflow.info()`` is built once instead of
twice (about 30 us). What the collector still frees each test: the client (``Client`` and its
outbound implementation refer to each other, as do the service client and its
``workflow_service``), with the transport and the in-memory server under it, and the engine's
per-run objects.

Quiet machine (load average 0.7-1.3, nothing else running), later the same day, on main after the
second round (stopped workers freed by reference counting, per-run memory cuts): eight runs of
``--tests 40`` gave 3.9, 4.5, 3.9, 3.9, 3.9, 4.0, 3.9, 4.0 ms per test in process against
98.9-99.8 ms on the dev server, ratios 25.8, 22.3, 25.8, 25.7, 25.4, 24.9, 25.7, 25.1 (median
25.6); three of them alternated with the session's starting commit 1488ab5, which gave 5.3, 5.3,
5.2 ms (ratios 18.8, 18.8, 19.0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import timedelta

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.testing import DevServer, start_in_process
from tempyral.worker import Worker


@activity.defn
async def echo(text: str) -> str:
    return text


@workflow.defn
class SleepThenEcho:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return await workflow.execute_activity(
            echo, "done", start_to_close_timeout=timedelta(seconds=10)
        )


async def one_test(client: Client, index: int, seconds: float) -> None:
    async with Worker(
        client,
        task_queue=f"bench-{index}",
        workflows=[SleepThenEcho],
        activities=[echo],
        build_id="bench",
    ):
        result = await client.execute_workflow(
            SleepThenEcho.run,
            seconds,
            id=f"bench-{index}-{time.time_ns()}",
            task_queue=f"bench-{index}",
        )
        assert result == "done"


async def in_process_test(index: int) -> float:
    started = time.perf_counter()
    async with await start_in_process() as env:
        await one_test(env.client, index, 30.0)
    return time.perf_counter() - started


async def dev_server_test(target: str, index: int) -> float:
    started = time.perf_counter()
    client = await Client.connect(target)
    await one_test(client, index, 0.0)
    return time.perf_counter() - started


async def main(tests: int) -> dict[str, float]:
    await in_process_test(-1)  # warm-up: imports, first-use caches
    in_process = [await in_process_test(index) for index in range(tests)]
    with DevServer() as server:
        await dev_server_test(server.target, -1)
        dev_server = [await dev_server_test(server.target, index) for index in range(tests)]
    in_process_median = statistics.median(in_process)
    dev_server_median = statistics.median(dev_server)
    return {
        "tests": tests,
        "in_process_seconds_per_test": round(in_process_median, 4),
        "dev_server_seconds_per_test": round(dev_server_median, 4),
        "ratio_dev_server_over_in_process": round(dev_server_median / in_process_median, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=20)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.tests))))
