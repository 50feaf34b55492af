"""The metric meter behind a runtime: every record goes to one sink (Prometheus or a buffer).

A metric is a name, a kind and a set of attributes; the meter merges its own attributes (global
tags, the worker's namespace and task queue, ...) with those of each call, the later winning. A
record without attributes of its own goes through a recorder the sink bound once to the metric's
fixed attributes (a worker records dozens of values per workflow, most of them this way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import Enum
from typing import Protocol, runtime_checkable

from typing_extensions import Self

from tempyral.common import (
    MetricAttributes,
    MetricCommon,
    MetricCounter,
    MetricGauge,
    MetricGaugeFloat,
    MetricHistogram,
    MetricHistogramFloat,
    MetricHistogramTimedelta,
    MetricMeter,
)

__all__ = [
    "BoundRecorder",
    "GaugeRead",
    "GaugeReadingSink",
    "MetricKind",
    "MetricSink",
    "RecordingMeter",
    "bound_through_record",
    "count_recorder",
    "read_gauge_when_exported",
    "seconds_recorder",
    "stop_reading_gauge",
]

BoundRecorder = Callable[[float], None]
"""Records one value of one metric with attributes fixed when it was bound."""

GaugeRead = Callable[[], "float | None"]
"""Reads a gauge's current value when the metrics are exported (None: no value now)."""


class MetricKind(Enum):
    COUNTER = 0
    GAUGE = 1
    HISTOGRAM = 2


class MetricSink(Protocol):
    """Where values go: called on every record, so it must be cheap."""

    durations_as_seconds: bool

    def record(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        value: float,
        attributes: Mapping[str, str | int | float | bool],
    ) -> None: ...

    def bind(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        attributes: Mapping[str, str | int | float | bool],
    ) -> BoundRecorder:
        """A recorder whose every call has the effect of ``record`` with these arguments and
        its value. Binding alone records nothing: a metric never recorded is never exposed."""
        ...


@runtime_checkable
class GaugeReadingSink(Protocol):
    """A sink that can read a gauge at export or scrape time instead of being told each change."""

    def read_gauge(
        self,
        name: str,
        description: str | None,
        attributes: Mapping[str, str | int | float | bool],
        read: GaugeRead,
    ) -> None:
        """Export the value ``read`` returns, from now until :py:meth:`stop_reading_gauge`."""
        ...

    def stop_reading_gauge(
        self, name: str, attributes: Mapping[str, str | int | float | bool], read: GaugeRead
    ) -> None:
        """Forget ``read``; the gauge keeps the value it read last, as a set gauge would."""
        ...


def bound_through_record(
    sink: MetricSink,
    kind: MetricKind,
    name: str,
    description: str | None,
    unit: str | None,
    attributes: Mapping[str, str | int | float | bool],
) -> BoundRecorder:
    """A ``bind`` for a sink with nothing to resolve ahead: each value goes through ``record``
    with the bound mapping itself, as an unbound record would give it."""

    def record(value: float) -> None:
        sink.record(kind, name, description, unit, value, attributes)

    return record


def _merge(
    base: MetricAttributes, extra: MetricAttributes | None
) -> Mapping[str, str | int | float | bool]:
    if not extra:
        return base
    return {**base, **extra}


class _Metric(MetricCommon):
    kind: MetricKind

    def __init__(
        self,
        sink: MetricSink,
        name: str,
        description: str | None,
        unit: str | None,
        attributes: MetricAttributes,
    ) -> None:
        self._sink = sink
        self._name = name
        self._description = description
        self._unit = unit
        self._attributes = attributes
        self._bound: BoundRecorder | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str | None:
        return self._description

    @property
    def unit(self) -> str | None:
        return self._unit

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> Self:
        return type(self)(
            self._sink,
            self._name,
            self._description,
            self._unit,
            _merge(self._attributes, additional_attributes),
        )

    def _bound_recorder(self) -> BoundRecorder:
        bound = self._bound
        if bound is None:
            # Two threads racing here bind twice: each recorder is as good as the other.
            bound = self._bound = self._sink.bind(
                self.kind, self._name, self._description, self._unit, self._attributes
            )
        return bound

    def _record(self, value: float, additional_attributes: MetricAttributes | None) -> None:
        if value < 0:
            raise ValueError(f"metric {self._name!r} takes non-negative values, got {value}")
        if not additional_attributes:
            self._bound_recorder()(value)
            return
        self._sink.record(
            self.kind,
            self._name,
            self._description,
            self._unit,
            value,
            _merge(self._attributes, additional_attributes),
        )


class _Counter(_Metric, MetricCounter):
    kind = MetricKind.COUNTER

    def _count_recorder(self) -> BoundRecorder:
        """The bound recorder with ``add``'s check (``add`` itself checks in ``_record``)."""
        bound = self._bound_recorder()

        def add(value: float) -> None:
            if value < 0:
                raise ValueError(f"metric {self._name!r} takes non-negative values, got {value}")
            bound(value)

        return add

    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._record(value, additional_attributes)


class _Histogram(_Metric, MetricHistogram):
    kind = MetricKind.HISTOGRAM

    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._record(value, additional_attributes)


