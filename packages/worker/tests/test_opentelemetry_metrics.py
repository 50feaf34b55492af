"""``MetricsExporter``: a worker's own metrics reach an OpenTelemetry reader, as the official SDK's.

The same scenario runs on tempyral (here) and on the official SDK
(``scripts/official_otel_metrics.py``, its own process): a runtime with a ``MetricBuffer``, drained
by ``MetricsExporter`` into a ``MeterProvider`` with an ``InMemoryMetricReader``; a client and
worker on that runtime run ``MetricsScenario`` (one activity). The reader must get the official
metric names, with the same point types, units and attribute names.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData, Sum

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.contrib.opentelemetry import MetricsExporter
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

OFFICIAL = Path(__file__).parent / "scripts" / "official_otel_metrics.py"
# Metrics both SDKs record in this scenario, compared by point type, unit and attribute names.
COMPARED = [
    "temporal_activity_execution_latency",
    "temporal_activity_schedule_to_start_latency",
    "temporal_activity_succeed_endtoend_latency",
    "temporal_request",
    "temporal_request_latency",
    "temporal_workflow_completed",
    "temporal_workflow_endtoend_latency",
    "temporal_workflow_task_execution_latency",
    "temporal_workflow_task_schedule_to_start_latency",
]


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


def describe_metrics(data: MetricsData | None) -> dict[str, dict[str, Any]]:
    """Per ``temporal_*`` metric: its point type, unit and the union of its attribute names."""
    described: dict[str, dict[str, Any]] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if not metric.name.startswith("temporal_"):
                    continue
                entry = described.setdefault(
                    metric.name,
                    {"type": type(metric.data).__name__, "unit": metric.unit, "attributes": []},
                )
                names = set(entry["attributes"])
                for point in metric.data.data_points:
                    names.update(point.attributes or {})
                entry["attributes"] = sorted(names)
    return described


def completed_runs(data: MetricsData | None, task_queue: str) -> float:
    """``temporal_workflow_completed`` of the task queue's ``MetricsScenario`` runs."""
    total: float = 0
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "temporal_workflow_completed":
                    continue
                assert isinstance(metric.data, Sum)
                for point in metric.data.data_points:
                    attributes = dict(point.attributes or {})
                    if attributes.get("task_queue") == task_queue:
                        assert attributes["workflow_type"] == "MetricsScenario"
                        total += point.value
    return total


async def run_official(target: str) -> dict[str, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(OFFICIAL),
        "--target",
        target,
        "--queue",
        f"otel-metrics-official-{uuid.uuid4()}",
        "--id",
        f"otel-metrics-official-{uuid.uuid4()}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    output = out.decode()
    assert process.returncode == 0, output
    lines = [line for line in output.splitlines() if line.startswith("METRICS ")]
    assert lines, output
    described: dict[str, dict[str, Any]] = json.loads(lines[-1].split(" ", 1)[1])
    return described


async def test_worker_metrics_reach_an_opentelemetry_reader_as_the_official_sdks(
    tempyral_target: str,
) -> None:
    official_run = asyncio.ensure_future(run_official(tempyral_target))
    buffer = MetricBuffer(100_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    reader = InMemoryMetricReader()
    queue = f"otel-metrics-{uuid.uuid4()}"
    async with MetricsExporter(
        buffer, MeterProvider(metric_readers=[reader]), poll_interval=timedelta(milliseconds=100)
    ):
        client = await Client.connect(tempyral_target, runtime=runtime)
        async with Worker(client, task_queue=queue, workflows=[MetricsScenario], activities=[step]):
            result = await client.execute_workflow(
                MetricsScenario.run, 1, id=f"otel-metrics-{uuid.uuid4()}", task_queue=queue
            )
            assert result == 2
    data = reader.get_metrics_data()
    assert completed_runs(data, queue) == 1
    ours = describe_metrics(data)
    theirs = await official_run
    missing = [name for name in COMPARED if name not in ours or name not in theirs]
    assert not missing, f"not recorded by tempyral {sorted(ours)} or official {sorted(theirs)}"
    differences = [
        f"{name}: tempyral {ours[name]} != official {theirs[name]}"
        for name in COMPARED
        if ours[name] != theirs[name]
    ]
    assert not differences, "\n".join(differences)
