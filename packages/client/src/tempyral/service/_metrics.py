"""RPC metrics of a service client, named as the official SDK's (``temporal_request``, ...).

One :py:class:`RpcMetrics` per client, recording into the client's runtime: a success counter and
a latency histogram per call, a failure counter (with the gRPC ``status_code``) per failed attempt;
long polls (task polls, history waits) go to the ``long_`` variants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from tempyral.common import MetricMeter
from tempyral.runtime import count_recorder, seconds_recorder

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

        # Per label set and long or not: recorders of the success counter and the latency
        # histogram bound to the labels (about a dozen calls per workflow on a worker).
        self._bound: dict[
            tuple[tuple[str, str, str], bool],
            tuple[Callable[[int], None], Callable[[float], None]],
        ] = {}

    def succeeded(self, operation: str, req: Message, long: bool, seconds: float) -> None:
        key = _key(operation, req)
        bound = self._bound.get((key, long))
        if bound is None:
            attributes = _attributes_of_key(key)
            counter = self._long_request if long else self._request
            latency = self._long_latency if long else self._latency
            if len(self._bound) >= _ATTRIBUTES_CACHE_SIZE:
                self._bound.clear()
            bound = self._bound[key, long] = (
                count_recorder(counter.with_additional_attributes(attributes)),
                seconds_recorder(latency.with_additional_attributes(attributes)),
            )
        bound[0](1)
        bound[1](seconds)

    def failed(self, operation: str, req: Message, long: bool, status_code: str) -> None:
        attributes = {**_attributes_of_key(_key(operation, req)), "status_code": status_code}
        (self._long_failure if long else self._failure).add(1, attributes)


_ATTRIBUTES_CACHE_SIZE = 1024
"""Label sets remembered (an RPC name with a namespace and a task queue): few in practice."""

# Per request type: whether it has a string ``namespace`` and a message ``task_queue`` field.
_fields_of: dict[type[Message], tuple[bool, bool]] = {}
_attributes_of: dict[tuple[str, str, str], dict[str, str]] = {}


def _labelled_fields(req: Message) -> tuple[bool, bool]:
    fields = _fields_of.get(type(req))
    if fields is None:
        by_name = req.DESCRIPTOR.fields_by_name
        namespace = by_name.get("namespace")
        task_queue = by_name.get("task_queue")
        fields = _fields_of[type(req)] = (
            namespace is not None and namespace.type == namespace.TYPE_STRING,
            task_queue is not None and task_queue.message_type is not None,
        )
    return fields


def _key(operation: str, req: Message) -> tuple[str, str, str]:
    """The labels of one call as a key: the operation, the namespace and the task queue (``""``
    if the request has none). Read per call, so the requests' fields are looked up by type, not
    by a failing ``getattr``."""
    has_namespace, has_task_queue = _labelled_fields(req)
    fields: Any = req
    namespace: str = fields.namespace if has_namespace else ""
    task_queue = ""
    if has_task_queue:
        queue = fields.task_queue
        # A sticky poll is labelled with the worker's normal task queue, as the official SDK does.
        task_queue = getattr(queue, "normal_name", "") or getattr(queue, "name", "")
    return (operation, namespace, task_queue)


def _attributes_of_key(key: tuple[str, str, str]) -> dict[str, str]:
    """The labels of ``key``, built once per distinct set. The dict returned is shared: callers
    copy it, never change it."""
    attributes = _attributes_of.get(key)
    if attributes is None:
        operation, namespace, task_queue = key
        attributes = {"operation": operation}
        if namespace:
            attributes["namespace"] = namespace
        if task_queue:
            attributes["task_queue"] = task_queue
        if len(_attributes_of) >= _ATTRIBUTES_CACHE_SIZE:
            _attributes_of.clear()
        _attributes_of[key] = attributes
    return attributes
