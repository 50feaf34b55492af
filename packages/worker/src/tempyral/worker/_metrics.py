"""The official SDK's worker metrics, recorded into the client's runtime.

Names, labels and meanings follow Temporal's core SDK (``temporal_workflow_completed``, ...; the
``temporal_`` prefix is the runtime's ``metric_prefix``): every metric carries ``namespace`` and
``task_queue``, workflow metrics ``workflow_type``, activity metrics ``activity_type`` and
``workflow_type``, slot metrics ``worker_type``, poller metrics ``poller_type``. Durations are
milliseconds unless the runtime's exporter asks for seconds.

The worker's modules call the methods here at the points where things happen (a poll returned, a
task completed, ...); with no metrics configured the meter is the no-op one and each call costs a
method call. One :py:class:`WorkerMetrics` per runtime, namespace and task queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tempyral.api.dependencies.google.protobuf.timestamp_pb2 import Timestamp
from tempyral.api.enums.v1.command_type_pb2 import (
    COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
    COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
)
from tempyral.client import Client
from tempyral.common import MetricAttributes, MetricMeter
from tempyral.replay import NondeterminismError
from tempyral.runtime import (
    GaugeRead,
    Runtime,
    count_recorder,
    read_gauge_when_exported,
    seconds_recorder,
    stop_reading_gauge,
)
from tempyral.worker._slots import SlotPool

__all__ = [
    "WorkerMetrics",
    "activity_labels",
    "run_start_time",
    "runtime_meter",
    "worker_metrics",
]

_FINISHES = {
    COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: "workflow_completed",
    COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: "workflow_failed",
    COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: "workflow_canceled",
    COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: "workflow_continue_as_new",
}

# name -> (kind, description); kinds: c counter, h duration histogram, g gauge.
_INSTRUMENTS = {
    "workflow_completed": ("c", "Count of successfully completed workflows"),
    "workflow_failed": ("c", "Count of failed workflows"),
    "workflow_canceled": ("c", "Count of canceled workflows"),
    "workflow_continue_as_new": ("c", "Count of continued-as-new workflows"),
    "workflow_endtoend_latency": ("h", "Histogram of total workflow execution latencies"),
    "workflow_task_queue_poll_succeed": ("c", "Count of workflow task queue poll successes"),
    "workflow_task_queue_poll_empty": (
        "c",
        "Count of workflow task queue long polls that timed out",
    ),
    "workflow_task_execution_failed": ("c", "Count of workflow task execution failures"),
    "workflow_task_schedule_to_start_latency": (
        "h",
        "Histogram of workflow task schedule-to-start latencies",
    ),
    "workflow_task_execution_latency": (
        "h",
        "Histogram of workflow task execution (not replay) latencies",
    ),
    "workflow_task_replay_latency": ("h", "Histogram of workflow task replay latencies"),
    "activity_poll_no_task": ("c", "Count of activity task queue long polls that timed out"),
    "activity_task_received": ("c", "Count of activity task queue poll successes"),
    "activity_execution_failed": ("c", "Count of activity task execution failures"),
    "activity_execution_cancelled": ("c", "Count of activity task executions cancelled"),
    "activity_schedule_to_start_latency": (
        "h",
        "Histogram of activity schedule-to-start latencies",
    ),
    "activity_execution_latency": ("h", "Histogram of activity execution latencies"),
    "activity_succeed_endtoend_latency": (
        "h",
        "Histogram of activity execution latencies for successful activities",
    ),
    "local_activity_total": ("c", "Count of local activities executed"),
    "local_activity_execution_failed": ("c", "Count of local activity executions that failed"),
    "local_activity_execution_cancelled": ("c", "Count of local activity executions cancelled"),
    "local_activity_execution_latency": ("h", "Histogram of local activity execution latencies"),
    "local_activity_succeed_endtoend_latency": (
        "h",
        "Histogram of local activity execution latencies for successful local activities",
    ),
    "nexus_poll_no_task": ("c", "Count of nexus task queue long polls that timed out"),
    "nexus_task_schedule_to_start_latency": (
        "h",
        "Histogram of nexus task schedule-to-start latencies",
    ),
    "nexus_task_execution_failed": ("c", "Count of nexus task execution failures"),
    "nexus_task_execution_latency": ("h", "Histogram of nexus task execution latencies"),
    "nexus_task_endtoend_latency": (
        "h",
        "Histogram of nexus task end-to-end latencies, from schedule to response",
    ),
    "sticky_cache_hit": ("c", "Count of times the workflow cache was used for a new workflow task"),
    "sticky_cache_miss": (
        "c",
        "Count of times the workflow cache was missing a workflow for a sticky task",
    ),
    "sticky_cache_total_forced_eviction": ("c", "Count of evictions of cached workflows"),
    "sticky_cache_size": ("g", "Current number of cached workflows"),
    "worker_start": ("c", "Count of the number of initialized workers"),
    "num_pollers": ("g", "Current number of active pollers per queue type"),
    "worker_task_slots_available": ("g", "Current number of available slots per task type"),
    "worker_task_slots_used": ("g", "Current number of used slots per task type"),
}

_BOUND_CACHE_SIZE = 4096
"""Instruments bound to a label set remembered per task queue; past this many the cache starts
over (label sets are few: workflow and activity types, failure reasons)."""


class WorkerMetrics:
    """Records the worker metrics of one task queue."""

    def __init__(self, meter: MetricMeter, prefix: str) -> None:
        self.enabled = meter is not MetricMeter.noop
        self._meter = meter
        self._prefix = prefix
        self._instruments: dict[str, Any] = {}
        for name, (kind, description) in _INSTRUMENTS.items():
            full = prefix + name
            if kind == "c":
                self._instruments[name] = meter.create_counter(full, description)
            elif kind == "h":
                self._instruments[name] = meter.create_histogram_timedelta(full, description)
            else:
                self._instruments[name] = meter.create_gauge(full, description)

        # Per name and label set (workflow type, activity type, ...): a function recording one
        # value of the instrument bound to them, so a record neither merges labels nor passes
        # through the instrument's own methods (dozens of records per workflow).
        self._recorders: dict[tuple[str, tuple[tuple[str, object], ...]], Callable[[Any], None]]
        self._recorders = {}
        # Per slot pool watched: the gauge reads its exporter makes at scrape time.
        self._reads: list[tuple[SlotPool, list[tuple[str, dict[str, str], GaugeRead]]]] = []

    def _recorder(self, name: str, attributes: MetricAttributes | None) -> Callable[[Any], None]:
        items = tuple(attributes.items()) if attributes else ()
        recorder = self._recorders.get((name, items))
        if recorder is None:
            instrument = self._instruments[name]
            if attributes:
                instrument = instrument.with_additional_attributes(attributes)
            kind = _INSTRUMENTS[name][0]
            if kind == "c":
                recorder = count_recorder(instrument)
            elif kind == "h":
                recorder = seconds_recorder(instrument)
            else:
                recorder = instrument.set
            # Only all-string sets are remembered: 1, 1.0 and True are equal keys but are
            # different labels.
            if all(type(value) is str for _, value in items):
                if len(self._recorders) >= _BOUND_CACHE_SIZE:
                    self._recorders.clear()
                self._recorders[name, items] = recorder
        return recorder

    def count(self, name: str, attributes: MetricAttributes | None = None) -> None:
        if self.enabled:
            self._recorder(name, attributes)(1)

    def duration(
        self, name: str, seconds: float, attributes: MetricAttributes | None = None
    ) -> None:
        if self.enabled:
            self._recorder(name, attributes)(seconds)

    def gauge(self, name: str, value: int, attributes: MetricAttributes | None = None) -> None:
        if self.enabled:
            self._recorder(name, attributes)(value)

    # -- composite events ------------------------------------------------------------------

    def watch_slots(self, slots: SlotPool, worker_type: str) -> None:
        """Keep the slot gauges of ``slots`` (``WorkflowWorker``, ``ActivityWorker``, ...): read
        at scrape time when the exporter can, else set on every change (twice per task).
        :py:meth:`unwatch_slots` undoes it."""
        if not self.enabled:
            return
        attributes = {"worker_type": worker_type}

        def read_available() -> float | None:
            size = slots.size
            return None if size is None else size - slots.in_use

        def read_used() -> float | None:
            return slots.in_use

        reads: list[tuple[str, dict[str, str], GaugeRead]] = [
            ("worker_task_slots_used", attributes, read_used)
        ]
        if slots.size is not None:  # a custom supplier's capacity is unknown: no such gauge
            reads.append(("worker_task_slots_available", attributes, read_available))
        # One meter, one sink: it takes every read or none (the first answer decides).
        if all(
            read_gauge_when_exported(
                self._meter, self._prefix + name, _INSTRUMENTS[name][1], labels, read
            )
            for name, labels, read in reads
        ):
            self._reads.append((slots, reads))
            return
        # The exporter needs values pushed.
        set_available = self._recorder("worker_task_slots_available", attributes)
        set_used = self._recorder("worker_task_slots_used", attributes)

        def changed(supplier: SlotPool) -> None:
            if supplier.size is not None:  # a custom supplier's capacity is unknown
                set_available(supplier.size - supplier.in_use)
            set_used(supplier.in_use)

        slots.on_change = changed
        changed(slots)

    def unwatch_slots(self, *pools: SlotPool) -> None:
        """Stop reading the gauges of ``pools`` (a worker shutting down): the exporter keeps
        their last values and no reference to the pools."""
        kept: list[tuple[SlotPool, list[tuple[str, dict[str, str], GaugeRead]]]] = []
        for slots, reads in self._reads:
            if any(slots is pool for pool in pools):
                for name, labels, read in reads:
                    stop_reading_gauge(self._meter, self._prefix + name, labels, read)
            else:
                kept.append((slots, reads))
        self._reads = kept

    def poll_returned(self, prefix: str, has_task: bool, task: Any) -> None:
        """A workflow (``prefix="workflow"``) or activity poll came back."""
        if prefix == "workflow":
            self.count(
                "workflow_task_queue_poll_succeed" if has_task else "workflow_task_queue_poll_empty"
            )
        elif not has_task:
            self.count("activity_poll_no_task")
        if has_task and self.enabled:
            if prefix == "workflow":
                waited = _between(task.scheduled_time, task.started_time)
                self.duration("workflow_task_schedule_to_start_latency", waited)
            else:
                waited = _between(task.current_attempt_scheduled_time, task.started_time)
                self.duration("activity_schedule_to_start_latency", waited)

    def watch_activity_worker(self, slots: SlotPool, local_slots: SlotPool, pollers: int) -> None:
        self.watch_slots(slots, "ActivityWorker")
        self.watch_slots(local_slots, "LocalActivityWorker")
        self.gauge("num_pollers", pollers, {"poller_type": "activity_task"})

    def nexus_poll_returned(self, task: Any) -> None:
        """A Nexus poll came back (``task.task_token`` empty: the long poll timed out)."""
        if not task.task_token:
            self.count("nexus_poll_no_task")
        elif self.enabled and task.request.scheduled_time.seconds:
            waited = _since(task.request.scheduled_time)
            self.duration("nexus_task_schedule_to_start_latency", waited)

    def nexus_task_done(
        self, task: Any, *, seconds: float, failure_reason: str | None, reported: bool
    ) -> None:
        """A Nexus task ran for ``seconds``; ``failure_reason`` as core labels it (``timeout``,
        ``handler_error_<TYPE>``, ``operation_failed``, ...); ``reported``: sent to the server."""
        if not self.enabled:
            return
        self.duration("nexus_task_execution_latency", seconds)
        if failure_reason is not None:
            self.count("nexus_task_execution_failed", {"failure_reason": failure_reason})
        if reported and task.request.scheduled_time.seconds:
            self.duration("nexus_task_endtoend_latency", _since(task.request.scheduled_time))

    def workflow_task_ran(
        self,
        workflow_type: str,
        error: BaseException | None,
        seconds: float,
        *,
        replaying: bool | None,
    ) -> None:
        """A task ran (``error`` if it failed); ``replaying``: None on a run's first task."""
        attributes = {"workflow_type": workflow_type}
        if error is not None:
            reason = _task_failure_reason(error)
            self.count("workflow_task_execution_failed", {**attributes, "failure_reason": reason})
            return
        # As the core SDK: every task's execution, and the catch-up part of every task after the
        # first (whole when the run was rebuilt from history, nothing when it came from cache).
        self.duration("workflow_task_execution_latency", seconds, attributes)
        if replaying is not None:
            self.duration("workflow_task_replay_latency", seconds if replaying else 0.0, attributes)

    def workflow_finished(self, commands: Any, workflow_type: str, started_at: float) -> None:
        """A workflow task completed with ``commands``: count the run's end if it ended."""
        if not self.enabled:
            return
        for command in commands:
            name = _FINISHES.get(command.command_type)
            if name is not None:
                attributes = {"workflow_type": workflow_type}
                self.count(name, attributes)
                if started_at:
                    self.duration("workflow_endtoend_latency", time.time() - started_at, attributes)

    def activity_attempt(
        self,
        kind: str,
        *,
        local: bool,
        seconds: float,
        scheduled: Timestamp | None,
        attributes: MetricAttributes,
    ) -> None:
        """An activity attempt ended with outcome ``kind`` after ``seconds``."""
        if not self.enabled:
            return
        prefix = "local_activity" if local else "activity"
        if local:
            self.count("local_activity_total", attributes)
        self.duration(f"{prefix}_execution_latency", seconds, attributes)
        if kind == "completed":
            since = seconds if scheduled is None or not scheduled.seconds else _since(scheduled)
            self.duration(f"{prefix}_succeed_endtoend_latency", since, attributes)
        elif kind == "failed":
            self.count(
                f"{prefix}_execution_failed", {**attributes, "failure_reason": "ActivityError"}
            )
        elif kind == "cancelled":
            self.count(f"{prefix}_execution_cancelled", attributes)


