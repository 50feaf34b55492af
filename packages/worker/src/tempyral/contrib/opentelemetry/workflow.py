"""Workflow-side helpers of ``tempyral.contrib.opentelemetry`` (``temporalio``'s names).

Use them from workflow code: they create spans only while the workflow is not replaying.
"""

from __future__ import annotations

import warnings

import opentelemetry.trace
import opentelemetry.util.types
from tempyral.contrib.opentelemetry._workflow_interceptor import TracingWorkflowInboundInterceptor

__all__ = ["completed_span"]


def completed_span(
    name: str,
    *,
    attributes: opentelemetry.util.types.Attributes = None,
    exception: Exception | None = None,
) -> None:
    """Record a span that starts and ends now (workflow time), under the workflow's span.

    Recorded only while the workflow is not replaying and when the run has a parent span (its
    starter was traced), like every workflow span of :py:class:`TracingInterceptor`; the
    workflow id and run id are added to ``attributes``. Outside a traced workflow (no
    ``TracingInterceptor`` on the worker, say with :py:class:`OpenTelemetryPlugin`) the span goes
    to the global tracer as is, with a ``DeprecationWarning``, as in the official contrib.

    Args:
        name: Name of the span.
        attributes: Attributes to set on the span, if any.
        exception: An exception to record on the span, if any.
    """
    interceptor = TracingWorkflowInboundInterceptor._from_context()
    if interceptor is not None:
        interceptor._completed_span(name, additional_attributes=attributes, exception=exception)
        return
    warnings.warn(
        "completed_span() outside a TracingInterceptor's workflow records a plain span on the "
        "global tracer; with OpenTelemetryPlugin use opentelemetry.trace.get_tracer(...) in "
        "workflow code instead (its spans last and survive replays).",
        DeprecationWarning,
        stacklevel=2,
    )
    span = opentelemetry.trace.get_tracer(__name__).start_span(name, attributes=attributes)
    if exception is not None:
        span.record_exception(exception)
    span.end()
