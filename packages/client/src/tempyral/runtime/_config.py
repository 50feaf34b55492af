"""Telemetry settings of a :py:class:`~tempyral.runtime.Runtime`, as in ``temporalio.runtime``.

Plain data: the runtime reads them when it is created. Where the official SDK passes a setting to
its Rust core (log filters of core crates), tempyral keeps the field for compatibility and applies
what has a meaning in a pure-Python SDK (see the notes on each class).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tempyral.runtime._buffer import MetricBuffer

__all__ = [
    "LogForwardingConfig",
    "LoggingConfig",
    "LoggingFormat",
    "OpenTelemetryConfig",
    "OpenTelemetryMetricTemporality",
    "PrometheusConfig",
    "TelemetryConfig",
    "TelemetryFilter",
]


@dataclass(frozen=True)
class TelemetryFilter:
    """Log levels: ``core_level`` for the SDK's own logs, ``other_level`` for everything else."""

    core_level: str
    other_level: str

    def formatted(self) -> str:
        """The filter in the ``RUST_LOG``-like form the official SDK prints."""
        crates = ("temporal_sdk_core", "temporal_client", "temporal_sdk")
        return ",".join([self.other_level, *(f"{crate}={self.core_level}" for crate in crates)])


class LoggingFormat(Enum):
    """How SDK logs are written when they are not forwarded."""

    COMPACT = 1
    JSON = 2
    PRETTY = 3


@dataclass(frozen=True)
class LogForwardingConfig:
    """Forward the SDK's logs to a standard :py:class:`logging.Logger`."""

    logger: logging.Logger
    append_target_to_name: bool = True
    prepend_target_on_message: bool = True
    overwrite_log_record_time: bool = True
    append_log_fields_to_message: bool = True


@dataclass(frozen=True)
class LoggingConfig:
    """SDK log settings (tempyral's logs go to standard ``logging`` in every case).

    ``format=LoggingFormat.JSON`` (without ``forwarding``) also writes tempyral's workflow,
    activity and worker logs to stderr, one JSON object per line with the run's context as
    fields, from the level of ``filter`` (``TelemetryFilter.core_level``, or the
    ``temporal_sdk_core=`` directive of a string filter) up. Other formats change nothing.
    """

    filter: TelemetryFilter | str
    forwarding: LogForwardingConfig | None = None
    format: LoggingFormat | None = None

    default: ClassVar[LoggingConfig]


LoggingConfig.default = LoggingConfig(
    filter=TelemetryFilter(core_level="WARN", other_level="ERROR")
)


class OpenTelemetryMetricTemporality(Enum):
    """Temporality of OTLP metrics."""

    CUMULATIVE = 1
    DELTA = 2


@dataclass(frozen=True)
class OpenTelemetryConfig:
    """Push metrics to an OpenTelemetry collector over OTLP (needs ``tempyral-client[otel]``).

    Args:
        url: The collector's endpoint: ``http://host:4317`` for gRPC, the full
            ``http://host:4318/v1/metrics`` for HTTP.
        headers: Sent with every export (authentication, routing).
        metric_periodicity: Time between exports (1 second when ``None``).
        metric_temporality: Cumulative (default) or delta sums and histograms.
        durations_as_seconds: Durations as float seconds instead of integer milliseconds.
        http: OTLP/HTTP with protobuf bodies instead of gRPC.
        histogram_bucket_overrides: Bucket boundaries for the metrics whose name contains a key.
    """

    url: str
    headers: Mapping[str, str] | None = None
    metric_periodicity: timedelta | None = None
    metric_temporality: OpenTelemetryMetricTemporality = OpenTelemetryMetricTemporality.CUMULATIVE
    durations_as_seconds: bool = False
    http: bool = False
    histogram_bucket_overrides: Mapping[str, Sequence[float]] | None = None


@dataclass(frozen=True)
class PrometheusConfig:
    """Serve metrics for Prometheus to scrape on ``bind_address`` (``host:port``).

    Args:
        bind_address: Where the ``/metrics`` endpoint listens.
        counters_total_suffix: Append ``_total`` to counter names.
        unit_suffix: Append the unit to metric names (``_milliseconds`` / ``_seconds``).
        durations_as_seconds: Record durations in seconds (float) instead of milliseconds.
        histogram_bucket_overrides: Bucket boundaries per metric name (without prefix).
    """

    bind_address: str
    counters_total_suffix: bool = False
    unit_suffix: bool = False
    durations_as_seconds: bool = False
    histogram_bucket_overrides: Mapping[str, Sequence[float]] | None = None


@dataclass(frozen=True)
class TelemetryConfig:
    """Everything a runtime exports: logs, metrics and the tags added to every metric."""

    logging: LoggingConfig | None = LoggingConfig.default
    metrics: OpenTelemetryConfig | PrometheusConfig | MetricBuffer | None = None
    global_tags: Mapping[str, str] = field(default_factory=dict)
    attach_service_name: bool = True
    metric_prefix: str | None = None
