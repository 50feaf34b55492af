"""The runtime's additions for code that records often: gauges read at scrape time, and
count/duration recorders that give the exporter what the instruments' own methods give."""

from __future__ import annotations

import gc
import socket
import urllib.request
import weakref
from datetime import timedelta

import pytest

from tempyral.common import MetricMeter
from tempyral.runtime import (
    MetricBuffer,
    MetricBufferDurationFormat,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    count_recorder,
    read_gauge_when_exported,
    seconds_recorder,
    stop_reading_gauge,
)


def _prometheus() -> tuple[Runtime, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    config = TelemetryConfig(
        metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"), attach_service_name=False
    )
    return Runtime(telemetry=config), port


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text: str = response.read().decode()
        return text


class _Pool:
    def __init__(self) -> None:
        self.in_use = 1


def test_prometheus_reads_a_gauge_at_each_scrape_and_keeps_its_last_value_after() -> None:
    runtime, port = _prometheus()
    try:
        meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
        pool = _Pool()

        def read(pool: _Pool = pool) -> float:
            return pool.in_use

        labels = {"worker_type": "W"}
        assert read_gauge_when_exported(meter, "slots_used", "Slots used", labels, read)
        series = 'slots_used{task_queue="q",worker_type="W"}'
        assert f"{series} 1" in _scrape(port)
        pool.in_use = 3
        assert f"{series} 3" in _scrape(port)
        stop_reading_gauge(meter, "slots_used", labels, read)
        pool.in_use = 7
        text = _scrape(port)
        assert f"{series} 3" in text  # the value read last, as a gauge set last
        assert "# HELP slots_used Slots used" in text
        # Stopped, the exporter holds nothing of the pool.
        gone = weakref.ref(pool)
        del pool, read
        gc.collect()
        assert gone() is None
    finally:
        runtime.close()


def test_of_two_reads_of_one_series_the_later_is_exported_until_stopped() -> None:
    runtime, port = _prometheus()
    try:
        meter = runtime.metric_meter
        assert read_gauge_when_exported(meter, "g", None, {}, lambda: 1)

        def second() -> float:
            return 2

        assert read_gauge_when_exported(meter, "g", None, {}, second)
        assert "\ng 2\n" in _scrape(port)
        stop_reading_gauge(meter, "g", {}, second)
        assert "\ng 1\n" in _scrape(port)
    finally:
        runtime.close()


def test_sinks_that_need_values_pushed_do_not_read_gauges() -> None:
    buffer = MetricBuffer(100)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    assert not read_gauge_when_exported(runtime.metric_meter, "g", None, {}, lambda: 1)
    assert not read_gauge_when_exported(MetricMeter.noop, "g", None, {}, lambda: 1)
    assert buffer.retrieve_updates() == []


@pytest.mark.parametrize("durations_as_seconds", [False, True])
def test_recorders_give_the_exporter_what_the_instruments_give(
    durations_as_seconds: bool,
) -> None:
    buffer = MetricBuffer(
        100,
        duration_format=(
            MetricBufferDurationFormat.SECONDS
            if durations_as_seconds
            else MetricBufferDurationFormat.MILLISECONDS
        ),
    )
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False))
    meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
    counter = meter.create_counter("c")
    latency = meter.create_histogram_timedelta("h")
    for seconds in (0.25, 0.0019999996, 1.5):
        latency.record(timedelta(seconds=seconds))
        seconds_recorder(latency)(seconds)
    seconds_recorder(latency)(-1.0)  # a clock going back counts as no time
    counter.add(2)
    count_recorder(counter)(2)
    with pytest.raises(ValueError, match="non-negative"):
        count_recorder(counter)(-1)
    values = [(u.metric.name, u.value, dict(u.attributes)) for u in buffer.retrieve_updates()]
    expected = [0.25, 0.002, 1.5] if durations_as_seconds else [250, 2, 1500]
    histogram = [value for name, value, _ in values if name == "h"]
    assert histogram == [v for v in expected for _ in range(2)] + [0]
    assert [value for name, value, _ in values if name == "c"] == [2, 2]
    assert all(attributes == {"task_queue": "q"} for _, _, attributes in values)


def test_recorders_of_a_users_meter_go_through_its_instruments() -> None:
    recorded: list[object] = []

    class Histogram:
        def record(self, value: timedelta, additional_attributes: object = None) -> None:
            recorded.append(value)

    class Counter:
        def add(self, value: int, additional_attributes: object = None) -> None:
            recorded.append(value)

    seconds_recorder(Histogram())(0.5)  # type: ignore[arg-type]
    count_recorder(Counter())(3)  # type: ignore[arg-type]
    assert recorded == [timedelta(seconds=0.5), 3]
