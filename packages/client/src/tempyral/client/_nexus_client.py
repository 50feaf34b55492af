""":py:class:`NexusClient`: starts standalone Nexus operations of one service on one endpoint.

``client.create_nexus_client(service=MyService, endpoint="my-endpoint")`` returns one. An
operation is named by its ``nexusrpc.Operation`` (``MyService.my_op``, which also gives the
result type), by a decorated handler method, or by its name as a string (with an optional
``result_type``). Each start builds a :py:class:`StartNexusOperationInput` and hands it to the
client's interceptors.

Service and operation definitions are ``nexusrpc``'s, the library the official SDK uses for
Nexus types, so the same service classes serve both SDKs.

.. warning::
    This API is experimental and unstable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import nexusrpc
from nexusrpc import InputT, OutputT
from nexusrpc.handler import OperationHandler, StartOperationContext
from typing_extensions import TypedDict, Unpack

from tempyral.client._helpers import NO_METADATA
from tempyral.client._nexus_inputs import StartNexusOperationInput
from tempyral.common import (
    NexusOperationIDConflictPolicy,
    NexusOperationIDReusePolicy,
    TypedSearchAttributes,
)

if TYPE_CHECKING:
    from tempyral.client._client import Client
    from tempyral.client._nexus_handle import NexusOperationHandle

__all__ = ["NexusClient", "NexusServiceType", "_NexusClient"]

NexusServiceType = TypeVar("NexusServiceType")
"""The service class a :py:class:`NexusClient` starts operations of (``temporalio.types``)."""

_ALLOW_DUPLICATE = NexusOperationIDReusePolicy.ALLOW_DUPLICATE
_FAIL = NexusOperationIDConflictPolicy.FAIL


class _StartOptions(TypedDict, total=False):
    """The keyword options every ``start_operation`` overload shares (defaults as below)."""

    id_reuse_policy: NexusOperationIDReusePolicy
    id_conflict_policy: NexusOperationIDConflictPolicy
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    search_attributes: TypedSearchAttributes | None
    summary: str | None
    headers: Mapping[str, str] | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


class NexusClient(ABC, Generic[NexusServiceType]):
    """Starts standalone Nexus operations (see :py:meth:`Client.create_nexus_client`).

    .. warning::
        This API is experimental and unstable.
    """

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: nexusrpc.Operation[InputT, OutputT],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: str,
        arg: Any,
        *,
        id: str,
        result_type: type[OutputT],
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[OutputT]: ...

    # By name without a result type: nothing to infer the result from.
    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: str,
        arg: Any,
        *,
        id: str,
        result_type: None = None,
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[Any]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[[NexusServiceType, StartOperationContext, InputT], Awaitable[OutputT]],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[[NexusServiceType], OperationHandler[InputT, OutputT]],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[..., Any],
        arg: Any,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> NexusOperationHandle[Any]: ...

    @abstractmethod
    async def start_operation(
        self,
        operation: nexusrpc.Operation[Any, Any] | str | Callable[..., Any],
        arg: Any,
        *,
        id: str,
        id_reuse_policy: NexusOperationIDReusePolicy = _ALLOW_DUPLICATE,
        id_conflict_policy: NexusOperationIDConflictPolicy = _FAIL,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        headers: Mapping[str, str] | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> NexusOperationHandle[Any]:
        """Start an operation and return its handle.

        Args:
            operation: A ``nexusrpc.Operation`` of the service (``MyService.my_op``), a
                decorated handler method, or the operation's name.
            arg: The operation's input.
            id: ID of the operation, unique among the namespace's running operations.
            id_reuse_policy: Whether the id of a closed operation may be used again.
            id_conflict_policy: What to do when an operation with this id is running.
            result_type: Type to convert the result to; only used with a name (a definition
                gives its own output type).
            schedule_to_close_timeout: Limit of the whole operation (the server's maximum when
                unset).
            schedule_to_start_timeout: Limit of the wait for the handler to start (or, when
                synchronous, complete) the operation.
            start_to_close_timeout: Limit of an asynchronous operation once started.
            search_attributes: Search attributes of the operation.
            summary: One-line summary shown in the UI and CLI.
            headers: Nexus headers sent to the handler.
            rpc_metadata: Headers of the RPC call.
            rpc_timeout: Deadline of the RPC call.

        Raises:
            NexusOperationAlreadyStartedError: The id is taken and the id policies refuse it.
            ValueError: ``operation`` is not a Nexus operation.
        """

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: nexusrpc.Operation[InputT, OutputT],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: str,
        arg: Any,
        *,
        id: str,
        result_type: type[OutputT],
        **options: Unpack[_StartOptions],
    ) -> OutputT: ...

    # By name without a result type: nothing to infer the result from.
    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: str,
        arg: Any,
        *,
        id: str,
        result_type: None = None,
        **options: Unpack[_StartOptions],
    ) -> Any: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[[NexusServiceType, StartOperationContext, InputT], Awaitable[OutputT]],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[[NexusServiceType], OperationHandler[InputT, OutputT]],
        arg: InputT,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[..., Any],
        arg: Any,
        *,
        id: str,
        **options: Unpack[_StartOptions],
    ) -> Any: ...

    @abstractmethod
    async def execute_operation(
        self,
        operation: nexusrpc.Operation[Any, Any] | str | Callable[..., Any],
        arg: Any,
        *,
        id: str,
        id_reuse_policy: NexusOperationIDReusePolicy = _ALLOW_DUPLICATE,
        id_conflict_policy: NexusOperationIDConflictPolicy = _FAIL,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        headers: Mapping[str, str] | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Start an operation and wait for its result (``start_operation`` then ``result``).

        Raises:
            NexusOperationFailureError: The operation did not succeed.
        """


