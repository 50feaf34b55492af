"""The ``MetricsExporter`` scenario of ``test_opentelemetry_metrics.py`` on the official SDK alone.

    python official_otel_metrics.py --target HOST:PORT --queue Q --id ID

A runtime with a ``MetricBuffer``, drained by the official ``MetricsExporter`` into a
``MeterProvider`` with an ``InMemoryMetricReader``; a client and worker on that runtime run
``MetricsScenario`` (one activity) to completion. Prints ``METRICS <json>``: what the reader got,
as ``describe_metrics`` in the test makes it, except the attribute names, which come from the
buffer's updates: the official exporter caches converted attributes by ``id()`` of the update's
mapping, and a freed mapping's id is reused, so its reader can show another metric's attributes
(seen: ``temporal_activity_execution_latency`` with only ``operation`` and ``service_name``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.opentelemetry import MetricsExporter
from temporalio.runtime import BufferedMetricUpdate, MetricBuffer, Runtime, TelemetryConfig
from temporalio.worker import Worker


@activity.defn(name="metrics_scenario_step")
async def step(value: int) -> int:
    return value + 1


@workflow.defn(name="MetricsScenario")
class MetricsScenario:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(
            step, value, start_to_close_timeout=timedelta(seconds=10)
        )


class AttributeNamesBuffer(MetricBuffer):
    """A buffer that notes the attribute names of each metric's updates as they are drained."""

    def __init__(self, buffer_size: int) -> None:
        super().__init__(buffer_size)
        self.attribute_names: dict[str, set[str]] = {}

    def retrieve_updates(self) -> Sequence[BufferedMetricUpdate]:
        updates = super().retrieve_updates()
        for update in updates:
            self.attribute_names.setdefault(update.metric.name, set()).update(update.attributes)
        return updates


def describe_metrics(
    reader: InMemoryMetricReader, attribute_names: dict[str, set[str]]
) -> dict[str, dict[str, Any]]:
    """Per ``temporal_*`` metric: its point type, unit and the union of its attribute names."""
    described: dict[str, dict[str, Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if not metric.name.startswith("temporal_"):
                    continue
                described[metric.name] = {
                    "type": type(metric.data).__name__,
                    "unit": metric.unit,
                    "attributes": sorted(attribute_names.get(metric.name, ())),
                }
    return described


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--id", required=True)
    args = parser.parse_args()

    buffer = AttributeNamesBuffer(100_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    reader = InMemoryMetricReader()
    async with MetricsExporter(
        buffer, MeterProvider(metric_readers=[reader]), poll_interval=timedelta(milliseconds=100)
    ):
        client = await Client.connect(args.target, runtime=runtime)
        async with Worker(
            client,
            task_queue=args.queue,
            workflows=[MetricsScenario],
            activities=[step],
        ):
            result = await client.execute_workflow(
                MetricsScenario.run, 1, id=args.id, task_queue=args.queue
            )
            assert result == 2, result
    described = describe_metrics(reader, buffer.attribute_names)
    print("METRICS " + json.dumps(described, sort_keys=True), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
