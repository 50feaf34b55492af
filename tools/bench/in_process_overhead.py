"""Per-test overhead of the in-process environment next to a dev-server test, as a ratio.

One "test" is what a workflow test does: start an environment (in-process) or connect a client
(dev server, started once beforehand, as a session fixture does), start a worker, run a workflow
that sleeps 30 seconds then runs an activity, shut the worker down. The dev server cannot skip
the sleep, so the workflow there sleeps 0 s (a smaller job, which favours the dev server).

    hatch run python tools/bench/in_process_overhead.py [--tests 20]

Prints one JSON object: median seconds per test on each and the ratio (goal: >= 20).
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
