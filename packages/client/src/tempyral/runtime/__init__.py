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

from typing import TYPE_CHECKING

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


def _import_on_first_use(name: str) -> object:
    """PEP 562 module ``__getattr__``: import the metric buffer's module, keep the value."""
    if name not in _BUFFER_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tempyral.runtime import _buffer

    value = getattr(_buffer, name)
    globals()[name] = value  # later lookups find it without calling __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_BUFFER_NAMES})


if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use
