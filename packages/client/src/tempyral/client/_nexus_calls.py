"""The standalone Nexus operation calls, at both ends of the interceptor chain.

:py:class:`_NexusClientCalls` (a base of ``Client``) builds each input and hands it to the
interceptors; :py:class:`_NexusImplCalls` (a base of ``_impl._ClientImpl``) makes the RPCs of
the ``*NexusOperationExecution`` family. Payloads (the input, the result, failures, the summary)
are converted with the operation's ``NexusSerializationContext``, as the handler's worker
converts them; a handle got by id alone knows no operation and converts without context.

The Nexus classes (and ``nexusrpc``) are imported by the calls that use them: a client loads
them with its first Nexus call, not when it is imported.

.. warning::
    This API is experimental and unstable.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast, overload

from tempyral.api.enums.v1 import nexus_pb2 as nexus_enums
from tempyral.api.errordetails.v1.message_pb2 import NexusOperationExecutionAlreadyStartedFailure
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._helpers import NO_METADATA, _encode_args, _encode_user_metadata
from tempyral.client._inputs import RpcMetadata
from tempyral.client._types import ReturnType
from tempyral.converter import DataConverter, NexusSerializationContext, encode_search_attributes
from tempyral.exceptions import NexusOperationAlreadyStartedError
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    import nexusrpc
    from nexusrpc import OutputT

    from tempyral.client._client import Client
    from tempyral.client._interceptor import OutboundInterceptor
    from tempyral.client._nexus_client import NexusClient, NexusServiceType
    from tempyral.client._nexus_handle import (
        NexusOperationExecutionAsyncIterator,
        NexusOperationHandle,
    )
    from tempyral.client._nexus_info import (
        NexusOperationExecutionCount,
        NexusOperationExecutionDescription,
    )
    from tempyral.client._nexus_inputs import (
        CancelNexusOperationInput,
        CountNexusOperationsInput,
        DescribeNexusOperationInput,
        GetNexusOperationResultInput,
        ListNexusOperationsInput,
        StartNexusOperationInput,
        TerminateNexusOperationInput,
    )

__all__ = ["_NexusClientCalls", "_NexusImplCalls"]

_WAIT_FOR_CLOSE = nexus_enums.NEXUS_OPERATION_WAIT_STAGE_CLOSED


class _NexusClientCalls:
    _impl: OutboundInterceptor

    def create_nexus_client(
        self, service: type[NexusServiceType] | str, endpoint: str
    ) -> NexusClient[NexusServiceType]:
        """A client that starts operations of ``service`` (a ``nexusrpc`` service class, or
        its name) through ``endpoint`` (a Nexus endpoint registered with the server).

        .. warning::
            This API is experimental and unstable.
        """
        from tempyral.client._nexus_client import _NexusClient

        return _NexusClient(self._client_itself(), service, endpoint)

    def list_nexus_operations(
        self,
        query: str,
        *,
        limit: int | None = None,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> NexusOperationExecutionAsyncIterator:
        """Standalone Nexus operations matching a visibility ``query``, as an async iterator
        (no call is made until iteration starts); at most ``limit`` of them if given.

        .. warning::
            This API is experimental and unstable.
        """
        from tempyral.client._nexus_inputs import ListNexusOperationsInput

        return self._impl.list_nexus_operations(
            ListNexusOperationsInput(
                query=query,
                page_size=page_size,
                next_page_token=next_page_token,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                limit=limit,
            )
        )

    async def count_nexus_operations(
        self,
        query: str | None = None,
        *,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> NexusOperationExecutionCount:
        """Count standalone Nexus operations matching a visibility ``query`` (``GROUP BY``
        gives groups).

        .. warning::
            This API is experimental and unstable.
        """
        from tempyral.client._nexus_inputs import CountNexusOperationsInput

        return await self._impl.count_nexus_operations(
            CountNexusOperationsInput(
                query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    @overload
    def get_nexus_operation_handle(
        self, operation_id: str, *, run_id: str | None = None
    ) -> NexusOperationHandle[Any]: ...

    @overload
    def get_nexus_operation_handle(
        self, operation_id: str, *, run_id: str | None = None, result_type: type[ReturnType]
    ) -> NexusOperationHandle[ReturnType]: ...

    @overload
    def get_nexus_operation_handle(
        self,
        operation_id: str,
        *,
        operation: nexusrpc.Operation[Any, OutputT],
        run_id: str | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    def get_nexus_operation_handle(
        self,
        operation_id: str,
        *,
        operation: nexusrpc.Operation[Any, Any] | None = None,
        run_id: str | None = None,
        result_type: type | None = None,
    ) -> NexusOperationHandle[Any]:
        """A handle to an existing standalone Nexus operation (its latest run, unless
        ``run_id``). The result is converted to ``result_type``, else to the output type of
        ``operation``.

        .. warning::
            This API is experimental and unstable.
        """
        from tempyral.client._nexus_handle import NexusOperationHandle

        if result_type is None and operation is not None:
            result_type = operation.output_type
        return NexusOperationHandle(
            self._client_itself(), operation_id, run_id=run_id, result_type=result_type
        )

    def _client_itself(self) -> Client:
        # Client is the only class built on this one.
        return cast("Client", self)


def _start_refused(err: RPCError, operation_id: str) -> Exception | None:
    """The error a user should see for a refused start, when clearer than the server's."""
    if err.status == RPCStatusCode.UNIMPLEMENTED:
        # The dev server and self-hosted servers ship with standalone Nexus operations off.
        return RPCError(
            f"{err.message} (the server does not serve standalone Nexus operations: they need "
            "Temporal server 1.32 or later with the dynamic config "
            "nexusoperation.enableStandalone=true, e.g. `temporal server start-dev "
            "--dynamic-config-value nexusoperation.enableStandalone=true`)",
            err.status,
            err.raw_grpc_status,
        )
    return _already_started(err, operation_id)


