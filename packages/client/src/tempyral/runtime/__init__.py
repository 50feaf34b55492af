"""Telemetry of clients and workers, mirroring ``temporalio.runtime``.

A :py:class:`Runtime` owns the metrics exporter (a Prometheus endpoint, served from a thread
with the standard library, or an in-process :py:class:`MetricBuffer`) and the global tags.
Clients take one at connect time (``Client.connect(..., runtime=...)``), and workers record the
official SDK's metrics (``temporal_workflow_completed``, ...) into their client's runtime.

Differences from ``temporalio.runtime``: :py:class:`OpenTelemetryConfig` (OTLP metrics) is
refused with a clear error for now; log filters of the Rust core have no meaning here.
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
