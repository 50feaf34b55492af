"""OpenTelemetry tracing for tempyral clients and workers (``temporalio.contrib.opentelemetry``).

Two designs, as in the official contrib, both carrying the trace context in the same
``_tracer-data`` header, so one trace runs through official and tempyral clients and workers:

- :py:class:`TracingInterceptor` creates spans with the official names and attributes; workflow
  spans are finished, zero-length and made only while a workflow is not replaying.
- :py:class:`OpenTelemetryPlugin` (:py:class:`OpenTelemetryInterceptor`) only propagates the
  context; workflow code traces with plain OpenTelemetry through a global
  :py:class:`ReplaySafeTracerProvider` (:py:func:`create_tracer_provider`), optionally with
  Temporal's own spans too.

And the v2 metrics and logs: :py:class:`MetricsExporter` drains a runtime's
:py:class:`~tempyral.runtime.MetricBuffer` (the SDK's own metrics, ``temporal_request``,
``temporal_workflow_completed``...) into an OpenTelemetry ``MeterProvider``;
:py:class:`ReplaySafeMeterProvider` and :py:class:`ReplaySafeLoggerProvider` wrap global providers
so workflow code records metrics and emits log records once per run, not again on replay.

Needs the ``opentelemetry`` extra (``pip install "tempyral-worker[opentelemetry]"``).
"""

from tempyral.contrib.opentelemetry._interceptor import TracingInterceptor
from tempyral.contrib.opentelemetry._logs import ReplaySafeLoggerProvider
from tempyral.contrib.opentelemetry._meter_provider import ReplaySafeMeterProvider
from tempyral.contrib.opentelemetry._metrics import MetricsExporter
from tempyral.contrib.opentelemetry._otel_interceptor import OpenTelemetryInterceptor
from tempyral.contrib.opentelemetry._plugin import OpenTelemetryPlugin
from tempyral.contrib.opentelemetry._propagation import default_text_map_propagator
from tempyral.contrib.opentelemetry._tracer_provider import (
    ReplaySafeTracerProvider,
    create_tracer_provider,
)
from tempyral.contrib.opentelemetry._workflow_interceptor import TracingWorkflowInboundInterceptor

__all__ = [
    "MetricsExporter",
    "OpenTelemetryInterceptor",
    "OpenTelemetryPlugin",
    "ReplaySafeLoggerProvider",
    "ReplaySafeMeterProvider",
    "ReplaySafeTracerProvider",
    "TracingInterceptor",
    "TracingWorkflowInboundInterceptor",
    "create_tracer_provider",
    "default_text_map_propagator",
]
