"""The workflow half of :py:class:`TracingInterceptor`: replay-safe spans for workflow code.

Each run gets a :py:class:`TracingWorkflowInboundInterceptor`. Its context is the one the starter
put in the ``_tracer-data`` header (``workflow.info().headers``); every workflow span is a child
of it. Spans are created only while the workflow is not replaying (queries excepted: a query is
answered once, replay or not), so a worker that replays a history emits nothing twice. Outbound
calls (activities, children, signals, continue-as-new) carry the new span's context in their
headers, so the activity's or child's spans join the same trace, on any SDK's worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, NoReturn

import opentelemetry.context
import opentelemetry.propagators.textmap
import opentelemetry.trace
import opentelemetry.util.types
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from tempyral import workflow
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.contrib.opentelemetry._propagation import (
    DEFAULT_HEADER_KEY,
    HasHeaders,
    carrier_from_headers,
    carrier_to_headers,
    carrier_to_nexus_headers,
    current_carrier,
    default_text_map_propagator,
)
from tempyral.contrib.opentelemetry._spans import CompletedSpan, attached, end_completed_span
from tempyral.converter import PayloadConverter
from tempyral.exceptions import FailureError
from tempyral.worker import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    StartNexusOperationInput,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
)

__all__ = ["SpanRecorder", "TracingWorkflowInboundInterceptor"]

SpanRecorder = Callable[[CompletedSpan], "Context | None"]
"""Records a completed span (the worker's :py:class:`TracingInterceptor` owns the tracer)."""


_interceptor_key = opentelemetry.context.create_key("tempyral_opentelemetry_workflow_interceptor")


def _default_recorder(params: CompletedSpan) -> Context | None:
    # A subclass returned unbound from a custom ``workflow_interceptor_class``: the global tracer,
    # and the default of creating spans only under a parent.
    tracer = opentelemetry.trace.get_tracer(__name__)
    return end_completed_span(tracer, params, always_create=False)


class TracingWorkflowInboundInterceptor(WorkflowInboundInterceptor):
    """Tracing interceptor for workflow calls (one instance per run).

    Subclass it (with :py:class:`TracingInterceptor`) to change ``header_key``,
    ``text_map_propagator`` or ``payload_converter``; both sides must agree.
    """

    _recorder: ClassVar[SpanRecorder] = staticmethod(_default_recorder)

    @staticmethod
    def _from_context() -> TracingWorkflowInboundInterceptor | None:
        found = opentelemetry.context.get_value(_interceptor_key)
        return found if isinstance(found, TracingWorkflowInboundInterceptor) else None

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        """Initialize a tracing workflow interceptor."""
        super().__init__(next)
        self.header_key: str = DEFAULT_HEADER_KEY
        self.text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator = (
            default_text_map_propagator
        )
        self.payload_converter: PayloadConverter = PayloadConverter.default
        # Per run, computed on first use: the starter's context (a Context is immutable) and the
        # attributes every span of the run carries (the SDK copies them into each span).
        self._starter_context_found = False
        self._starter_context: Context | None = None
        self._run_attributes: dict[str, opentelemetry.util.types.AttributeValue] | None = None

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Wrap the outbound chain so outbound calls carry the trace context."""
        super().init(_TracingWorkflowOutboundInterceptor(outbound, self))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Record ``RunWorkflow:<type>`` (and ``CompleteWorkflow:<type>`` at the end)."""
        with self._workflow_context(success_is_complete=True):
            self._completed_span("RunWorkflow", workflow.info().workflow_type, kind=SpanKind.SERVER)
            return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Record ``HandleSignal:<name>``, linked to the sender's span."""
        with self._workflow_context(success_is_complete=False):
            self._completed_span(
                "HandleSignal",
                input.signal,
                link=self._context_in(input.headers),
                kind=SpanKind.SERVER,
            )
            await super().handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        """Record ``HandleQuery:<name>`` under the caller's span (only for a traced caller)."""
        caller = self._context_in(input.headers)
        link: Context | None = None
        if caller is None:
            # No caller span: an empty context, so no span (a query is not part of the run).
            context = Context()
        else:
            context = caller
            link = self._workflow_context_value()
        with attached(self._with_self(context)):
            self._completed_span(
                "HandleQuery", input.query, link=link, even_on_replay=True, kind=SpanKind.SERVER
            )
            return await super().handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """Record ``ValidateUpdate:<name>``, linked to the sender's span."""
        with self._workflow_context(success_is_complete=False):
            self._completed_span(
                "ValidateUpdate",
                input.update,
                link=self._context_in(input.headers),
                kind=SpanKind.SERVER,
            )
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Record ``HandleUpdate:<name>``, linked to the sender's span."""
        with self._workflow_context(success_is_complete=False):
            self._completed_span(
                "HandleUpdate",
                input.update,
                link=self._context_in(input.headers),
                kind=SpanKind.SERVER,
            )
            return await super().handle_update_handler(input)

    # -- contexts ---------------------------------------------------------------------------------

    def _context_in(self, headers: Mapping[str, Payload]) -> Context | None:
        carrier = carrier_from_headers(self, headers)
        return None if carrier is None else self.text_map_propagator.extract(carrier)

    def _workflow_context_value(self) -> Context | None:
        if not self._starter_context_found:
            self._starter_context = self._context_in(workflow.info().headers)
            self._starter_context_found = True
        return self._starter_context

    def _with_self(self, context: Context) -> Context:
        # ``workflow.completed_span`` finds this interceptor through the current context.
        return opentelemetry.context.set_value(_interceptor_key, self, context)

    @contextmanager
    def _workflow_context(self, *, success_is_complete: bool) -> Iterator[None]:
        context = self._workflow_context_value() or Context()
        failure: FailureError | None = None
        completed = False
        with attached(self._with_self(context)):
            try:
                yield
                completed = True
            except FailureError as err:
                # Only failures end a run; other errors fail the task and are retried.
                failure = err
                raise
            finally:
                if failure is not None or (completed and success_is_complete):
                    self._completed_span(
                        "CompleteWorkflow",
                        workflow.info().workflow_type,
                        exception=failure,
                        kind=SpanKind.INTERNAL,
                    )

    # -- spans ------------------------------------------------------------------------------------

    def _completed_span(
        self,
        name: str,
        subject: str | None = None,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        link: Context | None = None,
        outbound: HasHeaders | None = None,
        nexus_outbound: StartNexusOperationInput[Any, Any] | None = None,
        even_on_replay: bool = False,
        additional_attributes: opentelemetry.util.types.Attributes = None,
        exception: BaseException | None = None,
    ) -> None:
        """Record ``name`` (``name:subject`` when given: formatted only if a span is made)."""
        if workflow.unsafe.is_replaying() and not even_on_replay:
            return
        attributes = self._run_attributes
        if attributes is None:
            info = workflow.info()
            attributes = {"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id}
            self._run_attributes = attributes
        if additional_attributes:
            attributes = {**attributes, **additional_attributes}
        current = opentelemetry.context.get_current()
        params = CompletedSpan(
            name=name if subject is None else f"{name}:{subject}",
            context=current,
            attributes=attributes,
            time_ns=workflow.time_ns(),
            kind=kind,
            link_context=link,
            exception=exception,
            parent_missing=opentelemetry.trace.get_current_span(current)
            is opentelemetry.trace.INVALID_SPAN,
        )
        # Recording is the worker's business, not workflow code's (the official contrib calls out
        # of its sandbox for it): span ids come from the tracer's own random generator, which
        # never changes what the workflow does, and no span is made on replay.
        with workflow.unsafe.sandbox_unrestricted():
            spanned = type(self)._recorder(params)
        if spanned is not None and outbound is not None:
            outbound.headers = carrier_to_headers(
                self, current_carrier(self, spanned), outbound.headers
            )
        if spanned is not None and nexus_outbound is not None:
            nexus_outbound.headers = carrier_to_nexus_headers(
                current_carrier(self, spanned), nexus_outbound.headers
            )

    def _current_to_headers(self, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        return carrier_to_headers(self, current_carrier(self), headers)


class _TracingWorkflowOutboundInterceptor(WorkflowOutboundInterceptor):
    def __init__(
        self, next: WorkflowOutboundInterceptor, root: TracingWorkflowInboundInterceptor
    ) -> None:
        super().__init__(next)
        self.root = root

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        # The next run continues the same trace.
        input.headers = self.root._current_to_headers(input.headers)
        super().continue_as_new(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        self.root._completed_span(
            "SignalChildWorkflow", input.signal, outbound=input, kind=SpanKind.SERVER
        )
        await super().signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        self.root._completed_span(
            "SignalExternalWorkflow", input.signal, outbound=input, kind=SpanKind.CLIENT
        )
        await super().signal_external_workflow(input)

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        self.root._completed_span(
            "StartActivity", input.activity, outbound=input, kind=SpanKind.CLIENT
        )
        return super().start_activity(input)

    async def start_child_workflow(
        self, input: StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        self.root._completed_span(
            "StartChildWorkflow", input.workflow, outbound=input, kind=SpanKind.CLIENT
        )
        return await super().start_child_workflow(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        self.root._completed_span(
            "StartActivity", input.activity, outbound=input, kind=SpanKind.CLIENT
        )
        return super().start_local_activity(input)

    async def start_nexus_operation(
        self, input: StartNexusOperationInput[Any, Any]
    ) -> workflow.NexusOperationHandle[Any]:
        self.root._completed_span(
            "StartNexusOperation",
            f"{input.service}/{input.operation_name}",
            nexus_outbound=input,
            kind=SpanKind.CLIENT,
        )
        return await super().start_nexus_operation(input)

    async def start_signal_with_start_workflow(
        self, request: Any
    ) -> workflow.NexusOperationHandle[Any]:
        headers = _RequestHeaders(dict(request.headers or {}))
        self.root._completed_span("SignalWithStartWorkflow", outbound=headers, kind=SpanKind.CLIENT)
        request.headers = headers.headers
        return await super().start_signal_with_start_workflow(request)


class _RequestHeaders:
    """A signal-with-start request's headers, as the outbound inputs carry theirs."""

    def __init__(self, headers: Mapping[str, Payload]) -> None:
        self.headers = headers
