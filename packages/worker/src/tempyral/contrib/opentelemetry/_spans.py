"""Span creation shared by the client, activity and workflow halves of the tracing interceptor.

Two kinds of spans: *live* spans around a client call or an activity run (started, made current,
ended when the call returns), and *completed* spans for workflow code, started and ended at the
same instant (``workflow.time_ns()``), because a span left open across workflow tasks could never
be ended reliably after a replay on another worker. Both follow the official contrib: names,
kinds, attributes, error status (benign application errors leave the status unset).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from contextvars import Token
from dataclasses import dataclass

import opentelemetry.context
import opentelemetry.trace
import opentelemetry.util.types
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.trace import Status, StatusCode
from tempyral.exceptions import ApplicationError, ApplicationErrorCategory

__all__ = ["CompletedSpan", "attached", "end_completed_span", "live_span"]


class attached:
    """Make ``context`` current for the block (``None``: leave the current one).

    A class rather than a generator context manager: it is entered around every workflow call
    and span, where a generator's frame and wrapper cost more than the attach itself.
    """

    __slots__ = ("_context", "_token")

    def __init__(self, context: Context | None) -> None:
        self._context = context
        self._token: Token[Context] | None = None

    def __enter__(self) -> None:
        if self._context is not None:
            self._token = opentelemetry.context.attach(self._context)

    def __exit__(self, *_: object) -> None:
        token = self._token
        # A workflow evicted mid-handler is finalized wherever garbage collection runs, in another
        # contextvars.Context, where the token is not valid: nothing to detach there.
        if token is not None and opentelemetry.context.get_current() is self._context:
            with suppress(ValueError):
                token.var.reset(token)


def _is_benign(err: BaseException) -> bool:
    return isinstance(err, ApplicationError) and err.category == ApplicationErrorCategory.BENIGN


def _error_status(err: BaseException) -> Status:
    return Status(StatusCode.ERROR, description=f"{type(err).__name__}: {err}")


class _SdkLiveSpan:
    """What ``start_as_current_span`` of the OpenTelemetry SDK's own ``Tracer`` does, without its
    two nested generator context managers: start the span under ``context`` (or the current
    one), make it current, and on the way out record an ``Exception`` (not a ``BaseException``
    such as a cancellation), mark a non-benign one as the span's error, end the span and restore
    the context. Only for that exact tracer class, whose behaviour this repeats."""

    __slots__ = ("_attributes", "_context", "_kind", "_name", "_span", "_token", "_tracer")

    def __init__(
        self,
        tracer: opentelemetry.trace.Tracer,
        name: str,
        attributes: opentelemetry.util.types.Attributes,
        kind: opentelemetry.trace.SpanKind,
        context: Context | None,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._attributes = attributes
        self._kind = kind
        self._context = context

    def __enter__(self) -> opentelemetry.trace.Span:
        span = self._tracer.start_span(
            self._name,
            self._context,
            kind=self._kind,
            attributes=self._attributes,
            set_status_on_exception=False,
        )
        parent = opentelemetry.context.get_current() if self._context is None else self._context
        self._token = opentelemetry.context.attach(
            opentelemetry.trace.set_span_in_context(span, parent)
        )
        self._span = span
        return span

    def __exit__(self, _type: object, err: BaseException | None, _tb: object) -> None:
        span = self._span
        try:
            opentelemetry.context.detach(self._token)
        finally:
            try:
                if isinstance(err, Exception):
                    if not _is_benign(err):
                        span.set_status(_error_status(err))
                    if span.is_recording():
                        span.record_exception(err)
            finally:
                span.end()


@contextmanager
def _generic_live_span(
    tracer: opentelemetry.trace.Tracer,
    name: str,
    attributes: opentelemetry.util.types.Attributes,
    kind: opentelemetry.trace.SpanKind,
    context: Context | None,
) -> Iterator[opentelemetry.trace.Span]:
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
            if not _is_benign(err):
                span.set_status(_error_status(err))
            raise


def live_span(
    tracer: opentelemetry.trace.Tracer,
    name: str,
    *,
    attributes: opentelemetry.util.types.Attributes,
    kind: opentelemetry.trace.SpanKind,
    context: Context | None = None,
) -> AbstractContextManager[opentelemetry.trace.Span]:
    """A current span around the block; an error other than a benign one marks it as failed.

    Any other tracer (a proxy, a replay-safe or a vendor's tracer) is used through its own
    ``start_as_current_span``.
    """
    if type(tracer) is SdkTracer:
        return _SdkLiveSpan(tracer, name, attributes, kind, context)
    return _generic_live_span(tracer, name, attributes, kind, context)


@dataclass(slots=True)
class CompletedSpan:
    """A span for workflow code, created only while the workflow is not replaying.

    Made for every workflow span and read once by the recorder: not frozen, because a frozen
    dataclass sets each of its fields through ``object.__setattr__``.
    """

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
