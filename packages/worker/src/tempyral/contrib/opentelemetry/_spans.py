"""Span creation shared by the client, activity and workflow halves of the tracing interceptor.

Two kinds of spans: *live* spans around a client call or an activity run (started, made current,
ended when the call returns), and *completed* spans for workflow code, started and ended at the
same instant (``workflow.time_ns()``), because a span left open across workflow tasks could never
be ended reliably after a replay on another worker. Both follow the official contrib: names,
kinds, attributes, error status (benign application errors leave the status unset).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import Token
from dataclasses import dataclass

import opentelemetry.context
import opentelemetry.trace
import opentelemetry.util.types
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode
from tempyral.exceptions import ApplicationError, ApplicationErrorCategory

__all__ = ["CompletedSpan", "attached", "end_completed_span", "live_span"]


@contextmanager
def attached(context: Context | None) -> Iterator[None]:
    """Make ``context`` current for the block (``None``: leave the current one)."""
    if context is None:
        yield
        return
    token: Token[Context] = opentelemetry.context.attach(context)
    try:
        yield
    finally:
        # A workflow evicted mid-handler is finalized wherever garbage collection runs, in another
        # contextvars.Context, where the token is not valid: nothing to detach there.
        if opentelemetry.context.get_current() is context:
            with suppress(ValueError):
                token.var.reset(token)


@contextmanager
def live_span(
    tracer: opentelemetry.trace.Tracer,
    name: str,
    *,
    attributes: opentelemetry.util.types.Attributes,
    kind: opentelemetry.trace.SpanKind,
    context: Context | None = None,
) -> Iterator[opentelemetry.trace.Span]:
    """A current span around the block; an error other than a benign one marks it as failed."""
    with (
        attached(context),
        tracer.start_as_current_span(
            name,
            context=context,
            attributes=attributes,
            kind=kind,
            set_status_on_exception=False,
        ) as span,
    ):
        try:
            yield span
        except Exception as err:
            benign = (
                isinstance(err, ApplicationError)
                and err.category == ApplicationErrorCategory.BENIGN
            )
            if not benign:
                span.set_status(
                    Status(StatusCode.ERROR, description=f"{type(err).__name__}: {err}")
                )
            raise


@dataclass(frozen=True)
class CompletedSpan:
    """A span for workflow code, created only while the workflow is not replaying."""

    name: str
    context: Context
    """The parent context (the workflow's, or the query's caller)."""
    attributes: opentelemetry.util.types.Attributes
    time_ns: int
    """Workflow time: start and end are the same instant."""
    kind: opentelemetry.trace.SpanKind
    link_context: Context | None = None
    """A caller's context (a signal's or an update's sender) to link to."""
    exception: BaseException | None = None
    parent_missing: bool = False


def end_completed_span(
    tracer: opentelemetry.trace.Tracer, params: CompletedSpan, *, always_create: bool
) -> Context | None:
    """Record ``params`` as an ended span; the context with it as current span (None: no span).

    Without a parent (a workflow started by the CLI or a schedule, not a traced client) no span
    is made unless ``always_create``, as in the official contrib: such spans would be orphans.
    """
    if params.parent_missing and not always_create:
        return None
    links: list[opentelemetry.trace.Link] = []
    if params.link_context is not None:
        link_span = opentelemetry.trace.get_current_span(params.link_context)
        if link_span is not opentelemetry.trace.INVALID_SPAN:
            links.append(opentelemetry.trace.Link(link_span.get_span_context()))
    span = tracer.start_span(
        params.name,
        params.context,
        kind=params.kind,
        attributes=params.attributes,
        links=links,
        start_time=params.time_ns,
    )
    if params.exception is not None:
        span.record_exception(params.exception)
    span.end(end_time=params.time_ns)
    return opentelemetry.trace.set_span_in_context(span, params.context)