class _HistogramFloat(_Metric, MetricHistogramFloat):
    kind = MetricKind.HISTOGRAM

    def record(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        self._record(value, additional_attributes)


class _HistogramTimedelta(_Metric, MetricHistogramTimedelta):
    kind = MetricKind.HISTOGRAM

    def record(
        self, value: timedelta, additional_attributes: MetricAttributes | None = None
    ) -> None:
        seconds = value.total_seconds()
        amount = seconds if self._sink.durations_as_seconds else int(seconds * 1000)
        self._record(amount, additional_attributes)

    def _seconds_recorder(self) -> Callable[[float], None]:
        # Rounded to microseconds first, as a timedelta given to record() would be.
        bound = self._bound_recorder()
        if self._sink.durations_as_seconds:

            def record_seconds(seconds: float) -> None:
                bound(round(seconds, 6) if seconds > 0 else 0.0)

            return record_seconds

        def record_milliseconds(seconds: float) -> None:
            bound(int(round(seconds, 6) * 1000) if seconds > 0 else 0)

        return record_milliseconds


class _Gauge(_Metric, MetricGauge):
    kind = MetricKind.GAUGE

    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._record(value, additional_attributes)


class _GaugeFloat(_Metric, MetricGaugeFloat):
    kind = MetricKind.GAUGE

    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        self._record(value, additional_attributes)


class RecordingMeter(MetricMeter):
    """A meter whose metrics record into ``sink`` with ``attributes`` attached."""

    def __init__(self, sink: MetricSink, attributes: MetricAttributes) -> None:
        self._sink = sink
        self._attributes = attributes

    def _unit(self, unit: str | None, duration: bool) -> str | None:
        if duration and unit is None:
            return "s" if self._sink.durations_as_seconds else "ms"
        return unit

    def create_counter(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricCounter:
        return _Counter(self._sink, name, description, unit, self._attributes)

    def create_histogram(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogram:
        return _Histogram(self._sink, name, description, unit, self._attributes)

    def create_histogram_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramFloat:
        return _HistogramFloat(self._sink, name, description, unit, self._attributes)

    def create_histogram_timedelta(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramTimedelta:
        return _HistogramTimedelta(
            self._sink, name, description, self._unit(unit, True), self._attributes
        )

    def create_gauge(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGauge:
        return _Gauge(self._sink, name, description, unit, self._attributes)

    def create_gauge_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGaugeFloat:
        return _GaugeFloat(self._sink, name, description, unit, self._attributes)

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> MetricMeter:
        return RecordingMeter(self._sink, _merge(self._attributes, additional_attributes))

    def _read_gauge(
        self, name: str, description: str | None, attributes: MetricAttributes, read: GaugeRead
    ) -> bool:
        if not isinstance(self._sink, GaugeReadingSink):
            return False
        self._sink.read_gauge(name, description, _merge(self._attributes, attributes), read)
        return True

    def _stop_reading_gauge(self, name: str, attributes: MetricAttributes, read: GaugeRead) -> None:
        if isinstance(self._sink, GaugeReadingSink):
            self._sink.stop_reading_gauge(name, _merge(self._attributes, attributes), read)


def read_gauge_when_exported(
    meter: MetricMeter,
    name: str,
    description: str | None,
    attributes: MetricAttributes,
    read: GaugeRead,
) -> bool:
    """Have ``meter``'s sink read gauge ``name`` (with the meter's and these ``attributes``)
    through ``read`` whenever it exports, instead of being told each change.

    True when the sink does so (the Prometheus endpoint reads at scrape time, the OTLP exporter
    through an observable gauge at each export); False when it needs values pushed (a
    ``MetricBuffer``, the no-op or a user's meter): then keep setting the gauge. Undo with
    :py:func:`stop_reading_gauge`, which drops the sink's reference to ``read``.
    """
    if not isinstance(meter, RecordingMeter):
        return False
    return meter._read_gauge(name, description, attributes, read)


def stop_reading_gauge(
    meter: MetricMeter, name: str, attributes: MetricAttributes, read: GaugeRead
) -> None:
    """Stop reading a gauge registered by :py:func:`read_gauge_when_exported` with the same
    arguments; it keeps its last value. Nothing happens if ``read`` is not registered."""
    if isinstance(meter, RecordingMeter):
        meter._stop_reading_gauge(name, attributes, read)


def count_recorder(counter: MetricCounter) -> Callable[[int], None]:
    """A function adding its argument to ``counter``, with fewer calls between it and the sink
    than ``counter.add`` when the counter is one of a runtime's (the worker adds dozens of
    counts per workflow)."""
    if isinstance(counter, _Counter):
        return counter._count_recorder()
    return counter.add


def seconds_recorder(histogram: MetricHistogramTimedelta) -> Callable[[float], None]:
    """A function recording a duration given in seconds (negative taken as 0) into
    ``histogram``, without building a ``timedelta`` when the histogram is one of a runtime's."""
    if isinstance(histogram, _HistogramTimedelta):
        return histogram._seconds_recorder()

    def record(seconds: float) -> None:
        histogram.record(timedelta(seconds=max(seconds, 0.0)))

    return record
