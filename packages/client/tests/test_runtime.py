"""tempyral.runtime: the names of temporalio.runtime, a Prometheus endpoint, a metric buffer."""

from __future__ import annotations

import inspect
import json
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta

import pytest

import tempyral.runtime
from tempyral.common import MetricMeter
from tempyral.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    MetricBuffer,
    MetricBufferDurationFormat,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)


def _official_names() -> dict[str, list[str]]:
    """Public names of temporalio.runtime and their parameters (another process: its core)."""
    script = (
        "import inspect, json, temporalio.runtime as m\n"
        "out = {}\n"
        "for n in dir(m):\n"
        "    o = getattr(m, n)\n"
        "    if n.startswith('_') or getattr(o, '__module__', '') != m.__name__: continue\n"
        "    try: out[n] = list(inspect.signature(o).parameters)\n"
        "    except (TypeError, ValueError): out[n] = []\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    names: dict[str, list[str]] = json.loads(done.stdout)
    return names


def test_names_and_signatures_match_temporalio_runtime() -> None:
    official = _official_names()
    configs = ("TelemetryConfig", "PrometheusConfig", "OpenTelemetryConfig", "LoggingConfig")
    for name in ("Runtime", "MetricBuffer", "TelemetryFilter", "LogForwardingConfig", *configs):
        ours = getattr(tempyral.runtime, name)
        assert list(inspect.signature(ours).parameters) == official[name], name
    missing = {n for n in official if n[0].isupper()} - set(tempyral.runtime.__all__)
    assert not missing


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_prometheus_endpoint_serves_counters_and_histograms_as_the_official_sdk() -> None:
    port = _port()
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"),
            global_tags={"env": "test"},
        )
    )
    try:
        meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
        meter.create_counter("orders").add(2, {"kind": "a"})
        meter.create_counter("orders").add(3, {"kind": "a"})
        latency = meter.create_histogram_timedelta("temporal_workflow_task_execution_latency")
        latency.record(timedelta(milliseconds=15))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        runtime.close()
    labels = 'env="test",kind="a",service_name="temporal-core-sdk",task_queue="q"'
    assert "# TYPE orders counter" in text
    assert f"orders{{{labels}}} 5" in text
    base = 'env="test",service_name="temporal-core-sdk",task_queue="q"'
    name = "temporal_workflow_task_execution_latency"
    assert f'{name}_bucket{{{base},le="10"}} 0' in text  # the official task buckets (ms)
    assert f'{name}_bucket{{{base},le="20"}} 1' in text
    assert f"{name}_sum{{{base}}} 15" in text


def test_prometheus_labels_follow_each_records_attributes() -> None:
    # 1, 1.0 and True are equal in Python but three different label values; the same attributes
    # in another order are the same series.
    port = _port()
    runtime = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"))
    )
    try:
        counter = runtime.metric_meter.create_counter("hits")
        for _ in range(2):
            counter.add(1, {"flag": True})
            counter.add(10, {"flag": 1})
            counter.add(100, {"flag": 1.0})
            counter.add(1000, {"flag": "1"})
            counter.add(3, {"a": "x", "b": "y"})
            counter.add(4, {"b": "y", "a": "x"})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        runtime.close()
    base = 'service_name="temporal-core-sdk"'
    assert f'hits{{flag="true",{base}}} 2' in text
    assert f'hits{{flag="1",{base}}} 2020' in text  # the int 1 and the string "1"
    assert f'hits{{flag="1.0",{base}}} 200' in text
    assert f'hits{{a="x",b="y",{base}}} 14' in text


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        with pytest.raises(RuntimeError, match="cannot serve Prometheus metrics"):
            Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(f"127.0.0.1:{taken}")))


