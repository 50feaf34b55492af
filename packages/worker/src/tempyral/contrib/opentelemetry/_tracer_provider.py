"""A tracer provider whose spans are safe in workflow code (``ReplaySafeTracerProvider``).

With :py:class:`OpenTelemetryPlugin` workflow code traces with plain OpenTelemetry
(``opentelemetry.trace.get_tracer(...).start_as_current_span``). A workflow is replayed from its
history many times, on any worker, so the provider must make replays invisible:

- ids come from the workflow's deterministic randomness (:py:class:`TemporalIdGenerator`), so a
  span started again on replay has its first id and later children still find their parent;
- a span started on replay takes the workflow's time as its start, and a span ending on replay
  is not ended (it was exported the first time);
- a span that recorded an error which fails only the workflow task (to be retried) is not ended,
  or each retry would export one.

The OpenTelemetry SDK reads the clock and draws random ids; inside workflow code it runs with the
determinism guard suspended, since none of that changes what the workflow does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import opentelemetry.sdk.trace as trace_sdk
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import (
    ConcurrentMultiSpanProcessor,
    SpanLimits,
    SynchronousMultiSpanProcessor,
    sampling,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import (
    Link,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    TracerProvider,
    use_span,
)
from opentelemetry.util import types
from tempyral import workflow
from tempyral.contrib.opentelemetry._id_generator import (
    TemporalIdGenerator,
    replaying_workflow_history,
    unguarded,
)

__all__ = ["ReplaySafeTracerProvider", "create_tracer_provider"]


class _ReplaySafeSpan(Span):
    """A span that is not ended on replay, nor after an error that only fails the task."""

    def __init__(self, span: Span) -> None:
        self._span = span
        self._exception: BaseException | None = None

    def __getattr__(self, name: str) -> object:
        # What the SDK's span has beyond the API (``name``, ``attributes``...), for processors.
        return getattr(self._span, name)

    def end(self, end_time: int | None = None) -> None:
        if workflow.in_workflow():
            if replaying_workflow_history():
                return
            if self._exception is not None and not workflow.is_failure_exception(self._exception):
                return
            with workflow.unsafe.sandbox_unrestricted():
                self._span.end(end_time=end_time)
            return
        self._span.end(end_time=end_time)

    def get_span_context(self) -> SpanContext:
        return self._span.get_span_context()

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        self._span.set_attributes(attributes)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        self._span.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: types.Attributes = None, timestamp: int | None = None
    ) -> None:
        with unguarded():
            self._span.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        # Explicit: the API's Span has a warning no-op here that __getattr__ would never reach.
        self._span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self._span.update_name(name)

    def is_recording(self) -> bool:
        return self._span.is_recording()

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self._span.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self._exception = exception
        with unguarded():
            self._span.record_exception(exception, attributes, timestamp, escaped)


class _ReplaySafeTracer(Tracer):
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        if not workflow.in_workflow():
            span = self._tracer.start_span(
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
            )
            return _ReplaySafeSpan(span)
        if start_time is None and replaying_workflow_history():
            # The wall clock now says nothing about when the replayed code first ran.
            start_time = workflow.time_ns()
        with workflow.unsafe.sandbox_unrestricted():
            span = self._tracer.start_span(
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
            )
        return _ReplaySafeSpan(span)

    # The API decorates this with a private OpenTelemetry helper; a standard context manager
    # behaves the same for ``with`` and as a decorator.
    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = self.start_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )
        with use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current


class ReplaySafeTracerProvider(TracerProvider):
    """A tracer provider whose tracers are safe to use in workflow code (see the module doc).

    Make it with :py:func:`create_tracer_provider` and set it as the global provider
    (``opentelemetry.trace.set_tracer_provider``) before starting a worker with
    :py:class:`OpenTelemetryPlugin`.
    """

    def __init__(
        self, tracer_provider: trace_sdk.TracerProvider, id_generator: TemporalIdGenerator
    ) -> None:
        """Wrap ``tracer_provider``, which must draw its ids from ``id_generator``.

        Raises:
            ValueError: ``tracer_provider`` does not use a ``TemporalIdGenerator``.
        """
        if not isinstance(tracer_provider.id_generator, TemporalIdGenerator):
            raise ValueError(
                "ReplaySafeTracerProvider needs a TracerProvider whose id_generator is a "
                f"TemporalIdGenerator (got {type(tracer_provider.id_generator).__name__}): span "
                "ids must repeat on replay. Make the provider with create_tracer_provider()."
            )
        self._tracer_provider = tracer_provider
        self._id_generator = id_generator

    def add_span_processor(self, span_processor: trace_sdk.SpanProcessor) -> None:
        """Add a span processor to the wrapped provider."""
        self._tracer_provider.add_span_processor(span_processor)

    def shutdown(self) -> None:
        """Shut the wrapped provider down."""
        self._tracer_provider.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the wrapped provider's processors; False if they did not finish in time."""
        return self._tracer_provider.force_flush(timeout_millis)

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: types.Attributes | None = None,
    ) -> Tracer:
        """A replay-safe tracer over the wrapped provider's tracer."""
        return _ReplaySafeTracer(
            self._tracer_provider.get_tracer(
                instrumenting_module_name, instrumenting_library_version, schema_url, attributes
            )
        )

    def id_generator(self) -> TemporalIdGenerator:
        """The provider's id generator."""
        return self._id_generator


def create_tracer_provider(
    sampler: sampling.Sampler | None = None,
    resource: Resource | None = None,
    shutdown_on_exit: bool = True,
    active_span_processor: SynchronousMultiSpanProcessor
    | ConcurrentMultiSpanProcessor
    | None = None,
    id_generator: IdGenerator | None = None,
    span_limits: SpanLimits | None = None,
) -> ReplaySafeTracerProvider:
    """A :py:class:`ReplaySafeTracerProvider` over a new SDK ``TracerProvider``.

    The arguments are the SDK provider's; ``id_generator`` (random by default) is wrapped in a
    :py:class:`TemporalIdGenerator` so ids inside workflows repeat on replay.
    """
    generator = TemporalIdGenerator(id_generator or RandomIdGenerator())
    provider = trace_sdk.TracerProvider(
        sampler=sampler,
        resource=resource,
        shutdown_on_exit=shutdown_on_exit,
        active_span_processor=active_span_processor,
        span_limits=span_limits,
        id_generator=generator,
    )
    return ReplaySafeTracerProvider(provider, generator)
