"""OTLP metrics export (``OpenTelemetryConfig``) to real receivers started by the tests.

A worker runs a workflow with an activity on a runtime that pushes to a small OTLP receiver: the
collector's ``MetricsService`` over gRPC (the generated service of ``opentelemetry-proto`` on a
real gRPC server), or the ``/v1/metrics`` endpoint of OTLP/HTTP (a standard-library HTTP server
decoding the protobuf body). The receivers record every request; the assertions read what a
collector would store: names, units, attributes, resource, temporality and bucket boundaries.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent import futures
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.runtime import (
    OpenTelemetryConfig,
    OpenTelemetryMetricTemporality,
    Runtime,
    TelemetryConfig,
    read_gauge_when_exported,
    stop_reading_gauge,
)
from tempyral.worker import Worker

Request = metrics_service_pb2.ExportMetricsServiceRequest


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class Greets:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


class Received:
    """Every export request a receiver took, with the headers it came with."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def add(self, request: Request, headers: dict[str, str]) -> None:
        with self.lock:
            self.requests.append(request)
            self.headers.append(headers)

    def metrics(self, name: str) -> list[tuple[dict[str, Any], Metric]]:
        """Each exported ``name`` with the attributes of the resource it came from."""
        found = []
        with self.lock:
            for request in self.requests:
                for resource_metrics in request.resource_metrics:
                    resource = _attributes(resource_metrics.resource.attributes)
                    for scope in resource_metrics.scope_metrics:
                        found += [(resource, m) for m in scope.metrics if m.name == name]
        return found


def _value(value: AnyValue) -> Any:
    return getattr(value, value.WhichOneof("value") or "string_value")


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received) -> None:
        self._received = received

    def Export(
        self, request: Request, context: grpc.ServicerContext
    ) -> metrics_service_pb2.ExportMetricsServiceResponse:
        self._received.add(request, {k: str(v) for k, v in context.invocation_metadata()})
        return metrics_service_pb2.ExportMetricsServiceResponse()


@pytest.fixture
def grpc_receiver() -> Iterator[tuple[str, Received]]:
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_MetricsService(received), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"http://127.0.0.1:{port}", received
    server.stop(grace=None)


@pytest.fixture
def http_receiver() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != "/v1/metrics" or self.headers["Content-Type"] != (
                "application/x-protobuf"
            ):
                self.send_response(404)
                self.end_headers()
                return
            received.add(Request.FromString(body), {k.lower(): v for k, v in self.headers.items()})
            answer = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/metrics", received
    server.shutdown()
    server.server_close()


async def _run_workload(target: str, runtime: Runtime) -> str:
    client = await Client.connect(target, runtime=runtime)
    task_queue = f"otlp-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[Greets], activities=[greet]):
        for name in ("a", "b"):
            result = await client.execute_workflow(
                Greets.run, name, id=f"otlp-{uuid.uuid4()}", task_queue=task_queue
            )
            assert result == f"hello {name}"
    runtime.close()  # the last export happens here
    return task_queue


async def test_grpc_receiver_gets_worker_metrics_with_their_attributes(
    tempyral_target: str, grpc_receiver: tuple[str, Received]
) -> None:
    url, received = grpc_receiver
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=OpenTelemetryConfig(
                url=url,
                headers={"authorization": "Bearer t0ken"},
                metric_periodicity=timedelta(milliseconds=200),
            ),
            global_tags={"deployment": "staging"},
        )
    )
    task_queue = await _run_workload(tempyral_target, runtime)

    completed = received.metrics("temporal_workflow_completed")
    assert completed, "no temporal_workflow_completed reached the receiver"
    resource, last = completed[-1]
    assert resource["service.name"] == "temporal-core-sdk"
    assert resource["deployment"] == "staging"  # global tags are resource attributes
    assert last.sum.is_monotonic
    cumulative = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    assert last.sum.aggregation_temporality == cumulative
    points = [
        p for p in last.sum.data_points if _attributes(p.attributes)["task_queue"] == task_queue
    ]
    assert len(points) == 1
    attributes = _attributes(points[0].attributes)
    assert attributes["workflow_type"] == "Greets"
    assert attributes["namespace"] == "default"
    assert attributes["service_name"] == "temporal-core-sdk"
    assert "deployment" not in attributes
    assert points[0].as_int == 2  # cumulative: both runs in the last export

    _, latency = received.metrics("temporal_activity_execution_latency")[-1]
    assert latency.unit == "ms"
    assert list(latency.histogram.data_points[0].explicit_bounds) == [
        50,
        100,
        500,
        1000,
        5000,
        10_000,
        60_000,
    ]
    assert all(h.get("authorization") == "Bearer t0ken" for h in received.headers)

    # Slot gauges are read at each export; the last one, after the worker stopped, has every
    # slot given back.
    _, used = received.metrics("temporal_worker_task_slots_used")[-1]
    by_type = {
        _attributes(point.attributes)["worker_type"]: point.as_int
        for point in used.gauge.data_points
        if _attributes(point.attributes)["task_queue"] == task_queue
    }
    assert by_type["WorkflowWorker"] == by_type["ActivityWorker"] == 0


