"""The scenario of ``test_opentelemetry_metrics_replay_safe.py`` on the official SDK alone.

    python official_replay_safe.py --target HOST:PORT --queue Q --id ID

Sets global ``ReplaySafeMeterProvider`` and ``ReplaySafeLoggerProvider`` over an
``InMemoryMetricReader`` and an in-memory log exporter, runs ``RecordsOnce`` on a worker with no
workflow cache (every task replays the run from the start), queries it once, and replays its
history with a ``Replayer``. Prints ``POINTS <json>`` (each metric's sum, histogram count or
gauge value) and ``LOGS <json>`` (the emitted bodies, sorted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import timedelta

import opentelemetry._logs
import opentelemetry.metrics
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.opentelemetry import ReplaySafeLoggerProvider, ReplaySafeMeterProvider
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker


@activity.defn
async def tick() -> None:
    return None


@workflow.defn
class RecordsOnce:
    @workflow.run
    async def run(self, run_id: str) -> None:
        meter = opentelemetry.metrics.get_meter("replay-safe-test")
        attributes = {"run": run_id}
        meter.create_counter("runs").add(1, attributes)
        meter.create_up_down_counter("open").add(1, attributes)
        meter.create_histogram("sizes").record(7, attributes)
        meter.create_gauge("level").set(3, attributes)
        logger = opentelemetry._logs.get_logger("replay-safe-test")
        if logger.enabled():
            logger.emit(body="started")
        for _ in range(3):
            await workflow.execute_activity(tick, start_to_close_timeout=timedelta(seconds=10))

    @workflow.query
    def looked_at(self, run_id: str) -> str:
        opentelemetry.metrics.get_meter("replay-safe-test").create_counter("queries").add(1)
        opentelemetry._logs.get_logger("replay-safe-test").emit(body="queried")
        return "seen"


def points(reader: InMemoryMetricReader) -> dict[str, float]:
    values: dict[str, float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    count = getattr(point, "count", None)
                    value = count if count is not None else getattr(point, "value", 0)
                    values[metric.name] = values.get(metric.name, 0) + value
    return values


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--id", required=True)
    args = parser.parse_args()

    reader = InMemoryMetricReader()
    logs = InMemoryLogRecordExporter()
    loggers = LoggerProvider()
    loggers.add_log_record_processor(SimpleLogRecordProcessor(logs))
    opentelemetry.metrics.set_meter_provider(
        ReplaySafeMeterProvider(MeterProvider(metric_readers=[reader]))
    )
    opentelemetry._logs.set_logger_provider(ReplaySafeLoggerProvider(loggers))

    client = await Client.connect(args.target)
    async with Worker(
        client,
        task_queue=args.queue,
        workflows=[RecordsOnce],
        activities=[tick],
        max_cached_workflows=0,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            RecordsOnce.run,
            "official",
            id=args.id,
            task_queue=args.queue,
            execution_timeout=timedelta(seconds=60),
        )
        await handle.result()
        assert await handle.query(RecordsOnce.looked_at, "official") == "seen"
    await Replayer(
        workflows=[RecordsOnce], workflow_runner=UnsandboxedWorkflowRunner()
    ).replay_workflow(await handle.fetch_history())
    print("POINTS " + json.dumps(points(reader), sort_keys=True), flush=True)
    bodies = sorted(str(data.log_record.body) for data in logs.get_finished_logs())
    print("LOGS " + json.dumps(bodies), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
