"""``MetricsExporter``: the SDK's own metrics, drained from a ``MetricBuffer`` into OpenTelemetry.

A :py:class:`tempyral.runtime.Runtime` whose ``TelemetryConfig.metrics`` is a
:py:class:`~tempyral.runtime.MetricBuffer` keeps every update its clients and workers record
(``temporal_request``, ``temporal_workflow_completed``, workflow code's ``metric_meter()``...).
The exporter drains that buffer on an interval and replays each update on instruments of an
OpenTelemetry meter, so the metrics reach whatever readers the ``MeterProvider`` has, next to
the application's own. Counters are added to, histograms recorded, and gauges become observable
gauges reporting the latest value of each attribute set when the reader collects.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType

import opentelemetry.metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation
from opentelemetry.util.types import AttributeValue
from tempyral.common import MetricAttributes, logger
from tempyral.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    BufferedMetric,
    BufferedMetricUpdate,
    MetricBuffer,
)

__all__ = ["MetricsExporter"]

# An attribute set by content: the buffer may hand out a new mapping for every update.
_AttributesKey = frozenset[tuple[str, AttributeValue]]


@dataclass
class _LatestGaugeValues:
    """The last value set per attribute set; read by the reader's thread, written by the drain."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    values: dict[_AttributesKey, tuple[Mapping[str, AttributeValue], float]] = field(
        default_factory=dict
    )

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self.lock:
            return [Observation(value, dict(attrs)) for attrs, value in self.values.values()]


@dataclass
class _Instrument:
    """What one buffered metric is recorded on: exactly one of the three is set."""

    counter: Counter | None = None
    histogram: Histogram | None = None
    gauge: _LatestGaugeValues | None = None


class MetricsExporter:
    """Exports the updates of a :py:class:`tempyral.runtime.MetricBuffer` through an
    OpenTelemetry ``MeterProvider``.

    Start it (:py:meth:`run` or ``async with``) once the runtime using the buffer exists, and
    keep it running while metrics should flow: the buffer drops updates once full, so it is
    drained every ``poll_interval``, and once more on :py:meth:`shutdown`. Example::

        buffer = MetricBuffer(10_000)
        runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
        async with MetricsExporter(buffer, meter_provider):
            client = await Client.connect("localhost:7233", runtime=runtime)
            ...
    """

    def __init__(
        self,
        buffer: MetricBuffer,
        meter_provider: opentelemetry.metrics.MeterProvider | None = None,
        *,
        meter_name: str = "temporalio",
        meter_version: str | None = None,
        poll_interval: timedelta = timedelta(seconds=1),
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Create an exporter draining ``buffer`` into ``meter_provider``.

        Args:
            buffer: The buffer set as ``TelemetryConfig(metrics=...)`` of the runtime.
            meter_provider: Where instruments are made; the global provider
                (``opentelemetry.metrics.get_meter_provider()``) when not given.
            meter_name: The meter's name (the official SDK's, so dashboards match).
            meter_version: The meter's version.
            poll_interval: How often the buffer is drained.
            on_error: Called (besides the error log) when draining or applying an update
                fails; an error it raises is logged and ignored.
        """
        if poll_interval <= timedelta(0):
            raise ValueError(f"MetricsExporter poll_interval must be positive, got {poll_interval}")
        provider = meter_provider or opentelemetry.metrics.get_meter_provider()
        self._buffer = buffer
        self._meter: Meter = provider.get_meter(meter_name, meter_version)
        self._poll_interval = poll_interval
        self._on_error = on_error
        self._instruments: dict[str, _Instrument] = {}
        self._running = False
        self._stop = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Drain and export every ``poll_interval`` until :py:meth:`shutdown`, then once more.

        Raises:
            RuntimeError: If this exporter is already running.
        """
        if self._running:
            raise RuntimeError(
                "MetricsExporter is already running: start it once (run() or async with)"
            )
        self._running = True
        self._stopped.clear()
        try:
            while not self._stop.is_set():
                self._drain()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self._poll_interval.total_seconds())
            # What was recorded just before shutdown is exported too.
            self._drain()
        finally:
            self._running = False
            # Cleared only here, so a shutdown() asked for before run() started is still seen.
            self._stop.clear()
            self._stopped.set()

    async def shutdown(self) -> None:
        """Stop :py:meth:`run` after a last drain, and wait until it has returned."""
        self._stop.set()
        await self._stopped.wait()

    async def __aenter__(self) -> MetricsExporter:
        """Run the exporter in a background task."""
        self._task = asyncio.ensure_future(self.run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Shut the exporter down and wait for its task."""
        await self.shutdown()
        if self._task is not None:
            await self._task

    def _drain(self) -> None:
        try:
            updates = self._buffer.retrieve_updates()
        except Exception as err:
            self._report(err)
            return
        for update in updates:
            try:
                self._apply(update)
            except Exception as err:
                self._report(err)

    def _report(self, err: Exception) -> None:
        logger.opt(exception=err).error("Exporting the buffered Temporal metrics failed: {}", err)
        if self._on_error is None:
            return
        try:
            self._on_error(err)
        except Exception as handler_err:
            logger.opt(exception=handler_err).error("MetricsExporter on_error handler failed")

    def _apply(self, update: BufferedMetricUpdate) -> None:
        instrument = self._instrument(update.metric)
        attributes = _otel_attributes(update.attributes)
        if instrument.counter is not None:
            instrument.counter.add(update.value, attributes)
        elif instrument.histogram is not None:
            instrument.histogram.record(update.value, attributes)
        elif instrument.gauge is not None:
            with instrument.gauge.lock:
                instrument.gauge.values[frozenset(attributes.items())] = (attributes, update.value)

    def _instrument(self, metric: BufferedMetric) -> _Instrument:
        instrument = self._instruments.get(metric.name)
        if instrument is not None:
            return instrument
        unit, description = metric.unit or "", metric.description or ""
        if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
            instrument = _Instrument(
                counter=self._meter.create_counter(metric.name, unit, description)
            )
        elif metric.kind == BUFFERED_METRIC_KIND_HISTOGRAM:
            instrument = _Instrument(
                histogram=self._meter.create_histogram(metric.name, unit, description)
            )
        elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
            gauge = _LatestGaugeValues()
            self._meter.create_observable_gauge(metric.name, [gauge.observe], unit, description)
            instrument = _Instrument(gauge=gauge)
        else:
            raise ValueError(f"metric {metric.name!r} has an unknown kind {metric.kind!r}")
        self._instruments[metric.name] = instrument
        return instrument


def _otel_attributes(attributes: MetricAttributes) -> dict[str, AttributeValue]:
    return dict(attributes)
