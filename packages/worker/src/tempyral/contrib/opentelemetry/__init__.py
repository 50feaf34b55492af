"""OpenTelemetry tracing for tempyral clients and workers (``temporalio.contrib.opentelemetry``).

Two designs, as in the official contrib, both carrying the trace context in the same
``_tracer-data`` header, so one trace runs through official and tempyral clients and workers:

- :py:class:`TracingInterceptor` creates spans with the official names and attributes; workflow
  spans are finished, zero-length and made only while a workflow is not replaying.
- :py:class:`OpenTelemetryPlugin` (:py:class:`OpenTelemetryInterceptor`) only propagates the
  context; workflow code traces with plain OpenTelemetry through a global
  :py:class:`ReplaySafeTracerProvider` (:py:func:`create_tracer_provider`), optionally with
  Temporal's own spans too.

Needs the ``opentelemetry`` extra (``pip install "tempyral-worker[opentelemetry]"``).
"""

from tempyral.contrib.opentelemetry._interceptor import TracingInterceptor
from tempyral.contrib.opentelemetry._otel_interceptor import OpenTelemetryInterceptor
from tempyral.contrib.opentelemetry._plugin import OpenTelemetryPlugin
from tempyral.contrib.opentelemetry._propagation import default_text_map_propagator
from tempyral.contrib.opentelemetry._tracer_provider import (
    ReplaySafeTracerProvider,
    create_tracer_provider,
)
from tempyral.contrib.opentelemetry._workflow_interceptor import TracingWorkflowInboundInterceptor

__all__ = [
    "OpenTelemetryInterceptor",
    "OpenTelemetryPlugin",
    "ReplaySafeTracerProvider",
    "TracingInterceptor",
    "TracingWorkflowInboundInterceptor",
    "create_tracer_provider",
    "default_text_map_propagator",
]
