""":py:class:`NexusOperationHandle`, the caller's handle to a standalone Nexus operation, and
:py:class:`NexusOperationExecutionAsyncIterator`, what ``Client.list_nexus_operations`` returns.

Every handle call goes down the client's interceptor chain; the result is long-polled by the
last link (``PollNexusOperationExecution``) and kept by the handle, so asking twice makes one
wait.

.. warning::
    This API is experimental and unstable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Generic, cast

from tempyral.api.workflowservice.v1.request_response_pb2 import (
    ListNexusOperationExecutionsRequest,
)
from tempyral.client._errors import NexusOperationFailureError
from tempyral.client._helpers import NO_METADATA
from tempyral.client._nexus_info import (
    NexusOperationExecution,
    NexusOperationExecutionDescription,
)
from tempyral.client._nexus_inputs import (
    CancelNexusOperationInput,
    DescribeNexusOperationInput,
    GetNexusOperationResultInput,
    ListNexusOperationsInput,
    TerminateNexusOperationInput,
)
from tempyral.client._paging import _PageIterator
from tempyral.client._types import ReturnType

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["NexusOperationExecutionAsyncIterator", "NexusOperationHandle"]


class NexusOperationExecutionAsyncIterator(
    _PageIterator[ListNexusOperationsInput, NexusOperationExecution]
):
    """Iterates standalone Nexus operations with ``async for``; makes no call until iterated.

    .. warning::
        This API is experimental and unstable.
    """

    def __init__(self, client: Client, input: ListNexusOperationsInput) -> None:
        """Create the iterator; use :py:meth:`Client.list_nexus_operations` instead."""
        super().__init__(client, input)
        self._limit = input.limit
        self._yielded = 0

    async def _fetch_page(
        self, page_size: int | None
    ) -> tuple[list[NexusOperationExecution], bytes]:
        size = page_size or self._input.page_size
        if self._limit is not None:
            size = min(size, self._limit - self._yielded)
        response = await self._client.workflow_service.list_nexus_operation_executions(
            ListNexusOperationExecutionsRequest(
                namespace=self._client.namespace,
                page_size=size,
                next_page_token=self._next_page_token or b"",
                query=self._input.query or "",
            ),
            retry=True,
            metadata=self._input.rpc_metadata,
            timeout=self._input.rpc_timeout,
        )
        page = [NexusOperationExecution._from_raw_info(info) for info in response.operations]
        return page, response.next_page_token

    async def __anext__(self) -> NexusOperationExecution:
        """The next operation, fetching the next page when needed."""
        if self._limit is not None and self._yielded >= self._limit:
            raise StopAsyncIteration
        entry = await super().__anext__()
        self._yielded += 1
        return entry


class _Unknown:
    """The handle's outcome before it is known (None is a valid result)."""


_UNKNOWN = _Unknown()


class NexusOperationHandle(Generic[ReturnType]):
    """Handle to a Nexus operation started by a client (not by a workflow).

    .. warning::
        This API is experimental and unstable.
    """

    def __init__(
        self,
        client: Client,
        operation_id: str,
        *,
        run_id: str | None = None,
        result_type: type | None = None,
        endpoint: str = "",
        service: str = "",
        operation: str = "",
    ) -> None:
        """Create the handle; use ``NexusClient.start_operation`` or
        :py:meth:`Client.get_nexus_operation_handle` instead."""
        self._client = client
        self._operation_id = operation_id
        self._run_id = run_id
        self._result_type = result_type
        self._endpoint = endpoint
        self._service = service
        self._operation = operation
        self._outcome: ReturnType | NexusOperationFailureError | _Unknown = _UNKNOWN

    @property
    def operation_id(self) -> str:
        """ID of the operation."""
        return self._operation_id

    @property
    def run_id(self) -> str | None:
        """Run ID of the operation (None targets the latest run)."""
        return self._run_id

    @property
    def endpoint(self) -> str:
        """Endpoint name ("" for a handle got by id)."""
        return self._endpoint

    @property
    def service(self) -> str:
        """Service name ("" for a handle got by id)."""
        return self._service

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ReturnType:
        """Wait for the operation to close and return its result.

        The outcome is kept, so a second call makes no RPC and raises the same error object.
        ``rpc_timeout`` bounds each poll, not the wait: a poll that times out is repeated.

        Raises:
            NexusOperationFailureError: The operation failed, was cancelled, terminated or
                timed out; the cause says which.
            RPCError: The result could not be fetched.
        """
        if isinstance(self._outcome, _Unknown):
            try:
                self._outcome = await self._client._impl.get_nexus_operation_result(
                    GetNexusOperationResultInput(
                        operation_id=self._operation_id,
                        run_id=self._run_id,
                        endpoint=self._endpoint,
                        service=self._service,
                        operation=self._operation,
                        rpc_metadata=rpc_metadata,
                        rpc_timeout=rpc_timeout,
                        result_type=self._result_type,
                    )
                )
            except NexusOperationFailureError as failure:
                self._outcome = failure
        if isinstance(self._outcome, NexusOperationFailureError):
            raise self._outcome
        return cast(ReturnType, self._outcome)

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> NexusOperationExecutionDescription:
        """Describe the operation."""
        return await self._client._impl.describe_nexus_operation(
            DescribeNexusOperationInput(
                operation_id=self._operation_id,
                run_id=self._run_id,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def cancel(
        self,
        *,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Request cancellation; the server passes it on to the handler of an asynchronous
        operation, and the operation closes as cancelled when the handler's work does."""
        await self._client._impl.cancel_nexus_operation(
            CancelNexusOperationInput(
                operation_id=self._operation_id,
                run_id=self._run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def terminate(
        self,
        *,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Close the operation at once, without asking its handler."""
        await self._client._impl.terminate_nexus_operation(
            TerminateNexusOperationInput(
                operation_id=self._operation_id,
                run_id=self._run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )
