"""Telemetry of clients and workers, mirroring ``temporalio.runtime``.

A :py:class:`Runtime` owns the metrics exporter (a Prometheus endpoint, served from a thread
with the standard library; OTLP push over gRPC or HTTP with the ``otel`` extra; or an in-process
:py:class:`MetricBuffer`) and the global tags.
Clients take one at connect time (``Client.connect(..., runtime=...)``), and workers record the
official SDK's metrics (``temporal_workflow_completed``, ...) into their client's runtime.

Differences from ``temporalio.runtime``: log filters of the Rust core have no meaning here;
``LoggingConfig(format=LoggingFormat.JSON)`` writes tempyral's workflow, activity and worker logs
as JSON lines (see :py:class:`LoggingConfig`).
"""

from tempyral.runtime._buffer import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    BufferedMetric,
    BufferedMetricKind,
    BufferedMetricUpdate,
    MetricBuffer,
    MetricBufferDurationFormat,
)
from tempyral.runtime._config import (
    LogForwardingConfig,
    LoggingConfig,
    LoggingFormat,
    OpenTelemetryConfig,
    OpenTelemetryMetricTemporality,
    PrometheusConfig,
    TelemetryConfig,
    TelemetryFilter,
)
from tempyral.runtime._runtime import Runtime

__all__ = [
    "BUFFERED_METRIC_KIND_COUNTER",
    "BUFFERED_METRIC_KIND_GAUGE",
    "BUFFERED_METRIC_KIND_HISTOGRAM",
    "BufferedMetric",
    "BufferedMetricKind",
    "BufferedMetricUpdate",
    "LogForwardingConfig",
    "LoggingConfig",
    "LoggingFormat",
    "MetricBuffer",
    "MetricBufferDurationFormat",
    "OpenTelemetryConfig",
    "OpenTelemetryMetricTemporality",
    "PrometheusConfig",
    "Runtime",
    "TelemetryConfig",
    "TelemetryFilter",
]
