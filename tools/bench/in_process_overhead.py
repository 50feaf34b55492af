"""Per-test overhead of the in-process environment next to a dev-server test, as a ratio.

One "test" is what a workflow test does: start an environment (in-process) or connect a client
(dev server, started once beforehand, as a session fixture does), start a worker, run a workflow
that sleeps 30 seconds then runs an activity, shut the worker down. The dev server cannot skip
the sleep, so the workflow there sleeps 0 s (a smaller job, which favours the dev server).

    hatch run python tools/bench/in_process_overhead.py [--tests 20]

Prints one JSON object: median seconds per test on each and the ratio (goal: >= 20).

Measured 2026-12-06, 2 cores shared with other sessions' tests and benchmarks (load average
2.6 to 4.9 through the runs), ``--tests 40``, eight runs alternating the starting commit
(1488ab5, A) and this branch (B). In-process ms per test, in run order:

- A: 7.3, 5.8, 5.3, 13.6, 10.3, 7.7, 8.9, 6.0 (median 7.5); ratio median 13.3
  (13.6, 17.2, 18.7, 7.2, 9.7, 12.9, 11.2, 16.5);
- B: 3.7, 3.8, 8.1, 6.3, 3.8, 4.6, 3.7, 7.7 (median 4.2); ratio median 23.6
  (26.7, 26.3, 12.3, 15.6, 25.9, 21.3, 26.8, 13.1);
- the dev server: 98.2 to 103.9 ms per test on both (it is unchanged).

What B changed: a worker's workflow threads are parked when it stops and taken by the next
worker (no thread start per test; the first activations on a new thread were slower too); no
log record is built that nothing takes; task-token renderings for redaction are worked out only
when a line is logged; requests smaller than every payload threshold are not walked; polls wait
on their result or the stop signal without ``asyncio.wait``. The in-process side's numbers move
most with load: a test hands three activations to a workflow thread and back, and each hand-off
waits for a core.
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
