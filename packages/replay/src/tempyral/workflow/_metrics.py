"""``workflow.metric_meter()``: custom metrics from workflow code that replays do not repeat.

A workflow's code runs again on every replay; its metrics must count what happened once. The
meter here wraps the worker's meter and drops every record made while the run is replaying, the
way the official SDK's workflow meter does. Without a worker (the ``Replayer``) it is the no-op
meter's wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tempyral.common import (
    MetricAttributes,
    MetricCounter,
    MetricGauge,
    MetricGaugeFloat,
    MetricHistogram,
    MetricHistogramFloat,
    MetricHistogramTimedelta,
    MetricMeter,
)

__all__ = ["ReplaySafeMeter"]


class _ReplaySafe:
    """Forwards records to ``inner`` only while the run is not replaying."""

    def __init__(self, inner: Any, replaying: Callable[[], bool]) -> None:
        self._inner = inner
        self._replaying = replaying

    @property
    def name(self) -> str:
        name: str = self._inner.name
        return name

    @property
    def description(self) -> str | None:
        description: str | None = self._inner.description
        return description

    @property
    def unit(self) -> str | None:
        unit: str | None = self._inner.unit
        return unit

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> Any:
        inner = self._inner.with_additional_attributes(additional_attributes)
        return type(self)(inner, self._replaying)


class _Counter(_ReplaySafe, MetricCounter):
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        if not self._replaying():
            self._inner.add(value, additional_attributes)


class _Histogram(_ReplaySafe, MetricHistogram):
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        if not self._replaying():
            self._inner.record(value, additional_attributes)


class _HistogramFloat(_ReplaySafe, MetricHistogramFloat):
    def record(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        if not self._replaying():
            self._inner.record(value, additional_attributes)


class _HistogramTimedelta(_ReplaySafe, MetricHistogramTimedelta):
    def record(
        self, value: timedelta, additional_attributes: MetricAttributes | None = None
    ) -> None:
        if not self._replaying():
            self._inner.record(value, additional_attributes)


class _Gauge(_ReplaySafe, MetricGauge):
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        if not self._replaying():
            self._inner.set(value, additional_attributes)


class _GaugeFloat(_ReplaySafe, MetricGaugeFloat):
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        if not self._replaying():
            self._inner.set(value, additional_attributes)


class ReplaySafeMeter(MetricMeter):
    """A meter whose metrics record nothing while ``replaying()`` is true."""

    def __init__(self, inner: MetricMeter, replaying: Callable[[], bool]) -> None:
        self._inner = inner
        self._replaying = replaying

    def create_counter(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricCounter:
        return _Counter(self._inner.create_counter(name, description, unit), self._replaying)

    def create_histogram(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogram:
        return _Histogram(self._inner.create_histogram(name, description, unit), self._replaying)

    def create_histogram_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramFloat:
        inner = self._inner.create_histogram_float(name, description, unit)
        return _HistogramFloat(inner, self._replaying)

    def create_histogram_timedelta(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramTimedelta:
        inner = self._inner.create_histogram_timedelta(name, description, unit)
        return _HistogramTimedelta(inner, self._replaying)

    def create_gauge(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGauge:
        return _Gauge(self._inner.create_gauge(name, description, unit), self._replaying)

    def create_gauge_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGaugeFloat:
        return _GaugeFloat(self._inner.create_gauge_float(name, description, unit), self._replaying)

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> MetricMeter:
        inner = self._inner.with_additional_attributes(additional_attributes)
        return ReplaySafeMeter(inner, self._replaying)