def _already_started(err: RPCError, operation_id: str) -> Exception | None:
    """The NexusOperationAlreadyStartedError an ALREADY_EXISTS error stands for, if it does."""
    if err.status != RPCStatusCode.ALREADY_EXISTS or not err.grpc_status.details:
        return None
    details = NexusOperationExecutionAlreadyStartedFailure()
    if not err.grpc_status.details[0].Unpack(details):
        return None
    return NexusOperationAlreadyStartedError(operation_id, run_id=details.run_id)


class _NexusImplCalls:
    _client: Client

    def _nexus_converter(self, endpoint: str, service: str, operation: str) -> DataConverter:
        return self._client.data_converter.with_context(
            NexusSerializationContext(endpoint=endpoint, service=service, operation=operation)
        )

    def _nexus_rpc_options(self, input: Any) -> dict[str, Any]:
        return {"retry": True, "metadata": input.rpc_metadata, "timeout": input.rpc_timeout}

    async def start_nexus_operation(
        self, input: StartNexusOperationInput
    ) -> NexusOperationHandle[Any]:
        """Start the operation with ``StartNexusOperationExecution``.

        Raises:
            NexusOperationAlreadyStartedError: The id is taken and the id policies refuse it.
            RPCError: The server refused the start; ``UNIMPLEMENTED`` when it does not serve
                standalone Nexus operations (the message says how to turn them on).
        """
        from tempyral.client._nexus_handle import NexusOperationHandle

        request = await self._start_nexus_operation_request(input)
        try:
            response = await self._client.workflow_service.start_nexus_operation_execution(
                request, **self._nexus_rpc_options(input)
            )
        except RPCError as err:
            refused = _start_refused(err, input.id)
            if refused is not None:
                raise refused from err
            raise
        return NexusOperationHandle(
            self._client,
            input.id,
            run_id=response.run_id or None,
            result_type=input.result_type,
            endpoint=input.endpoint,
            service=input.service,
            operation=input.operation,
        )

    async def _start_nexus_operation_request(
        self, input: StartNexusOperationInput
    ) -> ws.StartNexusOperationExecutionRequest:
        converter = self._nexus_converter(input.endpoint, input.service, input.operation)
        request = ws.StartNexusOperationExecutionRequest(
            namespace=self._client.namespace,
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
            operation_id=input.id,
            endpoint=input.endpoint,
            service=input.service,
            operation=input.operation,
            id_reuse_policy=cast(
                "nexus_enums.NexusOperationIdReusePolicy", int(input.id_reuse_policy)
            ),
            id_conflict_policy=cast(
                "nexus_enums.NexusOperationIdConflictPolicy", int(input.id_conflict_policy)
            ),
        )
        for name in (
            "schedule_to_close_timeout",
            "schedule_to_start_timeout",
            "start_to_close_timeout",
        ):
            value: timedelta | None = getattr(input, name)
            if value is not None:
                getattr(request, name).FromTimedelta(value)
        what = f"Nexus operation {input.service}.{input.operation}"
        request.input.CopyFrom((await _encode_args(converter, [input.arg], what))[0])
        if input.search_attributes is not None:
            encode_search_attributes(input.search_attributes, request.search_attributes)
        metadata = await _encode_user_metadata(converter, input.summary, None)
        if metadata is not None:
            request.user_metadata.CopyFrom(metadata)
        request.nexus_header.update(input.headers)
        return request

    async def get_nexus_operation_result(self, input: GetNexusOperationResultInput) -> Any:
        """Long-poll ``PollNexusOperationExecution`` until the operation closes.

        Raises:
            NexusOperationFailureError: The operation did not succeed.
        """
        from tempyral.client._errors import NexusOperationFailureError

        converter = self._client.data_converter
        # A handle from start_operation knows all three; one got by id knows none.
        if input.endpoint and input.service and input.operation:
            converter = self._nexus_converter(input.endpoint, input.service, input.operation)
        request = ws.PollNexusOperationExecutionRequest(
            namespace=self._client.namespace,
            operation_id=input.operation_id,
            run_id=input.run_id or "",
            wait_stage=_WAIT_FOR_CLOSE,
        )
        while True:
            try:
                response = await self._client.workflow_service.poll_nexus_operation_execution(
                    request, **self._nexus_rpc_options(input)
                )
            except RPCError as err:
                # A long poll that ends without an outcome is the normal case: poll again.
                if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
                    continue
                if err.status == RPCStatusCode.CANCELLED:
                    raise asyncio.CancelledError() from err
                raise
            outcome = response.WhichOneof("outcome")
            if outcome == "failure":
                cause = await converter.decode_failure(response.failure)
                raise NexusOperationFailureError(cause=cause)
            if outcome == "result":
                hints = [input.result_type] if input.result_type else None
                return (await converter.decode([response.result], hints))[0]

    async def describe_nexus_operation(
        self, input: DescribeNexusOperationInput
    ) -> NexusOperationExecutionDescription:
        """Describe with ``DescribeNexusOperationExecution``."""
        from tempyral.client._nexus_info import NexusOperationExecutionDescription

        response = await self._client.workflow_service.describe_nexus_operation_execution(
            ws.DescribeNexusOperationExecutionRequest(
                namespace=self._client.namespace,
                operation_id=input.operation_id,
                run_id=input.run_id or "",
            ),
            **self._nexus_rpc_options(input),
        )
        info = response.info
        converter = self._nexus_converter(info.endpoint, info.service, info.operation)
        return await NexusOperationExecutionDescription._from_execution_info(info, converter)

    async def cancel_nexus_operation(self, input: CancelNexusOperationInput) -> None:
        """Request cancellation with ``RequestCancelNexusOperationExecution``."""
        await self._client.workflow_service.request_cancel_nexus_operation_execution(
            ws.RequestCancelNexusOperationExecutionRequest(
                namespace=self._client.namespace,
                operation_id=input.operation_id,
                run_id=input.run_id or "",
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                reason=input.reason or "",
            ),
            **self._nexus_rpc_options(input),
        )

    async def terminate_nexus_operation(self, input: TerminateNexusOperationInput) -> None:
        """Terminate with ``TerminateNexusOperationExecution``."""
        await self._client.workflow_service.terminate_nexus_operation_execution(
            ws.TerminateNexusOperationExecutionRequest(
                namespace=self._client.namespace,
                operation_id=input.operation_id,
                run_id=input.run_id or "",
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                reason=input.reason or "",
            ),
            **self._nexus_rpc_options(input),
        )

    def list_nexus_operations(
        self, input: ListNexusOperationsInput
    ) -> NexusOperationExecutionAsyncIterator:
        """An iterator over ``ListNexusOperationExecutions`` pages."""
        from tempyral.client._nexus_handle import NexusOperationExecutionAsyncIterator

        return NexusOperationExecutionAsyncIterator(self._client, input)

    async def count_nexus_operations(
        self, input: CountNexusOperationsInput
    ) -> NexusOperationExecutionCount:
        """Count with ``CountNexusOperationExecutions``."""
        from tempyral.client._nexus_info import NexusOperationExecutionCount

        response = await self._client.workflow_service.count_nexus_operation_executions(
            ws.CountNexusOperationExecutionsRequest(
                namespace=self._client.namespace, query=input.query or ""
            ),
            **self._nexus_rpc_options(input),
        )
        return NexusOperationExecutionCount._from_raw(response)
