"""OpenTelemetry tracing for tempyral clients and workers (``temporalio.contrib.opentelemetry``).

:py:class:`TracingInterceptor` creates spans with the official contrib's names and attributes
and carries the trace context in the same ``_tracer-data`` header, so one trace runs through
official and tempyral clients and workers alike. Workflow spans are replay-safe: they are made
only while a workflow is not replaying. Needs the ``opentelemetry`` extra
(``pip install "tempyral-worker[opentelemetry]"``).
"""

from tempyral.contrib.opentelemetry._interceptor import TracingInterceptor
from tempyral.contrib.opentelemetry._propagation import default_text_map_propagator
from tempyral.contrib.opentelemetry._workflow_interceptor import TracingWorkflowInboundInterceptor

__all__ = [
    "TracingInterceptor",
    "TracingWorkflowInboundInterceptor",
    "default_text_map_propagator",
]