def test_metric_buffer_keeps_updates_until_retrieved() -> None:
    buffer = MetricBuffer(100, duration_format=MetricBufferDurationFormat.SECONDS)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False))
    runtime.metric_meter.create_counter("hits").add(1, {"a": 1})
    runtime.metric_meter.create_histogram_timedelta("wait").record(timedelta(milliseconds=1500))
    updates = buffer.retrieve_updates()
    assert [(u.metric.name, u.metric.kind, u.value) for u in updates] == [
        ("hits", BUFFERED_METRIC_KIND_COUNTER, 1),
        ("wait", BUFFERED_METRIC_KIND_HISTOGRAM, 1.5),
    ]
    assert dict(updates[0].attributes) == {"a": 1}
    assert buffer.retrieve_updates() == []


def test_unconfigured_runtime_has_the_noop_meter_and_negative_values_are_refused() -> None:
    assert Runtime(telemetry=TelemetryConfig()).metric_meter is MetricMeter.noop
    counter = Runtime(telemetry=TelemetryConfig(metrics=MetricBuffer(10))).metric_meter
    with pytest.raises(ValueError, match="non-negative"):
        counter.create_counter("c").add(-1)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text: str = response.read().decode()
        return text


def test_prometheus_metrics_bound_to_attributes_expose_what_per_call_attributes_do() -> None:
    # A metric whose attributes are fixed records through a recorder bound to its cell: the
    # scrape must be the same as with the attributes passed on each call, a metric bound but
    # never recorded must not appear, and a gauge shows its last value whichever path set it.
    texts = []
    for bound in (False, True):
        port = _port()
        runtime = Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"))
        )
        try:
            meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
            attributes = {"kind": "a"}
            counter = meter.create_counter("orders")
            gauge = meter.create_gauge("slots")
            latency = meter.create_histogram_timedelta("temporal_activity_execution_latency")
            meter.create_counter("never").with_additional_attributes(attributes).add(0, None)
            meter.create_gauge("unset").with_additional_attributes(attributes)
            fixed_counter = counter.with_additional_attributes(attributes)
            fixed_gauge = gauge.with_additional_attributes(attributes)
            fixed_latency = latency.with_additional_attributes(attributes)
            for milliseconds in (3, 40, 700, 12_000):
                if bound:
                    fixed_counter.add(2)
                    fixed_latency.record(timedelta(milliseconds=milliseconds))
                else:
                    counter.add(2, attributes)
                    latency.record(timedelta(milliseconds=milliseconds), attributes)
                gauge.set(milliseconds, attributes)
                if bound:
                    fixed_gauge.set(milliseconds + 1)
                else:
                    gauge.set(milliseconds + 1, attributes)
            counter.add(1, {"kind": "b"})
            texts.append(_scrape(port))
        finally:
            runtime.close()
    assert texts[0] == texts[1]
    labels = 'kind="a",service_name="temporal-core-sdk",task_queue="q"'
    assert f"orders{{{labels}}} 8" in texts[1]
    assert f"slots{{{labels}}} 12001" in texts[1]
    assert f"temporal_activity_execution_latency_count{{{labels}}} 4" in texts[1]
    assert f"temporal_activity_execution_latency_sum{{{labels}}} 12743" in texts[1]
    assert f"never{{{labels}}} 0" in texts[1]  # recorded, if with 0
    assert "unset" not in texts[1]


def test_metric_buffer_gets_the_same_updates_from_metrics_bound_to_attributes() -> None:
    buffer = MetricBuffer(100)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False))
    meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
    counter = meter.create_counter("hits")
    gauge = meter.create_gauge("slots")
    meter.create_gauge("unset").with_additional_attributes({"kind": "a"})
    counter.add(1, {"kind": "a"})
    counter.with_additional_attributes({"kind": "a"}).add(1)
    gauge.set(4, {"kind": "a"})
    gauge.with_additional_attributes({"kind": "a"}).set(5)
    updates = buffer.retrieve_updates()
    assert [(u.metric.name, u.value, dict(u.attributes)) for u in updates] == [
        ("hits", 1, {"task_queue": "q", "kind": "a"}),
        ("hits", 1, {"task_queue": "q", "kind": "a"}),
        ("slots", 4, {"task_queue": "q", "kind": "a"}),
        ("slots", 5, {"task_queue": "q", "kind": "a"}),
    ]
    assert updates[0].metric is updates[1].metric
