"""``OpenTelemetryInterceptor``: the official contrib's second tracing design.

Where :py:class:`TracingInterceptor` records finished, zero-length spans for workflows through a
tracer of its own, this interceptor only carries the context: it puts the current OpenTelemetry
context in the ``_tracer-data`` header of every outgoing call and makes the incoming one current
around workflow code, activities, signals, queries and updates. Spans are whatever the
application makes with plain OpenTelemetry (``get_tracer(...).start_as_current_span``), inside
workflows too, through the global :py:class:`ReplaySafeTracerProvider`.
``add_temporal_spans=True`` adds the official spans (``StartWorkflow:<type>``,
``RunWorkflow:<type>``, ``RunActivity:<type>``...) as real spans with durations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, NoReturn

import opentelemetry.trace
import opentelemetry.util.types
import tempyral.client
import tempyral.worker
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from tempyral import activity, workflow
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.client import (
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)
from tempyral.contrib.opentelemetry._nexus_tracing import NexusHandlerTracing
from tempyral.contrib.opentelemetry._propagation import (
    DEFAULT_HEADER_KEY,
    HasHeaders,
    carrier_from_headers,
    carrier_to_headers,
    carrier_to_nexus_headers,
    current_carrier,
    default_text_map_propagator,
)
from tempyral.contrib.opentelemetry._spans import attached
from tempyral.contrib.opentelemetry._tracer_provider import ReplaySafeTracerProvider
from tempyral.converter import PayloadConverter
from tempyral.exceptions import ApplicationError, ApplicationErrorCategory
from tempyral.worker import (
    ActivityInboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    NexusOperationInboundInterceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    StartNexusOperationInput,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
)

__all__ = ["OpenTelemetryInterceptor"]


class _OfficialHeaders:
    """The header key, propagator and converter of the official contrib (not configurable)."""

    header_key = DEFAULT_HEADER_KEY
    text_map_propagator = default_text_map_propagator
    payload_converter = PayloadConverter.default


_HEADERS = _OfficialHeaders()


def _with_current_context(headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
    return carrier_to_headers(_HEADERS, current_carrier(_HEADERS), headers)


def _context_from(headers: Mapping[str, Payload]) -> Context:
    """The context in ``headers``; an empty one (no parent) when there is none."""
    carrier = carrier_from_headers(_HEADERS, headers)
    return Context() if carrier is None else default_text_map_propagator.extract(carrier)


class _TracerCache:
    """The global provider's tracer for this module, fetched again only if the provider changes.

    ``get_tracer`` builds a new SDK tracer (and instrumentation scope) per call: too dear per span.
    """

    provider: object = None
    tracer: opentelemetry.trace.Tracer = opentelemetry.trace.NoOpTracer()

    @classmethod
    def get(cls) -> opentelemetry.trace.Tracer:
        provider = opentelemetry.trace.get_tracer_provider()
        if provider is not cls.provider:
            cls.tracer = provider.get_tracer(__name__)
            cls.provider = provider
        return cls.tracer


@contextmanager
def _span(
    name: str, attributes: opentelemetry.util.types.Attributes, kind: SpanKind
) -> Iterator[None]:
    """A current span around the block; an error other than a benign one marks it as failed."""
    with _TracerCache.get().start_as_current_span(
        name, attributes=attributes, kind=kind, set_status_on_exception=False
    ) as span:
        try:
            yield
        except Exception as err:
            if not (
                isinstance(err, ApplicationError)
                and err.category == ApplicationErrorCategory.BENIGN
            ):
                span.set_status(
                    Status(StatusCode.ERROR, description=f"{type(err).__name__}: {err}")
                )
            raise


class OpenTelemetryInterceptor(tempyral.client.Interceptor, tempyral.worker.Interceptor):
    """Carries the OpenTelemetry context through client calls, workflows and activities.

    Usually installed by :py:class:`OpenTelemetryPlugin`; given to ``Client.connect`` it serves
    the client and every worker on it, given to a ``Worker`` that worker only. Workers need the
    global tracer provider to be a :py:class:`ReplaySafeTracerProvider`.
    """

    def __init__(self, add_temporal_spans: bool = False) -> None:
        """Initialize the interceptor.

        Args:
            add_temporal_spans: Also make spans for Temporal's own operations
                (``StartWorkflow:<type>``, ``RunWorkflow:<type>``, ``RunActivity:<type>``...).
        """
        self._add_temporal_spans = add_temporal_spans

    def intercept_client(
        self, next: tempyral.client.OutboundInterceptor
    ) -> tempyral.client.OutboundInterceptor:
        """Send the current context with the client's workflow calls."""
        return _ClientOutbound(next, self._add_temporal_spans)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Run activities under the context of the workflow that scheduled them."""
        return _ActivityInbound(next, self._add_temporal_spans)

    def intercept_nexus_operation(
        self, next: NexusOperationInboundInterceptor
    ) -> NexusOperationInboundInterceptor:
        """Run Nexus operation handlers under the context their caller sent."""
        return NexusHandlerTracing(next, self._nexus_handler_context)

    @contextmanager
    def _nexus_handler_context(self, name: str, headers: Mapping[str, str]) -> Iterator[None]:
        with attached(default_text_map_propagator.extract(headers)):
            if not self._add_temporal_spans:
                yield
                return
            with _span(name, {}, SpanKind.SERVER):
                yield

    def workflow_interceptor_class(
        self, input: tempyral.worker.WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        """The workflow interceptor; refuses a global provider that is not replay-safe."""
        provider = opentelemetry.trace.get_tracer_provider()
        if not isinstance(provider, ReplaySafeTracerProvider):
            raise ValueError(
                "OpenTelemetryInterceptor (OpenTelemetryPlugin) needs the global tracer provider "
                f"to be a ReplaySafeTracerProvider, not {type(provider).__name__}: spans in "
                "workflow code must survive replays. Call "
                "opentelemetry.trace.set_tracer_provider(create_tracer_provider()) (from "
                "tempyral.contrib.opentelemetry) before creating the worker."
            )
        return type(
            _WorkflowInbound.__name__,
            (_WorkflowInbound,),
            {"_add_temporal_spans": self._add_temporal_spans},
        )


class _Spanning:
    """Optional Temporal spans: the flag and the one place that honours it."""

    _add_temporal_spans: bool = False

    def _maybe_span(
        self,
        name: str,
        attributes: opentelemetry.util.types.Attributes,
        kind: SpanKind,
    ) -> AbstractContextManager[None]:
        return _span(name, attributes, kind) if self._add_temporal_spans else nullcontext()


class _ClientOutbound(_Spanning, tempyral.client.OutboundInterceptor):
    def __init__(self, next: tempyral.client.OutboundInterceptor, add_spans: bool) -> None:
        super().__init__(next)
        self._add_temporal_spans = add_spans

    def _call(self, name: str, workflow_id: str) -> AbstractContextManager[None]:
        return self._maybe_span(name, {"temporalWorkflowID": workflow_id}, SpanKind.CLIENT)

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        prefix = "SignalWithStartWorkflow" if input.start_signal else "StartWorkflow"
        with self._call(f"{prefix}:{input.workflow}", input.id):
            input.headers = _with_current_context(input.headers)
            return await super().start_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        with self._call(f"QueryWorkflow:{input.query}", input.id):
            input.headers = _with_current_context(input.headers)
            return await super().query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        with self._call(f"SignalWorkflow:{input.signal}", input.id):
            input.headers = _with_current_context(input.headers)
            await super().signal_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        with self._call(f"StartWorkflowUpdate:{input.update}", input.id):
            input.headers = _with_current_context(input.headers)
            return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        start, update = input.start_workflow_input, input.update_workflow_input
        attributes = {"temporalWorkflowID": start.id}
        if update.update_id is not None:
            attributes["temporalUpdateID"] = update.update_id
        with self._maybe_span(
            f"StartUpdateWithStartWorkflow:{start.workflow}", attributes, SpanKind.CLIENT
        ):
            start.headers = _with_current_context(start.headers)
            update.headers = _with_current_context(update.headers)
            return await super().start_update_with_start_workflow(input)


class _ActivityInbound(_Spanning, ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, add_spans: bool) -> None:
        super().__init__(next)
        self._add_temporal_spans = add_spans

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        with attached(_context_from(input.headers)):
            if not self._add_temporal_spans:
                return await super().execute_activity(input)
            info = activity.info()
            attributes = {
                "temporalWorkflowID": info.workflow_id or "",
                "temporalRunID": info.workflow_run_id or "",
                "temporalActivityID": info.activity_id,
            }
            with _span(f"RunActivity:{info.activity_type}", attributes, SpanKind.SERVER):
                return await super().execute_activity(input)


def _workflow_attributes() -> dict[str, opentelemetry.util.types.AttributeValue]:
    info = workflow.info()
    return {"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id}


class _WorkflowInbound(_Spanning, WorkflowInboundInterceptor):
    """Each workflow entry point runs under the context its caller sent."""

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound, self._add_temporal_spans))

    @contextmanager
    def _entry(self, input: HasHeaders, name: str) -> Iterator[None]:
        with attached(_context_from(input.headers)):
            if not self._add_temporal_spans:
                yield
                return
            with _span(name, _workflow_attributes(), SpanKind.SERVER):
                yield

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        with self._entry(input, f"RunWorkflow:{workflow.info().workflow_type}"):
            return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        with self._entry(input, f"HandleSignal:{input.signal}"):
            await super().handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        with self._entry(input, f"HandleQuery:{input.query}"):
            return await super().handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        with self._entry(input, f"ValidateUpdate:{input.update}"):
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        with self._entry(input, f"HandleUpdate:{input.update}"):
            return await super().handle_update_handler(input)


class _WorkflowOutbound(_Spanning, WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, add_spans: bool) -> None:
        super().__init__(next)
        self._add_temporal_spans = add_spans

    def _call(self, name: str, kind: SpanKind) -> AbstractContextManager[None]:
        if not self._add_temporal_spans:
            return nullcontext()
        return _span(name, _workflow_attributes(), kind)

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        input.headers = _with_current_context(input.headers)
        super().continue_as_new(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        with self._call(f"SignalChildWorkflow:{input.signal}", SpanKind.SERVER):
            input.headers = _with_current_context(input.headers)
            await super().signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        with self._call(f"SignalExternalWorkflow:{input.signal}", SpanKind.CLIENT):
            input.headers = _with_current_context(input.headers)
            await super().signal_external_workflow(input)

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        with self._call(f"StartActivity:{input.activity}", SpanKind.CLIENT):
            input.headers = _with_current_context(input.headers)
            return super().start_activity(input)

    async def start_child_workflow(
        self, input: StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        with self._call(f"StartChildWorkflow:{input.workflow}", SpanKind.CLIENT):
            input.headers = _with_current_context(input.headers)
            return await super().start_child_workflow(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        with self._call(f"StartActivity:{input.activity}", SpanKind.CLIENT):
            input.headers = _with_current_context(input.headers)
            return super().start_local_activity(input)

    async def start_nexus_operation(
        self, input: StartNexusOperationInput[Any, Any]
    ) -> workflow.NexusOperationHandle[Any]:
        name = f"StartNexusOperation:{input.service}/{input.operation_name}"
        with self._call(name, SpanKind.CLIENT):
            input.headers = carrier_to_nexus_headers(current_carrier(_HEADERS), input.headers)
            return await super().start_nexus_operation(input)

    async def start_signal_with_start_workflow(
        self, request: Any
    ) -> workflow.NexusOperationHandle[Any]:
        with self._call("SignalWithStartWorkflow", SpanKind.CLIENT):
            request.headers = _with_current_context(dict(request.headers or {}))
            return await super().start_signal_with_start_workflow(request)
