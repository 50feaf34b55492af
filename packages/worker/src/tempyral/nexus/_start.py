"""Starts made by a Nexus start handler: links, completion callbacks, request ID.

While a start handler runs, the worker installs an :py:class:`OperationStartHook` as the
client's ``start_workflow_hook``. Every workflow the handler starts gets links back to the
caller (the Nexus request's inbound links), as do its signals; the links servers return for
signals and queries join the Nexus response's. The one workflow, update or standalone activity
that backs the operation (started through :py:func:`start_backing_workflow`,
``TemporalNexusClient.start_workflow_update`` or ``start_activity``) also gets the Nexus
request ID and the completion callback (the caller's URL and headers, plus
``nexus-operation-token``), so the server completes the caller when it ends; its start's link
goes into the Nexus response. This is what the official SDK does through its client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import nexusrpc
from nexusrpc.handler import StartOperationContext

from tempyral.api.common.v1.message_pb2 import Callback as CallbackProto
from tempyral.api.common.v1.message_pb2 import Link
from tempyral.api.enums.v1.event_type_pb2 import EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client import Callback
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from tempyral.nexus._context import OperationScope, logger
from tempyral.nexus._links import nexus_link_to_temporal_link, temporal_link_to_nexus_link
from tempyral.nexus._token import OperationToken, OperationTokenType, WorkflowHandle

if TYPE_CHECKING:
    from tempyral.client import WorkflowHandle as ClientWorkflowHandle

__all__ = ["ARG_UNSET", "OperationStartHook", "start_backing_workflow", "starting_backing_start"]

ReturnT = TypeVar("ReturnT")

ARG_UNSET: Any = object()
"""The default of ``arg``: no single argument given."""

_NO_METADATA: Mapping[str, str | bytes] = MappingProxyType({})

_backing_start: ContextVar[bool] = ContextVar("tempyral_nexus_backing_start", default=False)


@contextmanager
def starting_backing_start() -> Iterator[None]:
    """While the operation's backing workflow or activity is being started."""
    token = _backing_start.set(True)
    try:
        yield
    finally:
        _backing_start.reset(token)


