"""``MetricsExporter`` without a server: a runtime's meter records, a reader sees the updates.

Counters add up, histograms count their recordings, and a gauge reports the latest value of each
attribute set (several updates between two drains, and several drains, must not add up). The
exporter's lifecycle: one run at a time, a shutdown asked before the run started still ends it,
and a nonsensical poll interval is refused up front.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tempyral.contrib.opentelemetry import MetricsExporter
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig


def readings(reader: InMemoryMetricReader) -> dict[tuple[str, frozenset[object]], float]:
    """(metric, attributes) -> a counter's sum, a histogram's count, a gauge's value."""
    values: dict[tuple[str, frozenset[object]], float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "temporalio"  # the official meter name, for dashboards
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    count = getattr(point, "count", None)
                    value = count if count is not None else getattr(point, "value", 0)
                    key = (metric.name, frozenset((point.attributes or {}).items()))
                    values[key] = value
    return values


def attrs(**attributes: object) -> frozenset[object]:
    return frozenset({"service_name": "temporal-core-sdk", **attributes}.items())


async def test_counters_histograms_and_gauges_reach_the_reader() -> None:
    buffer = MetricBuffer(1_000)
    meter = Runtime(telemetry=TelemetryConfig(metrics=buffer)).metric_meter
    reader = InMemoryMetricReader()
    exporter = MetricsExporter(
        buffer, MeterProvider(metric_readers=[reader]), poll_interval=timedelta(seconds=60)
    )
    gauge = meter.create_gauge("queue_depth", "items waiting", "items")
    counter = meter.create_counter("jobs", "jobs done")
    histogram = meter.create_histogram("job_size", "bytes per job", "By")
    async with exporter:
        gauge.set(5, {"queue": "a"})
        gauge.set(7, {"queue": "a"})
        gauge.set(1, {"queue": "b"})
        counter.add(2, {"queue": "a"})
        counter.add(3, {"queue": "a"})
        for size in (10, 20, 30):
            histogram.record(size)
    first = readings(reader)
    assert first[("queue_depth", attrs(queue="a"))] == 7
    assert first[("queue_depth", attrs(queue="b"))] == 1
    assert first[("jobs", attrs(queue="a"))] == 5
    assert first[("job_size", attrs())] == 3

    # A second run of the same exporter: the gauge's value is replaced, the counter adds on.
    async with exporter:
        gauge.set(4, {"queue": "a"})
        counter.add(1, {"queue": "a"})
    second = readings(reader)
    assert second[("queue_depth", attrs(queue="a"))] == 4
    assert second[("queue_depth", attrs(queue="b"))] == 1
    assert second[("jobs", attrs(queue="a"))] == 6


async def test_one_run_at_a_time_and_an_early_shutdown_is_kept() -> None:
    exporter = MetricsExporter(MetricBuffer(10), MeterProvider())
    async with exporter:
        await asyncio.sleep(0)  # let the background run start
        with pytest.raises(RuntimeError, match="already running"):
            await asyncio.wait_for(exporter.run(), 5)
    # shutdown() asked before run() gets to its loop still ends it (after one drain).
    run = asyncio.ensure_future(exporter.run())
    await asyncio.wait_for(exporter.shutdown(), 5)
    await asyncio.wait_for(run, 5)


def test_a_poll_interval_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="poll_interval must be positive"):
        MetricsExporter(MetricBuffer(10), MeterProvider(), poll_interval=timedelta(0))
