"""``ReplaySafeMeterProvider``: OpenTelemetry meters that workflow code can record on.

Workflow code runs again on every replay (a worker without the run cached, a new worker), so a
counter added to in workflow code would count each replay too. The provider wraps another and
hands out meters whose synchronous instruments (counters, up-down counters, histograms, gauges)
drop what is recorded while the workflow replays history, as ``workflow.metric_meter()`` does:
the first execution records, and so do queries and update validators, which are live calls even
on a replaying run. Observable instruments pass through: their callbacks run on the reader's
thread, never in workflow code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.metrics import (
    CallbackT,
    Counter,
    Histogram,
    Meter,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
    _Gauge,
)
from opentelemetry.util.types import Attributes
from tempyral.contrib.opentelemetry._id_generator import (
    replaying_workflow_history,
    unguarded,
)

__all__ = ["ReplaySafeMeterProvider"]


def _record_live(
    record: Callable[..., None],
    amount: int | float,
    attributes: Attributes | None,
    context: Context | None,
) -> None:
    """Record unless workflow code is replaying history; the guard is off while the SDK records."""
    if replaying_workflow_history():
        return
    # The context is passed only when given: instruments of opentelemetry-api before 1.28 take
    # no context.
    extra = {} if context is None else {"context": context}
    with unguarded():
        record(amount, attributes, **extra)


class _ReplaySafeCounter(Counter):
    def __init__(self, counter: Counter) -> None:
        self._counter = counter

    def __getattr__(self, name: str) -> object:
        return getattr(self._counter, name)

    def add(
        self,
        amount: int | float,
        attributes: Attributes | None = None,
        context: Context | None = None,
    ) -> None:
        _record_live(self._counter.add, amount, attributes, context)


class _ReplaySafeUpDownCounter(UpDownCounter):
    def __init__(self, counter: UpDownCounter) -> None:
        self._counter = counter

    def __getattr__(self, name: str) -> object:
        return getattr(self._counter, name)

    def add(
        self,
        amount: int | float,
        attributes: Attributes | None = None,
        context: Context | None = None,
    ) -> None:
        _record_live(self._counter.add, amount, attributes, context)


class _ReplaySafeHistogram(Histogram):
    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram

    def __getattr__(self, name: str) -> object:
        return getattr(self._histogram, name)

    def record(
        self,
        amount: int | float,
        attributes: Attributes | None = None,
        context: Context | None = None,
    ) -> None:
        _record_live(self._histogram.record, amount, attributes, context)


class _ReplaySafeGauge(_Gauge):
    def __init__(self, gauge: _Gauge) -> None:
        self._gauge = gauge

    def __getattr__(self, name: str) -> object:
        return getattr(self._gauge, name)

    def set(
        self,
        amount: int | float,
        attributes: Attributes | None = None,
        context: Context | None = None,
    ) -> None:
        _record_live(self._gauge.set, amount, attributes, context)


class _ReplaySafeMeter(Meter):
    # Every Meter method is overridden: a new instrument kind arrives on the ABC as a no-op
    # default, which __getattr__ would never see, so an opentelemetry upgrade needs a look here.
    def __init__(self, meter: Meter) -> None:
        super().__init__(meter.name, version=meter.version, schema_url=meter.schema_url)
        self._meter = meter

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Counter:
        return _ReplaySafeCounter(self._meter.create_counter(name, unit, description))

    def create_up_down_counter(
        self, name: str, unit: str = "", description: str = ""
    ) -> UpDownCounter:
        return _ReplaySafeUpDownCounter(self._meter.create_up_down_counter(name, unit, description))

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> Histogram:
        # The advisory only when given: opentelemetry-api before 1.30 does not take it.
        advisory: dict[str, Any] = {}
        if explicit_bucket_boundaries_advisory is not None:
            advisory["explicit_bucket_boundaries_advisory"] = explicit_bucket_boundaries_advisory
        return _ReplaySafeHistogram(
            self._meter.create_histogram(name, unit, description, **advisory)
        )

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> _Gauge:
        return _ReplaySafeGauge(self._meter.create_gauge(name, unit, description))

    def create_observable_counter(
        self,
        name: str,
        callbacks: Sequence[CallbackT] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableCounter:
        return self._meter.create_observable_counter(name, callbacks, unit, description)

    def create_observable_gauge(
        self,
        name: str,
        callbacks: Sequence[CallbackT] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableGauge:
        return self._meter.create_observable_gauge(name, callbacks, unit, description)

    def create_observable_up_down_counter(
        self,
        name: str,
        callbacks: Sequence[CallbackT] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableUpDownCounter:
        return self._meter.create_observable_up_down_counter(name, callbacks, unit, description)


class ReplaySafeMeterProvider(MeterProvider):
    """Wraps a ``MeterProvider`` so workflow code's recordings are not repeated on replay.

    Counter and up-down counter ``add()``, histogram ``record()`` and gauge ``set()`` called
    from workflow code while it replays history are dropped; outside workflows, in queries and
    update validators, and on a workflow task's retry (which runs live), they record. Set it as
    the global provider once, before libraries make their instruments (OpenTelemetry's proxy
    meters bind late, so instruments made earlier follow it too)::

        opentelemetry.metrics.set_meter_provider(ReplaySafeMeterProvider(meter_provider))
    """

    def __init__(self, meter_provider: MeterProvider) -> None:
        """Initialize the provider.

        Args:
            meter_provider: The provider whose meters are wrapped.
        """
        self._meter_provider = meter_provider

    def __getattr__(self, name: str) -> Any:
        """The wrapped provider's other attributes (``shutdown``, ``force_flush``...)."""
        return getattr(self._meter_provider, name)

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> Meter:
        """A replay-safe meter over the wrapped provider's.

        Args:
            name: The instrumenting module's name.
            version: The instrumenting library's version.
            schema_url: The schema URL of the meter's telemetry.
            attributes: The meter's instrumentation scope attributes.
        """
        return _ReplaySafeMeter(
            self._meter_provider.get_meter(name, version, schema_url, attributes)
        )