class OperationStartHook:
    """The client hook of one Nexus start handler (see the module docstring)."""

    def __init__(self, scope: OperationScope, context: StartOperationContext) -> None:
        self._scope = scope
        self._context = context

    def _request_links(self) -> list[Link]:
        links = (nexus_link_to_temporal_link(link) for link in self._context.inbound_links)
        return [link for link in links if link is not None]

    def _callbacks(self, token: str) -> list[Callback]:
        if not self._context.callback_url:
            return []
        headers = {**self._context.callback_headers, "nexus-operation-token": token}
        return [Callback(url=self._context.callback_url, headers=headers)]

    def before_start(self, request: ws.StartWorkflowExecutionRequest) -> None:
        links = self._request_links()
        # Links go on the request too, for servers older than callback links.
        request.links.extend(links)
        callbacks: list[Callback] = []
        if _backing_start.get():
            request.request_id = self._context.request_id
            token = OperationToken(
                type=OperationTokenType.WORKFLOW,
                namespace=self._scope.client.namespace,
                workflow_id=request.workflow_id,
            ).encode()
            callbacks = self._callbacks(token)
            request.completion_callbacks.extend(
                CallbackProto(
                    nexus=CallbackProto.Nexus(url=callback.url, header=dict(callback.headers)),
                    links=links,
                )
                for callback in callbacks
            )
        if links or callbacks:
            options = request.on_conflict_options
            options.attach_request_id = True
            options.attach_completion_callbacks = True
            options.attach_links = True

    def before_signal(self, request: ws.SignalWorkflowExecutionRequest) -> None:
        request.links.extend(self._request_links())

    def after_signal(self, response: ws.SignalWorkflowExecutionResponse) -> None:
        self._add_response_link(response)

    def after_query(self, response: ws.QueryWorkflowResponse) -> None:
        self._add_response_link(response)

    def _add_response_link(
        self,
        response: (
            ws.SignalWorkflowExecutionResponse
            | ws.QueryWorkflowResponse
            | ws.UpdateWorkflowExecutionResponse
        ),
    ) -> None:
        """The link a server returned for what the handler did goes into the Nexus response."""
        if response.HasField("link"):
            nexus_link = temporal_link_to_nexus_link(response.link)
            if nexus_link is not None:
                self._context.outbound_links.append(nexus_link)

    def before_start_update(self, request: ws.UpdateWorkflowExecutionRequest) -> None:
        # Only the update backing the operation: other updates a handler sends are unchanged.
        if not _backing_start.get():
            return
        links = self._request_links()
        request.request.request_id = self._context.request_id
        request.request.links.extend(links)
        token = OperationToken(
            type=OperationTokenType.UPDATE_WORKFLOW,
            namespace=self._scope.client.namespace,
            workflow_id=request.workflow_execution.workflow_id,
            update_id=request.request.meta.update_id,
            run_id=request.workflow_execution.run_id or None,
        ).encode()
        request.request.completion_callbacks.extend(
            CallbackProto(
                nexus=CallbackProto.Nexus(url=callback.url, header=dict(callback.headers)),
                links=links,
            )
            for callback in self._callbacks(token)
        )

    def after_start_update(self, response: ws.UpdateWorkflowExecutionResponse) -> None:
        self._add_response_link(response)

    def before_start_activity(self, request: ws.StartActivityExecutionRequest) -> None:
        request.request_id = self._context.request_id
        links = self._request_links()
        callbacks: list[Callback] = []
        if _backing_start.get():
            token = OperationToken(
                type=OperationTokenType.ACTIVITY,
                namespace=self._scope.client.namespace,
                activity_id=request.activity_id,
            ).encode()
            callbacks = self._callbacks(token)
            request.completion_callbacks.extend(
                CallbackProto(
                    nexus=CallbackProto.Nexus(url=callback.url, header=dict(callback.headers)),
                    links=links,
                )
                for callback in callbacks
            )
        else:
            request.links.extend(links)
        if links or callbacks:
            options = request.on_conflict_options
            options.attach_request_id = True
            options.attach_completion_callbacks = True
            options.attach_links = True

    def after_start_activity(
        self, activity_id: str, response: ws.StartActivityExecutionResponse
    ) -> None:
        link = response.link if response.HasField("link") else None
        if link is None:
            link = Link(
                activity=Link.Activity(
                    namespace=self._scope.client.namespace,
                    activity_id=activity_id,
                    run_id=response.run_id,
                )
            )
        nexus_link = temporal_link_to_nexus_link(link)
        if nexus_link is not None:
            self._context.outbound_links.append(nexus_link)

    def before_signal_with_start(self, request: ws.SignalWithStartWorkflowExecutionRequest) -> None:
        if not _backing_start.get():
            request.links.extend(self._request_links())

    def after_start(self, handle: ClientWorkflowHandle[Any, Any]) -> None:
        response = handle._start_workflow_response
        link: Link | None = None
        if isinstance(response, ws.StartWorkflowExecutionResponse):
            if response.HasField("link"):
                link = response.link
            elif handle.first_execution_run_id:
                # Servers that return no link: the started event, found by the request ID.
                link = Link(
                    workflow_event=Link.WorkflowEvent(
                        namespace=handle._client.namespace,
                        workflow_id=handle.id,
                        run_id=handle.first_execution_run_id,
                        request_id_ref=Link.WorkflowEvent.RequestIdReference(
                            request_id=self._context.request_id,
                            event_type=EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
                        ),
                    )
                )
        elif isinstance(
            response, ws.SignalWithStartWorkflowExecutionResponse
        ) and response.HasField("signal_link"):
            link = response.signal_link
        if link is None:
            return
        try:
            nexus_link = temporal_link_to_nexus_link(link)
        except Exception as err:  # a link is a convenience for the UI: never fail the start
            logger.warning(f"Failed to create event links for workflow {handle.id}: {err}")
            return
        if nexus_link is not None:
            self._context.outbound_links.append(nexus_link)


async def start_backing_workflow(
    scope: OperationScope,
    workflow: str | Callable[..., Awaitable[ReturnT]],
    arg: Any = ARG_UNSET,
    *,
    args: Sequence[Any] = (),
    id: str,
    task_queue: str | None = None,
    result_type: type | None = None,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: TypedSearchAttributes | SearchAttributes | None = None,
    static_summary: str | None = None,
    static_details: str | None = None,
    start_delay: timedelta | None = None,
    start_signal: str | None = None,
    start_signal_args: Sequence[Any] = (),
    rpc_metadata: Mapping[str, str | bytes] = _NO_METADATA,
    rpc_timeout: timedelta | None = None,
    request_eager_start: bool = False,
    priority: Priority = Priority.default,
    versioning_override: VersioningOverride | None = None,
) -> WorkflowHandle[ReturnT]:
    """Start the workflow whose end completes the current Nexus operation."""
    if arg is not ARG_UNSET:
        if args:
            raise ValueError("Cannot have arg and args")
        args = [arg]
    with starting_backing_start():
        # The overloads of start_workflow cannot be chosen from the union: it takes either.
        handle = await scope.client.start_workflow(
            cast(Any, workflow),
            args=args,
            id=id,
            task_queue=task_queue or scope.info().task_queue,
            result_type=result_type,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule=cron_schedule,
            memo=memo,
            search_attributes=search_attributes,
            static_summary=static_summary,
            static_details=static_details,
            start_delay=start_delay,
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            request_eager_start=request_eager_start,
            priority=priority,
            versioning_override=versioning_override,
        )
    return WorkflowHandle[ReturnT]._unsafe_from_client_workflow_handle(handle)


def reject_second_async_start() -> nexusrpc.HandlerError:
    return nexusrpc.HandlerError(
        "Only one async operation can be started per operation handler invocation. Use "
        "TemporalNexusClient.client for additional workflow interactions",
        type=nexusrpc.HandlerErrorType.BAD_REQUEST,
    )
