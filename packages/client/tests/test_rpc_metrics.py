"""RPC metrics carry the official labels: the RPC's name, its namespace and task queue when the
request has them (a sticky poll counts under the worker's normal task queue)."""

from __future__ import annotations

from google.protobuf.message import Message

from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    GetSystemInfoRequest,
    PollWorkflowTaskQueueRequest,
    RespondWorkflowTaskCompletedRequest,
)
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig
from tempyral.service._metrics import RpcMetrics

POLL = "PollWorkflowTaskQueue"


def _poll(namespace: str, queue: TaskQueue) -> PollWorkflowTaskQueueRequest:
    return PollWorkflowTaskQueueRequest(namespace=namespace, task_queue=queue)


def test_each_call_is_labelled_from_its_own_request() -> None:
    buffer = MetricBuffer(1000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    metrics = RpcMetrics(runtime.metric_meter, runtime.metric_prefix)
    sticky = TaskQueue(name="host-1-sticky", normal_name="orders")
    calls: list[tuple[str, Message]] = [
        (POLL, _poll("default", sticky)),
        (POLL, _poll("default", TaskQueue(name="orders"))),
        (POLL, _poll("other", TaskQueue(name="billing"))),
        ("RespondWorkflowTaskCompleted", RespondWorkflowTaskCompletedRequest(namespace="default")),
        ("GetSystemInfo", GetSystemInfoRequest()),
    ]
    for _ in range(2):  # the second time from what the first one remembered
        for operation, request in calls:
            metrics.succeeded(operation, request, long=False, seconds=0.01)
    metrics.failed("GetSystemInfo", GetSystemInfoRequest(), long=False, status_code="UNAVAILABLE")
    updates = buffer.retrieve_updates()
    counted = [
        (update.metric.name, dict(update.attributes))
        for update in updates
        if update.metric.name in ("temporal_request", "temporal_request_failure")
    ]
    latencies = [u.value for u in updates if u.metric.name == "temporal_request_latency"]
    assert latencies == [10] * 10  # milliseconds, one per success
    base = {"service_name": "temporal-core-sdk"}
    orders = {**base, "operation": POLL, "namespace": "default", "task_queue": "orders"}
    expected = [
        ("temporal_request", orders),
        ("temporal_request", orders),
        ("temporal_request", {**orders, "namespace": "other", "task_queue": "billing"}),
        (
            "temporal_request",
            {**base, "operation": "RespondWorkflowTaskCompleted", "namespace": "default"},
        ),
        ("temporal_request", {**base, "operation": "GetSystemInfo"}),
    ]
    failure = {**base, "operation": "GetSystemInfo", "status_code": "UNAVAILABLE"}
    assert counted == [*expected, *expected, ("temporal_request_failure", failure)]
