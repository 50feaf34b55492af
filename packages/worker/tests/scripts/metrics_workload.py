"""The metrics workload, written once against whichever SDK is named on the command line.

``python workload.py official|tempyral --target HOST:PORT --task-queue Q --port P`` starts a worker
of that SDK with a Prometheus endpoint on ``127.0.0.1:P``, runs a fixed set of workflows through it
(completed, failed, continued-as-new, with activities, a failing activity, a local activity), prints
``DONE`` and waits for a line on stdin before it stops, so the test can scrape the endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import re
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

SDK = "official" if "official" in sys.argv[1:2] else "tempyral"
ROOT = "temporalio" if SDK == "official" else "tempyral"
m = {
    name: importlib.import_module(f"{ROOT}.{name}")
    for name in ("activity", "client", "common", "exceptions", "runtime", "worker", "workflow")
}
activity, workflow, runtime = m["activity"], m["workflow"], m["runtime"]
ApplicationError = m["exceptions"].ApplicationError
RetryPolicy = m["common"].RetryPolicy


@activity.defn(name="say")
async def say(name: str) -> str:
    activity.metric_meter().create_counter("custom_activity_counter").add(1)
    return f"hi {name}"


@activity.defn(name="broken")
async def broken() -> None:
    raise ApplicationError("broken on purpose", non_retryable=True)


@workflow.defn(name="MetricsHappy", sandboxed=False)
class Happy:
    @workflow.run
    async def run(self, name: str) -> str:
        workflow.metric_meter().create_counter("custom_workflow_counter").add(1)
        first = await workflow.execute_activity(
            say, name, start_to_close_timeout=timedelta(seconds=10)
        )
        second = await workflow.execute_local_activity(
            say, name, start_to_close_timeout=timedelta(seconds=10)
        )
        return first + second


@workflow.defn(name="MetricsFailing", sandboxed=False)
class Failing:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            broken,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )


@workflow.defn(name="MetricsContinue", sandboxed=False)
class Continue:
    @workflow.run
    async def run(self, left: int) -> int:
        if left > 0:
            workflow.continue_as_new(left - 1)
        return left


async def run(sdk: str, target: str, task_queue: str, port: int) -> None:
    telemetry = runtime.TelemetryConfig(
        metrics=runtime.PrometheusConfig(bind_address=f"127.0.0.1:{port}")
    )
    rt = runtime.Runtime(telemetry=telemetry)
    client = await m["client"].Client.connect(target, runtime=rt)
    worker_kwargs: dict[str, Any] = {}
    if sdk == "official":
        from temporalio.worker import UnsandboxedWorkflowRunner

        worker_kwargs["workflow_runner"] = UnsandboxedWorkflowRunner()
    async with m["worker"].Worker(
        client,
        task_queue=task_queue,
        workflows=[Happy, Failing, Continue],
        activities=[say, broken],
        **worker_kwargs,
    ):
        for i in range(3):
            await client.execute_workflow(
                "MetricsHappy", f"n{i}", id=f"happy-{uuid.uuid4()}", task_queue=task_queue
            )
        with contextlib.suppress(m["client"].WorkflowFailureError):
            await client.execute_workflow(
                "MetricsFailing", id=f"failing-{uuid.uuid4()}", task_queue=task_queue
            )
        await client.execute_workflow(
            "MetricsContinue", 2, id=f"continue-{uuid.uuid4()}", task_queue=task_queue
        )
        # The client learns of a run's end when the server does, which may be before the worker
        # has seen its completion acknowledged and counted it: wait for the worker's own counts.
        await asyncio.get_running_loop().run_in_executor(None, wait_for_counts, port)
        print("DONE", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


# 3 happy + 1 failing + 3 continue runs end; 3 happy + the last continue run complete.
EXPECTED_ENDS = {"temporal_workflow_endtoend_latency_count": 7, "temporal_workflow_completed": 4}


def wait_for_counts(port: int, deadline: float = 15.0) -> None:
    """Until the endpoint shows every run's end (or ``deadline`` seconds pass: the test then
    reports what is missing)."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        totals = dict.fromkeys(EXPECTED_ENDS, 0.0)
        for name, value in re.findall(r"^(\w+)(?:\{.*\})? (\S+)$", text, re.MULTILINE):
            if name in totals:
                totals[name] += float(value)
        if all(totals[name] >= count for name, count in EXPECTED_ENDS.items()):
            return
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sdk", choices=["official", "tempyral"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.sdk, args.target, args.task_queue, args.port))


if __name__ == "__main__":
    main()