def _service_name(service: type | str) -> str:
    if isinstance(service, str):
        return service
    definition = nexusrpc.get_service_definition(service)
    return definition.name if definition is not None else service.__name__


def _operation_name_and_output(
    operation: nexusrpc.Operation[Any, Any] | str | Callable[..., Any],
) -> tuple[str, type | None]:
    """The operation's name and, unless it is only a name, its output type."""
    if isinstance(operation, str):
        return operation, None
    if isinstance(operation, nexusrpc.Operation):
        return operation.name, operation.output_type
    definition = nexusrpc.get_operation(operation) if callable(operation) else None
    if definition is None:
        raise ValueError(
            f"{operation!r} is not a Nexus operation: pass the service's nexusrpc.Operation "
            "(MyService.my_operation), a handler method decorated as an operation, or the "
            "operation's name"
        )
    return definition.name, definition.output_type


class _NexusClient(NexusClient[NexusServiceType]):
    """The client :py:meth:`Client.create_nexus_client` returns."""

    def __init__(self, client: Client, service: type[NexusServiceType] | str, endpoint: str):
        self._client = client
        self._service_name = _service_name(service)
        self._endpoint = endpoint

    async def start_operation(
        self,
        operation: nexusrpc.Operation[Any, Any] | str | Callable[..., Any],
        arg: Any,
        *,
        id: str,
        id_reuse_policy: NexusOperationIDReusePolicy = _ALLOW_DUPLICATE,
        id_conflict_policy: NexusOperationIDConflictPolicy = _FAIL,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        headers: Mapping[str, str] | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> NexusOperationHandle[Any]:
        name, output_type = _operation_name_and_output(operation)
        return await self._client._impl.start_nexus_operation(
            StartNexusOperationInput(
                operation=name,
                arg=arg,
                id=id,
                endpoint=self._endpoint,
                service=self._service_name,
                result_type=result_type if isinstance(operation, str) else output_type,
                schedule_to_close_timeout=schedule_to_close_timeout,
                schedule_to_start_timeout=schedule_to_start_timeout,
                start_to_close_timeout=start_to_close_timeout,
                id_reuse_policy=id_reuse_policy,
                id_conflict_policy=id_conflict_policy,
                search_attributes=search_attributes,
                summary=summary,
                headers=dict(headers or {}),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def execute_operation(
        self,
        operation: nexusrpc.Operation[Any, Any] | str | Callable[..., Any],
        arg: Any,
        *,
        id: str,
        id_reuse_policy: NexusOperationIDReusePolicy = _ALLOW_DUPLICATE,
        id_conflict_policy: NexusOperationIDConflictPolicy = _FAIL,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        headers: Mapping[str, str] | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        handle = await self.start_operation(
            operation,
            arg,
            id=id,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            result_type=result_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            search_attributes=search_attributes,
            summary=summary,
            headers=headers,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()
