"""Live spans (client calls, activity runs): the OpenTelemetry SDK's own tracer takes a shorter
path than ``start_as_current_span``; the spans it records must be the very same.

Each case runs a block once through the SDK tracer (the short path) and once through a tracer
that only delegates to it (any other tracer class goes through ``start_as_current_span``), and
compares what was exported: names, kinds, parents, attributes, status and exception events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

import opentelemetry.context
import opentelemetry.trace
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tempyral.contrib.opentelemetry._spans import live_span
from tempyral.exceptions import ApplicationError, ApplicationErrorCategory


class _Delegating(opentelemetry.trace.Tracer):
    """Another tracer class around the same SDK tracer."""

    def __init__(self, inner: opentelemetry.trace.Tracer) -> None:
        self._inner = inner

    def start_span(self, *args: Any, **kwargs: Any) -> opentelemetry.trace.Span:
        return self._inner.start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.start_as_current_span(*args, **kwargs)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> opentelemetry.trace.Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tempyral-tests")


def _benign() -> ApplicationError:
    return ApplicationError("fine", category=ApplicationErrorCategory.BENIGN)


ERRORS: dict[str, BaseException | None] = {
    "none": None,
    "error": RuntimeError("boom"),
    "benign": _benign(),
    "cancelled": asyncio.CancelledError(),
}


def _summary(span: ReadableSpan, parent_ids: dict[int, str]) -> tuple[Any, ...]:
    events = tuple(
        (
            event.name,
            tuple(
                sorted(
                    (key, value)
                    for key, value in (event.attributes or {}).items()
                    if key != "exception.stacktrace"  # line numbers differ between the paths
                )
            ),
        )
        for event in span.events
    )
    parent = None if span.parent is None else parent_ids.get(span.parent.span_id, "remote")
    return (
        span.name,
        span.kind,
        parent,
        dict(span.attributes or {}),
        span.status.status_code,
        span.status.description,
        events,
    )


def _run(
    tracer: opentelemetry.trace.Tracer,
    exporter: InMemorySpanExporter,
    error: BaseException | None,
    *,
    with_context: bool,
) -> Sequence[tuple[Any, ...]]:
    exporter.clear()
    before = opentelemetry.context.get_current()
    with tracer.start_as_current_span("caller") as caller:
        context = opentelemetry.context.get_current() if with_context else None
        inside: list[opentelemetry.trace.Span] = []
        caught: list[BaseException] = []
        if with_context:
            # An explicit context is the parent even while another span is current.
            sibling = tracer.start_span("other")
            token = opentelemetry.context.attach(opentelemetry.trace.set_span_in_context(sibling))
        try:
            with live_span(
                tracer,
                "RunActivity:step",
                attributes={"temporalActivityID": "1"},
                kind=SpanKind.SERVER,
                context=context,
            ) as span:
                inside.append(opentelemetry.trace.get_current_span())
                assert inside[0] is span
                if error is not None:
                    raise error
        except BaseException as raised:
            caught.append(raised)
        assert caught == ([] if error is None else [error])
        if with_context:
            opentelemetry.context.detach(token)
            sibling.end()
        # The block's span is current no longer.
        assert opentelemetry.trace.get_current_span() is caller
    assert opentelemetry.context.get_current() is before
    spans = exporter.get_finished_spans()
    names = {span.context.span_id: span.name for span in spans if span.context is not None}
    return sorted(_summary(span, names) for span in spans if span.name == "RunActivity:step")


@pytest.mark.parametrize("with_context", [False, True])
@pytest.mark.parametrize("case", list(ERRORS))
def test_the_sdk_tracer_records_what_start_as_current_span_records(
    tracer: opentelemetry.trace.Tracer,
    exporter: InMemorySpanExporter,
    case: str,
    with_context: bool,
) -> None:
    error = ERRORS[case]
    short = _run(tracer, exporter, error, with_context=with_context)
    general = _run(_Delegating(tracer), exporter, error, with_context=with_context)
    assert short == general
    [(name, kind, parent, attributes, status, description, events)] = short
    assert (name, kind, parent, attributes) == (
        "RunActivity:step",
        SpanKind.SERVER,
        "caller",
        {"temporalActivityID": "1"},
    )
    if case == "error":
        assert status is opentelemetry.trace.StatusCode.ERROR
        assert description == "RuntimeError: boom"
        assert [event[0] for event in events] == ["exception"]
    elif case == "benign":
        assert status is opentelemetry.trace.StatusCode.UNSET  # recorded, not an error
        assert [event[0] for event in events] == ["exception"]
    else:  # a cancellation is no error of the span's
        assert status is opentelemetry.trace.StatusCode.UNSET
        assert events == ()