async def test_http_receiver_gets_delta_metrics_in_seconds_with_overrides(
    tempyral_target: str, http_receiver: tuple[str, Received]
) -> None:
    url, received = http_receiver
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=OpenTelemetryConfig(
                url=url,
                http=True,
                headers={"x-tenant": "blue"},
                metric_periodicity=timedelta(milliseconds=200),
                metric_temporality=OpenTelemetryMetricTemporality.DELTA,
                durations_as_seconds=True,
                histogram_bucket_overrides={"workflow_endtoend_latency": [0.5, 5.0]},
            ),
            metric_prefix="myapp_",
            attach_service_name=False,
        )
    )
    task_queue = await _run_workload(tempyral_target, runtime)

    assert not received.metrics("temporal_workflow_completed")
    completed = received.metrics("myapp_workflow_completed")
    assert completed
    total = 0
    for _, metric in completed:
        assert metric.sum.aggregation_temporality == (
            AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
        )
        for point in metric.sum.data_points:
            attributes = _attributes(point.attributes)
            assert "service_name" not in attributes
            if attributes["task_queue"] == task_queue:
                total += point.as_int
    assert total == 2  # delta: the exports add up to the runs

    _, latency = received.metrics("myapp_workflow_endtoend_latency")[-1]
    assert latency.unit == "s"
    assert list(latency.histogram.data_points[0].explicit_bounds) == [0.5, 5.0]
    _, schedule_to_start = received.metrics("myapp_activity_schedule_to_start_latency")[-1]
    assert list(schedule_to_start.histogram.data_points[0].explicit_bounds) == [
        0.1,
        0.5,
        1,
        5,
        10,
        100,
        1000,
    ]
    assert all(h.get("x-tenant") == "blue" for h in received.headers)


def test_a_url_without_scheme_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"http://localhost:4317"):
        Runtime(telemetry=TelemetryConfig(metrics=OpenTelemetryConfig(url="localhost:4317")))


def test_gauges_read_at_export_reach_the_receiver_and_keep_their_last_value(
    grpc_receiver: tuple[str, Received],
) -> None:
    url, received = grpc_receiver
    config = OpenTelemetryConfig(url=url, metric_periodicity=timedelta(milliseconds=100))
    runtime = Runtime(telemetry=TelemetryConfig(metrics=config, attach_service_name=False))
    value = [3]

    def read() -> float:
        return value[0]

    labels = {"worker_type": "W"}
    meter = runtime.metric_meter
    assert read_gauge_when_exported(meter, "slots_used", "Slots used", labels, read)

    def exported() -> list[int]:
        return [
            point.as_int
            for _, metric in received.metrics("slots_used")
            for point in metric.gauge.data_points
            if _attributes(point.attributes) == labels
        ]

    deadline = time.monotonic() + 10
    while 3 not in exported() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 3 in exported()
    value[0] = 5
    while 5 not in exported() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop_reading_gauge(meter, "slots_used", labels, read)
    value[0] = 9  # no longer read: the value read when stopped stays
    runtime.close()
    assert exported()[-1] == 5
    assert 9 not in exported()
