""":py:class:`TracingInterceptor`: OpenTelemetry spans for client calls, activities, workflows
and Nexus operation handlers (``_nexus_tracing``).

One object is both a client interceptor and a worker interceptor, as in the official contrib:
given to ``Client.connect`` it traces the client's calls and every worker built on that client.
Client calls and activity runs get live spans; workflows get replay-safe completed spans
(``_workflow_interceptor``). The context travels in the ``_tracer-data`` header (``_propagation``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import opentelemetry.propagators.textmap
import opentelemetry.trace
import opentelemetry.util.types
import tempyral.client
import tempyral.worker
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from tempyral import activity
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
    current_carrier,
    default_text_map_propagator,
)
from tempyral.contrib.opentelemetry._spans import CompletedSpan, end_completed_span, live_span
from tempyral.contrib.opentelemetry._workflow_interceptor import TracingWorkflowInboundInterceptor
from tempyral.converter import PayloadConverter
from tempyral.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    NexusOperationInboundInterceptor,
)

__all__ = ["TracingInterceptor"]


class TracingInterceptor(tempyral.client.Interceptor, tempyral.worker.Interceptor):
    """Interceptor that creates and propagates OpenTelemetry spans, for clients and workers.

    Give it to ``Client.connect(interceptors=[...])`` to trace client calls and every worker
    using that client, or to ``Worker(interceptors=[...])`` for that worker only. To change the
    header key, propagator or payload converter, subclass this class and
    :py:class:`TracingWorkflowInboundInterceptor` and return the latter from
    :py:meth:`workflow_interceptor_class`.
    """

    def __init__(
        self,
        tracer: opentelemetry.trace.Tracer | None = None,
        *,
        always_create_workflow_spans: bool = False,
    ) -> None:
        """Initialize an OpenTelemetry tracing interceptor.

        Args:
            tracer: The tracer to use; :py:func:`opentelemetry.trace.get_tracer` by default.
            always_create_workflow_spans: By default workflow spans are made only under a span
                from the starting client (a workflow started by the CLI or a schedule gets
                none). True makes them always, at the risk of orphan spans after a replay.
        """
        self.tracer = tracer or opentelemetry.trace.get_tracer(__name__)
        # Subclass to customise these; the workflow interceptor must agree with them.
        self.header_key: str = DEFAULT_HEADER_KEY
        self.text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator = (
            default_text_map_propagator
        )
        self.payload_converter: PayloadConverter = PayloadConverter.default
        self._always_create_workflow_spans = always_create_workflow_spans

    def intercept_client(
        self, next: tempyral.client.OutboundInterceptor
    ) -> tempyral.client.OutboundInterceptor:
        """Trace the client's workflow calls (start, signal, query, update)."""
        return _TracingClientOutboundInterceptor(next, self)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Trace activity runs (``RunActivity:<type>``)."""
        return _TracingActivityInboundInterceptor(next, self)

    def intercept_nexus_operation(
        self, next: NexusOperationInboundInterceptor
    ) -> NexusOperationInboundInterceptor:
        """Trace Nexus operation handlers (``RunStartNexusOperationHandler:<service>/<op>``)."""
        return NexusHandlerTracing(next, self._nexus_handler_span)

    def _nexus_handler_span(
        self, name: str, headers: Mapping[str, str]
    ) -> AbstractContextManager[Any]:
        context = self.text_map_propagator.extract(headers)
        return live_span(self.tracer, name, attributes={}, kind=SpanKind.SERVER, context=context)

    def workflow_interceptor_class(
        self, input: tempyral.worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        """The workflow interceptor, bound to this interceptor's tracer.

        tempyral runs workflows without a sandbox, so instead of the official extern function the
        class handed to the worker records spans through this object directly.
        """
        return type(
            TracingWorkflowInboundInterceptor.__name__,
            (TracingWorkflowInboundInterceptor,),
            {"_recorder": staticmethod(self._completed_workflow_span)},
        )

    def _completed_workflow_span(self, params: CompletedSpan) -> Context | None:
        return end_completed_span(
            self.tracer, params, always_create=self._always_create_workflow_spans
        )

    @contextmanager
    def _client_span(
        self,
        name: str,
        input: HasHeaders,
        attributes: opentelemetry.util.types.Attributes,
    ) -> Iterator[None]:
        with live_span(self.tracer, name, attributes=attributes, kind=SpanKind.CLIENT):
            input.headers = carrier_to_headers(self, current_carrier(self), input.headers)
            yield


class _TracingClientOutboundInterceptor(tempyral.client.OutboundInterceptor):
    def __init__(self, next: tempyral.client.OutboundInterceptor, root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        prefix = "SignalWithStartWorkflow" if input.start_signal else "StartWorkflow"
        with self.root._client_span(
            f"{prefix}:{input.workflow}", input, {"temporalWorkflowID": input.id}
        ):
            return await super().start_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        with self.root._client_span(
            f"QueryWorkflow:{input.query}", input, {"temporalWorkflowID": input.id}
        ):
            return await super().query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        with self.root._client_span(
            f"SignalWorkflow:{input.signal}", input, {"temporalWorkflowID": input.id}
        ):
            await super().signal_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        with self.root._client_span(
            f"StartWorkflowUpdate:{input.update}", input, {"temporalWorkflowID": input.id}
        ):
            return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        start, update = input.start_workflow_input, input.update_workflow_input
        attributes = {"temporalWorkflowID": start.id}
        if update.update_id is not None:
            attributes["temporalUpdateID"] = update.update_id
        with self.root._client_span(
            f"StartUpdateWithStartWorkflow:{start.workflow}", start, attributes
        ):
            # The update carries the same context as the start.
            header = start.headers.get(self.root.header_key)
            if header is not None:
                update.headers = {**update.headers, self.root.header_key: header}
            return await super().start_update_with_start_workflow(input)


class _TracingActivityInboundInterceptor(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        attributes = {"temporalActivityID": info.activity_id}
        if info.workflow_id:
            attributes["temporalWorkflowID"] = info.workflow_id
        if info.workflow_run_id:
            attributes["temporalRunID"] = info.workflow_run_id
        carrier = carrier_from_headers(self.root, input.headers)
        context = None if carrier is None else self.root.text_map_propagator.extract(carrier)
        with live_span(
            self.root.tracer,
            f"RunActivity:{info.activity_type}",
            attributes=attributes,
            kind=SpanKind.SERVER,
            context=context,
        ):
            return await super().execute_activity(input)
