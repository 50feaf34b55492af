"""RPC metrics of a service client, named as the official SDK's (``temporal_request``, ...).

One :py:class:`RpcMetrics` per client, recording into the client's runtime: a success counter and
a latency histogram per call, a failure counter (with the gRPC ``status_code``) per failed attempt;
long polls (task polls, history waits) go to the ``long_`` variants.
"""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.message import Message

from tempyral.common import MetricMeter

__all__ = ["RpcMetrics"]


class RpcMetrics:
    """The six RPC instruments, created once from the runtime's meter."""

    def __init__(self, meter: MetricMeter, prefix: str) -> None:
        self.enabled = meter is not MetricMeter.noop
        self._request = meter.create_counter(
            prefix + "request", "Count of client request successes by rpc name"
        )
        self._failure = meter.create_counter(
            prefix + "request_failure", "Count of client request failures by rpc name"
        )
        self._latency = meter.create_histogram_timedelta(
            prefix + "request_latency", "Histogram of client request latencies"
        )
        self._long_request = meter.create_counter(
            prefix + "long_request", "Count of long-poll request successes by rpc name"
        )
        self._long_failure = meter.create_counter(
            prefix + "long_request_failure", "Count of long-poll request failures by rpc name"
        )
        self._long_latency = meter.create_histogram_timedelta(
            prefix + "long_request_latency", "Histogram of client long-poll request latencies"
        )

    def succeeded(self, operation: str, req: Message, long: bool, seconds: float) -> None:
        attributes = _attributes(operation, req)
        (self._long_request if long else self._request).add(1, attributes)
        latency = self._long_latency if long else self._latency
        latency.record(timedelta(seconds=seconds), attributes)

    def failed(self, operation: str, req: Message, long: bool, status_code: str) -> None:
        attributes = {**_attributes(operation, req), "status_code": status_code}
        (self._long_failure if long else self._failure).add(1, attributes)


def _attributes(operation: str, req: Message) -> dict[str, str]:
    attributes = {"operation": operation}
    namespace = getattr(req, "namespace", None)
    if isinstance(namespace, str) and namespace:
        attributes["namespace"] = namespace
    task_queue = getattr(req, "task_queue", None)
    if isinstance(task_queue, Message):
        # A sticky poll is labelled with the worker's normal task queue, as the official SDK does.
        name = getattr(task_queue, "normal_name", "") or getattr(task_queue, "name", "")
        if name:
            attributes["task_queue"] = name
    return attributes
