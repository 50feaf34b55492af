"""OTLP export of a runtime's metrics (``OpenTelemetryConfig``), on the OpenTelemetry SDK.

Each record goes to an instrument of an SDK ``MeterProvider`` whose periodic reader pushes to the
collector over gRPC or HTTP/protobuf. What a collector receives follows the official SDK's
exporter: the metric names carry the runtime's prefix; the global tags and
``service.name=temporal-core-sdk`` are attributes of the *resource* (not of each data point);
durations are integer milliseconds (unit ``ms``) or float seconds (``s``); histograms have the
official bucket boundaries unless ``histogram_bucket_overrides`` has a key contained in the name.

The OpenTelemetry packages are the ``otel`` extra of tempyral-client, imported only when a
runtime is created with an :py:class:`OpenTelemetryConfig`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tempyral.runtime._buckets import default_buckets
from tempyral.runtime._config import OpenTelemetryConfig, OpenTelemetryMetricTemporality
from tempyral.runtime._meter import BoundRecorder, GaugeRead, MetricKind, bound_through_record

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Meter, Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource

__all__ = ["OtlpSink"]

_SERVICE_NAME = "temporal-core-sdk"
# The official SDK's default when metric_periodicity is None.
_DEFAULT_PERIOD = timedelta(seconds=1)
_SHUTDOWN_TIMEOUT_MILLIS = 10_000


def _missing_extra(error: ImportError) -> RuntimeError:
    return RuntimeError(
        f"OpenTelemetryConfig (OTLP metrics) needs the OpenTelemetry SDK and OTLP exporters, "
        f"which are not installed ({error}): install them with "
        f"`pip install 'tempyral-client[otel]'`"
    )


def _check_url(config: OpenTelemetryConfig) -> None:
    parts = urlsplit(config.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = "http://localhost:4318/v1/metrics" if config.http else "http://localhost:4317"
        raise ValueError(
            f"OpenTelemetryConfig.url {config.url!r} is not an http(s) URL of a collector "
            f"(for example {example!r})"
        )


def _resource(global_tags: Mapping[str, str]) -> Resource:
    from opentelemetry.sdk.resources import Resource

    detected = Resource.create({})
    # As in the official SDK: OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over its name.
    name = detected.attributes.get("service.name")
    attributes: dict[str, Any] = dict(detected.attributes)
    if name is None or str(name).startswith("unknown_service"):
        attributes["service.name"] = _SERVICE_NAME
    attributes.update(global_tags)
    return Resource(attributes)


def _exporter(config: OpenTelemetryConfig) -> Any:
    from opentelemetry.sdk.metrics import Counter, Histogram, UpDownCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    temporality = (
        AggregationTemporality.DELTA
        if config.metric_temporality is OpenTelemetryMetricTemporality.DELTA
        else AggregationTemporality.CUMULATIVE
    )
    preferred: dict[type, AggregationTemporality] = {
        Counter: temporality,
        Histogram: temporality,
        UpDownCounter: temporality,
    }
    headers = dict(config.headers or {})
    if config.http:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HttpExporter,
        )

        return HttpExporter(endpoint=config.url, headers=headers, preferred_temporality=preferred)
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
        OTLPMetricExporter as GrpcExporter,
    )

    return GrpcExporter(
        endpoint=config.url,
        # Decided by the URL alone, not by OTEL_EXPORTER_OTLP_INSECURE: as in the official SDK.
        insecure=urlsplit(config.url).scheme == "http",
        headers=headers,
        preferred_temporality=preferred,
    )


def _series_key(attributes: Mapping[str, str | int | float | bool]) -> tuple[str, ...]:
    # repr keeps 1, 1.0, True and "1" apart: equal as keys, different as attribute values.
    return tuple(sorted(f"{key}={value!r}" for key, value in attributes.items()))


@dataclass
class _ReadSeries:
    """One label set of a gauge read at export time: the last registered read is the one read;
    with none left, the value read last."""

    attributes: dict[str, str | int | float | bool]
    reads: list[GaugeRead] = field(default_factory=list)
    last: float | None = None


class OtlpSink:
    """Records into OpenTelemetry SDK instruments that a periodic reader pushes over OTLP."""

    def __init__(
        self, config: OpenTelemetryConfig, metric_prefix: str, global_tags: Mapping[str, str]
    ) -> None:
        """Build the exporter and its reader; the first export happens one period later.

        Raises:
            ValueError: The URL is not an http(s) URL.
            RuntimeError: The ``otel`` extra is not installed.
        """
        _check_url(config)
        period = config.metric_periodicity or _DEFAULT_PERIOD
        if period <= timedelta(0):
            raise ValueError("OpenTelemetryConfig.metric_periodicity must be positive")
        try:
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

            exporter = _exporter(config)
        except ImportError as error:
            raise _missing_extra(error) from error
        reader = PeriodicExportingMetricReader(
            exporter, export_interval_millis=period.total_seconds() * 1000
        )
        self.durations_as_seconds = config.durations_as_seconds
        self._prefix = metric_prefix
        self._overrides = config.histogram_bucket_overrides or {}
        self._provider: MeterProvider = MeterProvider(
            metric_readers=[reader], resource=_resource(global_tags)
        )
        self._meter: Meter = self._provider.get_meter(_SERVICE_NAME)
        self._instruments: dict[str, Any] = {}
        self._lock = threading.Lock()
        # Gauges read by the periodic reader through an observable gauge, per name and label set.
        self._read_gauges: dict[str, dict[tuple[str, ...], _ReadSeries]] = {}

    def _boundaries(self, name: str) -> Sequence[float]:
        for key, boundaries in self._overrides.items():
            if key in name:
                return tuple(boundaries)
        return default_buckets(name.removeprefix(self._prefix), seconds=self.durations_as_seconds)

    def _instrument(
        self, kind: MetricKind, name: str, description: str | None, unit: str | None
    ) -> Any:
        with self._lock:
            instrument = self._instruments.get(name)
            if instrument is not None:
                return instrument
            text, unit_text = description or "", unit or ""
            if kind is MetricKind.COUNTER:
                instrument = self._meter.create_counter(name, unit_text, text).add
            elif kind is MetricKind.GAUGE:
                instrument = self._meter.create_gauge(name, unit_text, text).set
            else:
                instrument = self._meter.create_histogram(
                    name,
                    unit_text,
                    text,
                    explicit_bucket_boundaries_advisory=self._boundaries(name),
                ).record
            self._instruments[name] = instrument
            return instrument

    def record(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        value: float,
        attributes: Mapping[str, str | int | float | bool],
    ) -> None:
        instrument = self._instruments.get(name) or self._instrument(kind, name, description, unit)
        instrument(value, attributes)

    def bind(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        attributes: Mapping[str, str | int | float | bool],
    ) -> BoundRecorder:
        # The instrument is made on the first record, as record() makes it.
        return bound_through_record(self, kind, name, description, unit, attributes)

    def read_gauge(
        self,
        name: str,
        description: str | None,
        attributes: Mapping[str, str | int | float | bool],
        read: GaugeRead,
    ) -> None:
        key = _series_key(attributes)
        with self._lock:
            series = self._read_gauges.get(name)
            if series is None:
                series = self._read_gauges[name] = {}

                def observe(_options: CallbackOptions) -> Iterator[Observation]:
                    return self._observe(name)

                self._meter.create_observable_gauge(
                    name, callbacks=[observe], description=description or ""
                )
            entry = series.get(key)
            if entry is None:
                entry = series[key] = _ReadSeries(dict(attributes))
            entry.reads.append(read)

    def stop_reading_gauge(
        self, name: str, attributes: Mapping[str, str | int | float | bool], read: GaugeRead
    ) -> None:
        key = _series_key(attributes)
        with self._lock:
            entry = self._read_gauges.get(name, {}).get(key)
            if entry is None or read not in entry.reads:
                return
            entry.reads.remove(read)
            if entry.reads:
                return
        last = read()  # outside the lock: a read is the caller's code
        with self._lock:
            if not entry.reads:
                entry.last = last

    def _observe(self, name: str) -> Iterator[Observation]:
        """The values of ``name``'s series, for the periodic reader."""
        from opentelemetry.metrics import Observation

        with self._lock:
            series = [
                (entry.attributes, entry.reads[-1] if entry.reads else None, entry.last)
                for entry in self._read_gauges[name].values()
            ]
        for attributes, read, last in series:
            value = read() if read is not None else last
            if value is not None:
                yield Observation(value, attributes)

    def close(self) -> None:
        """Export what is left and stop the reader (later records are dropped)."""
        self._provider.shutdown(timeout_millis=_SHUTDOWN_TIMEOUT_MILLIS)