def activity_labels(task: Any, *, eager: bool | None = None) -> dict[str, str]:
    """The labels of an activity task's metrics (``eager`` only on ``activity_task_received``)."""
    labels = {"activity_type": task.activity_type.name, "workflow_type": task.workflow_type.name}
    if eager is not None:
        labels["eager"] = "true" if eager else "false"
    return labels


def run_start_time(events: Any) -> float:
    """When a run started (epoch seconds): the time of its first history event, or 0."""
    return float(events[0].event_time.ToNanoseconds()) / 1e9 if events else 0.0


def _task_failure_reason(error: BaseException) -> str:
    """The ``failure_reason`` label of a failed workflow task, as the core SDK names them."""
    return "NonDeterminismError" if isinstance(error, NondeterminismError) else "Workflow"


def _between(start: Timestamp, end: Timestamp) -> float:
    if not start.seconds or not end.seconds:
        return 0.0
    return (end.ToNanoseconds() - start.ToNanoseconds()) / 1e9


def _since(start: Timestamp) -> float:
    return time.time() - start.ToNanoseconds() / 1e9


_by_queue: dict[tuple[Runtime, str, str], WorkerMetrics] = {}


def _runtime(client: Client) -> Runtime:
    runtime = getattr(client.service_client.config, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else Runtime.default()


def runtime_meter(client: Client) -> MetricMeter:
    """The meter of custom metrics (``workflow.metric_meter()``, ``activity.metric_meter()``)."""
    return _runtime(client).metric_meter


def worker_metrics(client: Client, task_queue: str) -> WorkerMetrics:
    """The metrics of ``task_queue`` in the runtime of ``client`` (created on first use)."""
    runtime = _runtime(client)
    key = (runtime, client.namespace, task_queue)
    metrics = _by_queue.get(key)
    if metrics is None:
        meter = runtime.metric_meter.with_additional_attributes(
            {"namespace": client.namespace, "task_queue": task_queue}
        )
        metrics = _by_queue[key] = WorkerMetrics(meter, runtime.metric_prefix)
    return metrics
