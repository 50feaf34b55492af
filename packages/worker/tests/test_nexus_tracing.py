"""Nexus operation handlers under the caller's trace, with both OpenTelemetry interceptors.

Server-free: each interceptor wraps a handler call the way the worker does (through
``intercept_nexus_operation``), with the caller's ``traceparent`` in the Nexus headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import opentelemetry.trace
import pytest
from nexusrpc.handler import (
    CancelOperationContext,
    StartOperationContext,
    StartOperationResultSync,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tempyral.contrib.opentelemetry import OpenTelemetryInterceptor, TracingInterceptor
from tempyral.worker import (
    ExecuteNexusOperationCancelInput,
    ExecuteNexusOperationStartInput,
    NexusOperationInboundInterceptor,
)
from tempyral.worker._nexus_worker import TaskCancellation

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PARENT_ID = 0xB7AD6B7169203331
HEADERS = {"traceparent": f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"}


class Handler(NexusOperationInboundInterceptor):
    """The end of the chain: records the span it ran under."""

    def __init__(self) -> None:
        self.seen: list[opentelemetry.trace.SpanContext] = []

    async def execute_nexus_operation_start(self, input: ExecuteNexusOperationStartInput) -> Any:
        self.seen.append(opentelemetry.trace.get_current_span().get_span_context())
        return StartOperationResultSync(f"hello {input.input}")

    async def execute_nexus_operation_cancel(self, input: ExecuteNexusOperationCancelInput) -> None:
        self.seen.append(opentelemetry.trace.get_current_span().get_span_context())


def start_input() -> ExecuteNexusOperationStartInput:
    ctx = StartOperationContext(
        service="Greetings",
        operation="greet",
        headers=HEADERS,
        request_id="request-1",
        task_cancellation=TaskCancellation(),
    )
    return ExecuteNexusOperationStartInput(ctx, "you")


def cancel_input() -> ExecuteNexusOperationCancelInput:
    ctx = CancelOperationContext(
        service="Greetings",
        operation="greet",
        headers=HEADERS,
        task_cancellation=TaskCancellation(),
    )
    return ExecuteNexusOperationCancelInput(ctx, "token")


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


async def test_tracing_interceptor_makes_server_spans_under_the_callers_trace(
    exporter: InMemorySpanExporter,
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    handler = Handler()
    chain = TracingInterceptor(provider.get_tracer("t")).intercept_nexus_operation(handler)
    result = await chain.execute_nexus_operation_start(start_input())
    await chain.execute_nexus_operation_cancel(cancel_input())
    assert result == StartOperationResultSync("hello you")
    spans = exporter.get_finished_spans()
    assert [(span.name, span.kind) for span in spans] == [
        ("RunStartNexusOperationHandler:Greetings/greet", SpanKind.SERVER),
        ("RunCancelNexusOperationHandler:Greetings/greet", SpanKind.SERVER),
    ]
    for span, inside in zip(spans, handler.seen, strict=True):
        assert span.parent is not None
        assert (span.parent.trace_id, span.parent.span_id) == (TRACE_ID, PARENT_ID)
        assert span.context is not None
        assert inside.span_id == span.context.span_id


async def test_opentelemetry_interceptor_passes_the_callers_context_with_or_without_spans() -> None:
    quiet = Handler()
    chain = OpenTelemetryInterceptor().intercept_nexus_operation(quiet)
    await chain.execute_nexus_operation_start(start_input())
    # No Temporal spans by default: the handler runs in the caller's (remote) span context.
    [inside] = quiet.seen
    assert (inside.trace_id, inside.span_id) == (TRACE_ID, PARENT_ID)
