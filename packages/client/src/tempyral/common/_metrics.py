"""The metric interfaces that workers, workflows and activities record through.

Only the interfaces and a no-op meter live here; a worker runtime supplies a real meter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar, TypeAlias

from typing_extensions import Self

__all__ = [
    "MetricAttributes",
    "MetricCommon",
    "MetricCounter",
    "MetricGauge",
    "MetricGaugeFloat",
    "MetricHistogram",
    "MetricHistogramFloat",
    "MetricHistogramTimedelta",
    "MetricMeter",
]

MetricAttributes: TypeAlias = Mapping[str, str | int | float | bool]
"""Attributes (labels) attached to a metric."""


class MetricMeter(ABC):
    """Creates metrics. Each ``create_*`` takes a name, optional description and unit."""

    noop: ClassVar[MetricMeter]
    """Metric meter implementation that does nothing."""

    @abstractmethod
    def create_counter(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricCounter:
        """Create a counter metric for adding values."""

    @abstractmethod
    def create_histogram(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogram:
        """Create a histogram metric for recording integer values."""

    @abstractmethod
    def create_histogram_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramFloat:
        """Create a histogram metric for recording float values."""

    @abstractmethod
    def create_histogram_timedelta(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramTimedelta:
        """Create a histogram metric for recording durations (millisecond precision)."""

    @abstractmethod
    def create_gauge(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGauge:
        """Create a gauge metric for setting integer values."""

    @abstractmethod
    def create_gauge_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGaugeFloat:
        """Create a gauge metric for setting float values."""

    @abstractmethod
    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> MetricMeter:
        """Create a new meter with the given attributes appended to the current set."""


class MetricCommon(ABC):
    """Base for all metrics."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Name for the metric."""

    @property
    @abstractmethod
    def description(self) -> str | None:
        """Description for the metric if any."""

    @property
    @abstractmethod
    def unit(self) -> str | None:
        """Unit for the metric if any."""

    @abstractmethod
    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> Self:
        """Create a new metric with the given attributes appended to the current set."""


class MetricCounter(MetricCommon):
    """Counter metric created by a metric meter."""

    @abstractmethod
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Add a non-negative integer to the counter."""


class MetricHistogram(MetricCommon):
    """Histogram metric created by a metric meter."""

    @abstractmethod
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Record a non-negative integer on the histogram."""


class MetricHistogramFloat(MetricCommon):
    """Float histogram metric created by a metric meter."""

    @abstractmethod
    def record(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        """Record a non-negative float on the histogram."""


class MetricHistogramTimedelta(MetricCommon):
    """Duration histogram metric created by a metric meter (millisecond precision)."""

    @abstractmethod
    def record(
        self, value: timedelta, additional_attributes: MetricAttributes | None = None
    ) -> None:
        """Record a non-negative duration on the histogram."""


class MetricGauge(MetricCommon):
    """Gauge metric created by a metric meter."""

    @abstractmethod
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Set a non-negative integer on the gauge."""


class MetricGaugeFloat(MetricCommon):
    """Float gauge metric created by a metric meter."""

    @abstractmethod
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        """Set a non-negative float on the gauge."""


class _NoopMetric(MetricCommon):
    def __init__(self, name: str, description: str | None, unit: str | None) -> None:
        self._name = name
        self._description = description
        self._unit = unit

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
        return self


class _NoopMetricCounter(_NoopMetric, MetricCounter):
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        pass


class _NoopMetricHistogram(_NoopMetric, MetricHistogram):
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        pass


class _NoopMetricHistogramFloat(_NoopMetric, MetricHistogramFloat):
    def record(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        pass


class _NoopMetricHistogramTimedelta(_NoopMetric, MetricHistogramTimedelta):
    def record(
        self, value: timedelta, additional_attributes: MetricAttributes | None = None
    ) -> None:
        pass


class _NoopMetricGauge(_NoopMetric, MetricGauge):
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        pass


class _NoopMetricGaugeFloat(_NoopMetric, MetricGaugeFloat):
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        pass


class _NoopMetricMeter(MetricMeter):
    def create_counter(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricCounter:
        return _NoopMetricCounter(name, description, unit)

    def create_histogram(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogram:
        return _NoopMetricHistogram(name, description, unit)

    def create_histogram_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramFloat:
        return _NoopMetricHistogramFloat(name, description, unit)

    def create_histogram_timedelta(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricHistogramTimedelta:
        return _NoopMetricHistogramTimedelta(name, description, unit)

    def create_gauge(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGauge:
        return _NoopMetricGauge(name, description, unit)

    def create_gauge_float(
        self, name: str, description: str | None = None, unit: str | None = None
    ) -> MetricGaugeFloat:
        return _NoopMetricGaugeFloat(name, description, unit)

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> MetricMeter:
        return self


MetricMeter.noop = _NoopMetricMeter()
