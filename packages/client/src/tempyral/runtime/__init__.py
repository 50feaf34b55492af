"""Telemetry of clients and workers, mirroring ``temporalio.runtime``.

A :py:class:`Runtime` owns the metrics exporter (a Prometheus endpoint, served from a thread
with the standard library; OTLP push over gRPC or HTTP with the ``otel`` extra; or an in-process
:py:class:`MetricBuffer`) and the global tags.
Clients take one at connect time (``Client.connect(..., runtime=...)``), and workers record the
official SDK's metrics (``temporal_workflow_completed``, ...) into their client's runtime.

Differences from ``temporalio.runtime``: log filters of the Rust core have no meaning here;
``LoggingConfig(format=LoggingFormat.JSON)`` writes tempyral's workflow, activity and worker logs
as JSON lines (see :py:class:`LoggingConfig`). Additions for code that records often (the
worker): :py:func:`read_gauge_when_exported` lets an exporter that scrapes read a gauge instead of
being told each change; :py:func:`count_recorder` and :py:func:`seconds_recorder` record with
fewer calls between the caller and the exporter.
"""

from typing import TYPE_CHECKING

from tempyral.common import loaded_on_first_use
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
from tempyral.runtime._meter import (
    GaugeRead,
    count_recorder,
    read_gauge_when_exported,
    seconds_recorder,
    stop_reading_gauge,
)
from tempyral.runtime._runtime import Runtime

if TYPE_CHECKING:
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

# The in-process metric buffer's names load on first use (PEP 562), as in tempyral.client: a
# runtime without one does not import it.
_BUFFER_NAMES = frozenset(
    {
        "BUFFERED_METRIC_KIND_COUNTER",
        "BUFFERED_METRIC_KIND_GAUGE",
        "BUFFERED_METRIC_KIND_HISTOGRAM",
        "BufferedMetric",
        "BufferedMetricKind",
        "BufferedMetricUpdate",
        "GaugeRead",
        "MetricBuffer",
        "MetricBufferDurationFormat",
    }
)

__all__ = [
    "BUFFERED_METRIC_KIND_COUNTER",
    "BUFFERED_METRIC_KIND_GAUGE",
    "BUFFERED_METRIC_KIND_HISTOGRAM",
    "BufferedMetric",
    "BufferedMetricKind",
    "BufferedMetricUpdate",
    "GaugeRead",
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
    "count_recorder",
    "read_gauge_when_exported",
    "seconds_recorder",
    "stop_reading_gauge",
]


_import_on_first_use, __dir__ = loaded_on_first_use(
    __name__, dict.fromkeys(_BUFFER_NAMES, "tempyral.runtime._buffer")
)

if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use
