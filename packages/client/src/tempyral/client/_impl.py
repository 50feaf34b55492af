"""The last outbound interceptor: builds each request, makes the RPC, reads the response.

Workflow calls live here; async activity calls in ``_impl_activity`` and schedule calls in
``_impl_schedule``, mixed into :py:class:`_ClientImpl`. Every RPC is made with ``retry=True``
(the client's retry config applies) and the call's ``rpc_metadata`` and ``rpc_timeout``.
Arguments are converted with the target workflow's serialization context.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.common.v1.message_pb2 import WorkflowExecution as WorkflowExecutionProto
from tempyral.api.enums.v1 import update_pb2 as update_enums
from tempyral.api.errordetails.v1.message_pb2 import (
    MultiOperationExecutionFailure,
    WorkflowExecutionAlreadyStartedFailure,
)
from tempyral.api.failure.v1.message_pb2 import MultiOperationExecutionAborted
from tempyral.api.update.v1.message_pb2 import Input as UpdateInputProto
from tempyral.api.update.v1.message_pb2 import Meta, WaitPolicy
from tempyral.api.update.v1.message_pb2 import Request as UpdateRequestProto
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._build_id_calls import _BuildIdImplCalls
from tempyral.client._errors import (
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from tempyral.client._handle import WorkflowHandle
from tempyral.client._helpers import _apply_headers, _encode_args, _encode_user_metadata
from tempyral.client._impl_activity import _AsyncActivityCalls
from tempyral.client._impl_schedule import _ScheduleCalls
from tempyral.client._inputs import (
    CancelWorkflowInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    ListWorkflowsInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    TerminateWorkflowInput,
)
from tempyral.client._interceptor import OutboundInterceptor
from tempyral.client._nexus_calls import _NexusImplCalls
from tempyral.client._standalone_activity_impl import _StandaloneActivityCalls
from tempyral.client._update import WorkflowUpdateHandle, WorkflowUpdateStage
from tempyral.client.nexus_hooks import start_workflow_hook
from tempyral.common import HeaderCodecBehavior
from tempyral.common._logging import logger
from tempyral.converter import DataConverter, WorkflowSerializationContext, encode_search_attributes
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from tempyral.client._client import Client
    from tempyral.client._list import (
        WorkflowExecutionAsyncIterator,
        WorkflowExecutionCount,
        WorkflowExecutionDescription,
        WorkflowHistoryEventAsyncIterator,
    )
    from tempyral.client._with_start_inputs import (
        StartWorkflowUpdateWithStartInput,
        UpdateWithStartStartWorkflowInput,
        UpdateWithStartUpdateWorkflowInput,
    )

__all__ = ["_ClientImpl"]

_ACCEPTED = update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
_TIMEOUT_OR_CANCEL = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
_STATUS_CODES = frozenset(code.value for code in RPCStatusCode)


def _execution(workflow_id: str, run_id: str | None) -> WorkflowExecutionProto:
    return WorkflowExecutionProto(workflow_id=workflow_id, run_id=run_id or "")


def _already_started(err: RPCError, workflow_id: str, workflow_type: str) -> Exception | None:
    """The WorkflowAlreadyStartedError an ALREADY_EXISTS error stands for, if it does."""
    if err.status != RPCStatusCode.ALREADY_EXISTS or not err.grpc_status.details:
        return None
    details = WorkflowExecutionAlreadyStartedFailure()
    if not err.grpc_status.details[0].Unpack(details):
        return None
    return WorkflowAlreadyStartedError(
        workflow_id,
        workflow_type,
        run_id=details.run_id,
        first_run_id=details.first_execution_run_id or None,
    )


class _ClientImpl(
    _AsyncActivityCalls,
    _ScheduleCalls,
    _StandaloneActivityCalls,
    _BuildIdImplCalls,
    _NexusImplCalls,
    OutboundInterceptor,
):
    """The default outbound implementation: one RPC (or a few) per call."""

    def __init__(self, client: Client) -> None:
        # No next interceptor: this is the end of the chain.
        self._client = client

    def _converter(self, workflow_id: str) -> DataConverter:
        return self._client.data_converter.with_context(
            WorkflowSerializationContext(namespace=self._client.namespace, workflow_id=workflow_id)
        )

    async def _apply_headers(self, source: Mapping[str, Payload] | None, dest: Any) -> None:
        codec = self._client._config["header_codec_behavior"] == HeaderCodecBehavior.CODEC
        await _apply_headers(source, dest, codec, self._client.data_converter)

    # -- start ---------------------------------------------------------------------------------

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        request: ws.StartWorkflowExecutionRequest | ws.SignalWithStartWorkflowExecutionRequest
        service = self._client.workflow_service
        try:
            if input.start_signal is not None:
                request = ws.SignalWithStartWorkflowExecutionRequest(signal_name=input.start_signal)
                if input.start_signal_args:
                    what = f"signal {input.start_signal!r} of workflow {input.workflow!r}"
                    payloads = await _encode_args(
                        self._converter(input.id), input.start_signal_args, what
                    )
                    request.signal_input.payloads.extend(payloads)
                await self._populate_start_request(request, input)
                if (hook := start_workflow_hook.get()) is not None:
                    hook.before_signal_with_start(request)
                signal_response = await service.signal_with_start_workflow_execution(
                    request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
                )
                first_run_id = signal_response.first_execution_run_id or (
                    signal_response.run_id if signal_response.started else None
                )
                response: Any = signal_response
            else:
                request = ws.StartWorkflowExecutionRequest()
                await self._populate_start_request(request, input)
                request.request_eager_execution = input.request_eager_start and bool(
                    self._client._eager_workflow_start_available(input.task_queue)
                )
                if (hook := start_workflow_hook.get()) is not None:
                    hook.before_start(request)
                start_response = await service.start_workflow_execution(
                    request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
                )
                first_run_id = start_response.first_execution_run_id or start_response.run_id
                response = start_response
                if start_response.HasField("eager_workflow_task"):
                    self._hand_eager_task_to_worker(input.id, start_response.eager_workflow_task)
        except RPCError as err:
            already = _already_started(err, input.id, input.workflow)
            if already is not None:
                raise already from err
            raise
        logger.debug(
            "Started workflow {} (type {}, task queue {}): run {}",
            input.id,
            input.workflow,
            input.task_queue,
            response.run_id,
        )
        handle: WorkflowHandle[Any, Any] = WorkflowHandle(
            self._client,
            input.id,
            result_run_id=response.run_id,
            first_execution_run_id=first_run_id,
            result_type=input.ret_type,
            start_workflow_response=response,
        )
        if (hook := start_workflow_hook.get()) is not None:
            hook.after_start(handle)
        return handle

    def _hand_eager_task_to_worker(self, workflow_id: str, task: Any) -> None:
        hook = self._client._eager_workflow_task_hook
        if hook is None:  # the worker stopped meanwhile: the task times out and is retried
            logger.warning(
                "No worker to take the eager first task of workflow {}; it runs after the "
                "workflow task timeout",
                workflow_id,
            )
            return
        hook(task)

    async def _populate_start_request(
        self,
        request: ws.StartWorkflowExecutionRequest | ws.SignalWithStartWorkflowExecutionRequest,
        input: StartWorkflowInput | UpdateWithStartStartWorkflowInput,
    ) -> None:
        converter = self._converter(input.id)
        request.namespace = self._client.namespace
        request.workflow_id = input.id
        request.workflow_type.name = input.workflow
        request.task_queue.name = input.task_queue
        if input.args:
            what = f"workflow {input.workflow!r}"
            request.input.payloads.extend(await _encode_args(converter, input.args, what))
        for field, value in (
            ("workflow_execution_timeout", input.execution_timeout),
            ("workflow_run_timeout", input.run_timeout),
            ("workflow_task_timeout", input.task_timeout),
            ("workflow_start_delay", input.start_delay),
        ):
            if value is not None:
                getattr(request, field).FromTimedelta(value)
        request.identity = self._client.identity
        request.request_id = str(uuid.uuid4())
        request.workflow_id_reuse_policy = cast(Any, int(input.id_reuse_policy))
        request.workflow_id_conflict_policy = cast(Any, int(input.id_conflict_policy))
        if input.retry_policy is not None:
            input.retry_policy.apply_to_proto(request.retry_policy)
        request.cron_schedule = input.cron_schedule
        if input.memo is not None:
            await converter._encode_memo_existing(input.memo, request.memo)
        if input.search_attributes is not None:
            encode_search_attributes(input.search_attributes, request.search_attributes)
        metadata = await _encode_user_metadata(
            converter, input.static_summary, input.static_details
        )
        if metadata is not None:
            request.user_metadata.CopyFrom(metadata)
        await self._apply_headers(input.headers, request.header.fields)
        request.priority.CopyFrom(input.priority._to_proto())
        if input.versioning_override is not None:
            request.versioning_override.CopyFrom(input.versioning_override._to_proto())
        if input.time_skipping_config is not None:
            request.time_skipping_config.CopyFrom(input.time_skipping_config)

    # -- one-shot calls ------------------------------------------------------------------------

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        await self._client.workflow_service.request_cancel_workflow_execution(
            ws.RequestCancelWorkflowExecutionRequest(
                namespace=self._client.namespace,
                workflow_execution=_execution(input.id, input.run_id),
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                first_execution_run_id=input.first_execution_run_id or "",
                reason=input.reason,
            ),
            retry=True,
            metadata=input.rpc_metadata,
            timeout=input.rpc_timeout,
        )

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        response = await self._client.workflow_service.describe_workflow_execution(
            ws.DescribeWorkflowExecutionRequest(
                namespace=self._client.namespace, execution=_execution(input.id, input.run_id)
            ),
            retry=True,
            metadata=input.rpc_metadata,
            timeout=input.rpc_timeout,
        )
        from tempyral.client._list import WorkflowExecutionDescription

        return await WorkflowExecutionDescription._from_raw_description(
            response, namespace=self._client.namespace, converter=self._converter(input.id)
        )

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        # The listing and description classes (_list) load with their first use.
        from tempyral.client._list import WorkflowHistoryEventAsyncIterator

        return WorkflowHistoryEventAsyncIterator(self._client, input)

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        from tempyral.client._list import WorkflowExecutionAsyncIterator

        return WorkflowExecutionAsyncIterator(self._client, input)

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        response = await self._client.workflow_service.count_workflow_executions(
            ws.CountWorkflowExecutionsRequest(
                namespace=self._client.namespace, query=input.query or ""
            ),
            retry=True,
            metadata=input.rpc_metadata,
            timeout=input.rpc_timeout,
        )
        from tempyral.client._list import WorkflowExecutionCount

        return WorkflowExecutionCount._from_raw(response)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        converter = self._converter(input.id)
        request = ws.QueryWorkflowRequest(
            namespace=self._client.namespace, execution=_execution(input.id, input.run_id)
        )
        if input.reject_condition:
            request.query_reject_condition = cast(Any, int(input.reject_condition))
        request.query.query_type = input.query
        if input.args:
            what = f"query {input.query!r}"
            request.query.query_args.payloads.extend(
                await _encode_args(converter, input.args, what)
            )
        await self._apply_headers(input.headers, request.query.header.fields)
        try:
            response = await self._client.workflow_service.query_workflow(
                request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
            )
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT:
                raise WorkflowQueryFailedError(err.message) from err
            raise
        if (hook := start_workflow_hook.get()) is not None:
            hook.after_query(response)
        if response.HasField("query_rejected"):
            status = response.query_rejected.status
            from tempyral.client._list import WorkflowExecutionStatus

            raise WorkflowQueryRejectedError(WorkflowExecutionStatus(status) if status else None)
        if not response.query_result.payloads:
            return None
        hints = [input.ret_type] if input.ret_type else None
        results = await converter.decode(response.query_result.payloads, hints)
        if len(results) > 1:
            warnings.warn(f"Expected single query result, got {len(results)}", stacklevel=2)
        return results[0] if results else None

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        request = ws.SignalWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            signal_name=input.signal,
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
        )
        if input.args:
            what = f"signal {input.signal!r}"
            payloads = await _encode_args(self._converter(input.id), input.args, what)
            request.input.payloads.extend(payloads)
        await self._apply_headers(input.headers, request.header.fields)
        hook = start_workflow_hook.get()
        if hook is not None:
            hook.before_signal(request)
        response = await self._client.workflow_service.signal_workflow_execution(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )
        if hook is not None:
            hook.after_signal(response)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        request = ws.TerminateWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            reason=input.reason or "",
            identity=self._client.identity,
            first_execution_run_id=input.first_execution_run_id or "",
        )
        if input.args:
            what = "the termination details"
            payloads = await _encode_args(self._converter(input.id), input.args, what)
            request.details.payloads.extend(payloads)
        await self._client.workflow_service.terminate_workflow_execution(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )

    # -- updates -------------------------------------------------------------------------------

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        request = await self._update_request(input, input.id)
        hook = start_workflow_hook.get()
        if hook is not None:
            hook.before_start_update(request)
        while True:  # until the server says the update was at least accepted
            try:
                response = await self._client.workflow_service.update_workflow_execution(
                    request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
                )
            except RPCError as err:
                if err.status in _TIMEOUT_OR_CANCEL:
                    raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
                raise
            except asyncio.CancelledError as err:
                raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
            if response.stage >= _ACCEPTED:
                break
        if hook is not None:
            hook.after_start_update(response)
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
            self._client,
            request.request.meta.update_id,
            input.id,
            workflow_run_id=response.update_ref.workflow_execution.run_id,
            result_type=input.ret_type,
            known_outcome=response.outcome if response.HasField("outcome") else None,
        )
        if input.wait_for_stage == WorkflowUpdateStage.COMPLETED:
            await handle._poll_until_outcome()
        return handle

    async def _update_request(
        self,
        input: StartWorkflowUpdateInput | UpdateWithStartUpdateWorkflowInput,
        workflow_id: str,
    ) -> ws.UpdateWorkflowExecutionRequest:
        run_id, first_run_id = (
            (input.run_id, input.first_execution_run_id)
            if isinstance(input, StartWorkflowUpdateInput)
            else (None, None)
        )
        request = ws.UpdateWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=_execution(workflow_id, run_id),
            first_execution_run_id=first_run_id or "",
            request=UpdateRequestProto(
                meta=Meta(
                    update_id=input.update_id or str(uuid.uuid4()),
                    identity=self._client.identity,
                ),
                input=UpdateInputProto(name=input.update),
            ),
            wait_policy=WaitPolicy(lifecycle_stage=cast(Any, int(input.wait_for_stage))),
        )
        if input.args:
            what = f"update {input.update!r}"
            payloads = await _encode_args(self._converter(workflow_id), input.args, what)
            request.request.input.args.payloads.extend(payloads)
        await self._apply_headers(input.headers, request.request.input.header.fields)
        return request

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        seen_start = False

        def on_start(response: ws.StartWorkflowExecutionResponse) -> None:
            nonlocal seen_start
            if not seen_start:
                input._on_start(response)
                seen_start = True

        error: BaseException | None = None
        try:
            return await self._update_with_start(input, on_start)
        except asyncio.CancelledError as err:
            error = WorkflowUpdateRPCTimeoutOrCancelledError()
            raise error from err
        except RPCError as err:
            error = err
            if err.status in _TIMEOUT_OR_CANCEL:
                error = WorkflowUpdateRPCTimeoutOrCancelledError()
                raise error from err
            error = _multi_operation_error(err, input.start_workflow_input)
            raise error from (err if error is not err else None)
        finally:
            if error is not None and not seen_start:
                input._on_start_error(error)

    async def _update_with_start(
        self,
        input: StartWorkflowUpdateWithStartInput,
        on_start: Callable[[ws.StartWorkflowExecutionResponse], None],
    ) -> WorkflowUpdateHandle[Any]:
        start_input = input.start_workflow_input
        start_request = ws.StartWorkflowExecutionRequest()
        await self._populate_start_request(start_request, start_input)
        update_request = await self._update_request(input.update_workflow_input, start_input.id)
        Operation = ws.ExecuteMultiOperationRequest.Operation
        request = ws.ExecuteMultiOperationRequest(
            namespace=self._client.namespace,
            operations=[
                Operation(start_workflow=start_request),
                Operation(update_workflow=update_request),
            ],
        )
        while True:  # until the update was at least accepted
            response = await self._client.workflow_service.execute_multi_operation(
                request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
            )
            start_response = response.responses[0].start_workflow
            update_response = response.responses[1].update_workflow
            on_start(start_response)
            if update_response.stage >= _ACCEPTED:
                break
        update_input = input.update_workflow_input
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
            self._client,
            update_request.request.meta.update_id,
            start_input.id,
            workflow_run_id=start_response.run_id,
            result_type=update_input.ret_type,
            known_outcome=update_response.outcome if update_response.HasField("outcome") else None,
        )
        if update_input.wait_for_stage == WorkflowUpdateStage.COMPLETED:
            await handle._poll_until_outcome()
        return handle


def _multi_operation_error(
    err: RPCError, start: UpdateWithStartStartWorkflowInput
) -> BaseException:
    """The error of the operation that failed a multi-operation call (the others are aborted)."""
    failure = MultiOperationExecutionFailure()
    if not (err.grpc_status.details and err.grpc_status.details[0].Unpack(failure)):
        return err
    for status in failure.statuses:
        aborted = status.details and status.details[0].Is(
            cast(Any, MultiOperationExecutionAborted.DESCRIPTOR)
        )
        if status.code == RPCStatusCode.OK or aborted:
            continue
        if status.code not in _STATUS_CODES:
            return err
        operation_error = RPCError(status.message, RPCStatusCode(status.code), err.raw_grpc_status)
        if status.code == RPCStatusCode.ALREADY_EXISTS and status.details:
            details = WorkflowExecutionAlreadyStartedFailure()
            if status.details[0].Unpack(details):
                return WorkflowAlreadyStartedError(
                    start.id,
                    start.workflow,
                    run_id=details.run_id,
                    first_run_id=details.first_execution_run_id or None,
                )
        return operation_error
    return err
