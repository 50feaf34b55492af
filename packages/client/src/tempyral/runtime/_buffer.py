"""A bounded buffer of metric updates for in-process consumers (``MetricBuffer``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NewType

from tempyral.common import MetricAttributes, logger
from tempyral.runtime._meter import BoundRecorder, MetricKind, bound_through_record

__all__ = [
    "BUFFERED_METRIC_KIND_COUNTER",
    "BUFFERED_METRIC_KIND_GAUGE",
    "BUFFERED_METRIC_KIND_HISTOGRAM",
    "BufferedMetric",
    "BufferedMetricKind",
    "BufferedMetricUpdate",
    "MetricBuffer",
    "MetricBufferDurationFormat",
]

BufferedMetricKind = NewType("BufferedMetricKind", int)
BUFFERED_METRIC_KIND_COUNTER = BufferedMetricKind(0)
BUFFERED_METRIC_KIND_GAUGE = BufferedMetricKind(1)
BUFFERED_METRIC_KIND_HISTOGRAM = BufferedMetricKind(2)


class MetricBufferDurationFormat(Enum):
    """Unit of duration values in buffered updates."""

    MILLISECONDS = 1
    SECONDS = 2


@dataclass(frozen=True)
class BufferedMetric:
    """A metric of buffered updates; the same object for the same name (compare with ``is``)."""

    name: str
    description: str | None
    unit: str | None
    kind: BufferedMetricKind


@dataclass(frozen=True)
class BufferedMetricUpdate:
    """One update: a delta for counters, the value for gauges and histograms."""

    metric: BufferedMetric
    value: int | float
    attributes: MetricAttributes


class MetricBuffer:
    """Set on :py:attr:`TelemetryConfig.metrics` to keep updates for :py:meth:`retrieve_updates`.

    Updates beyond ``buffer_size`` are dropped (with an error log): drain the buffer regularly.
    """

    def __init__(
        self,
        buffer_size: int,
        duration_format: MetricBufferDurationFormat = MetricBufferDurationFormat.MILLISECONDS,
    ) -> None:
        if buffer_size <= 0:
            raise ValueError(f"MetricBuffer buffer_size must be positive, got {buffer_size}")
        self._buffer_size = buffer_size
        self.durations_as_seconds = duration_format is MetricBufferDurationFormat.SECONDS
        self._updates: list[BufferedMetricUpdate] = []
        self._metrics: dict[str, BufferedMetric] = {}
        self._lock = threading.Lock()
        self._dropped = False

    def retrieve_updates(self) -> Sequence[BufferedMetricUpdate]:
        """Take every update recorded since the last call."""
        with self._lock:
            updates, self._updates = self._updates, []
            self._dropped = False
        return updates

    def record(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        value: float,
        attributes: Mapping[str, str | int | float | bool],
    ) -> None:
        with self._lock:
            if len(self._updates) >= self._buffer_size:
                if not self._dropped:
                    self._dropped = True
                    logger.error(
                        "MetricBuffer is full ({} updates): dropping updates until "
                        "retrieve_updates() drains it",
                        self._buffer_size,
                    )
                return
            metric = self._metrics.get(name)
            if metric is None:
                metric = BufferedMetric(name, description, unit, BufferedMetricKind(kind.value))
                self._metrics[name] = metric
            self._updates.append(BufferedMetricUpdate(metric, value, attributes))

    def bind(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        attributes: Mapping[str, str | int | float | bool],
    ) -> BoundRecorder:
        # Each update carries the bound mapping itself, as record() is given it.
        return bound_through_record(self, kind, name, description, unit, attributes)
