"""Nexus operations called from workflow code (mirrors ``temporalio.workflow``'s Nexus client).

``create_nexus_client(service=..., endpoint=...)`` gives a :py:class:`NexusClient`;
``start_operation`` waits until the operation has started (or finished, for a synchronous one)
and returns a :py:class:`NexusOperationHandle` to await, cancel or read the operation token of;
``execute_operation`` also waits for the result. An operation is named by a ``nexusrpc``
service definition's operation (which also gives its output type) or by its name.

``nexusrpc`` is imported only when a service or an operation is given as a definition: workflow
code that passes definitions has imported it already, and replaying other workflows never does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from tempyral.workflow._context import _Runtime

if TYPE_CHECKING:
    import nexusrpc
    import nexusrpc.handler

__all__ = [
    "NexusClient",
    "NexusOperationCancellationType",
    "NexusOperationHandle",
    "create_nexus_client",
    "nexus_operation_name",
    "nexus_operation_output_type",
]

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")
NexusServiceType = TypeVar("NexusServiceType")


class NexusOperationCancellationType(IntEnum):
    """What cancelling a Nexus operation from the workflow waits for before the workflow's await
    of the handle raises :py:class:`tempyral.exceptions.NexusOperationError`."""

    ABANDON = 1
    """Send no cancel request to the handler; report the cancellation to the workflow at once."""

    TRY_CANCEL = 2
    """Send a cancel request and report the cancellation to the workflow at once."""

    WAIT_REQUESTED = 3
    """Send a cancel request and wait until the handler has received it."""

    WAIT_COMPLETED = 0
    """Send a cancel request and wait until the operation has finished (it may not finish as
    cancelled)."""


_WAIT_COMPLETED = NexusOperationCancellationType.WAIT_COMPLETED


class NexusOperationHandle(Generic[OutputT]):
    """A started Nexus operation: await it for its result."""

    def cancel(self) -> bool:
        """Request cancellation of the operation."""
        raise NotImplementedError

    def __await__(self) -> Generator[Any, Any, OutputT]:
        """Wait for the operation's result."""
        raise NotImplementedError

    @property
    def operation_token(self) -> str | None:
        """The token the handler gave an asynchronous operation (None for a synchronous one)."""
        raise NotImplementedError

    async def result(self) -> OutputT:
        """Wait for the operation's result, as ``await handle`` does.

        An addition: the official class has no such method, though its own documentation's
        example (``await handle.result()``) calls it.
        """
        return await self


def nexus_operation_name(operation: Any) -> str:
    """The name of an operation given as a name, a ``nexusrpc.Operation`` or a decorated method."""
    if isinstance(operation, str):
        return operation
    return _operation_definition(operation).name


def nexus_operation_output_type(operation: Any) -> Any:
    """The declared output type of an operation definition (None for a name)."""
    if isinstance(operation, str):
        return None
    return _operation_definition(operation).output_type


def _operation_definition(operation: Any) -> nexusrpc.Operation[Any, Any]:
    import nexusrpc

    if isinstance(operation, nexusrpc.Operation):
        return operation
    if callable(operation):
        definition = nexusrpc.get_operation(operation)
        if definition is None:  # a handler's start method: its factory carries the definition
            factory = getattr(operation, "__nexus_operation_factory__", None)
            definition = nexusrpc.get_operation(factory) if factory is not None else None
        if isinstance(definition, nexusrpc.Operation):
            return definition
        raise ValueError(
            f"Operation callable is not a Nexus operation: {operation!r}. Pass an operation of a"
            " @nexusrpc.service class, a method decorated with @nexusrpc.handler.sync_operation"
            " (or another operation decorator), or the operation's name."
        )
    raise ValueError(f"Operation is not a Nexus operation: {operation!r}")


def _service_name(service: Any) -> str:
    if isinstance(service, str):
        return service
    import nexusrpc

    definition = nexusrpc.get_service_definition(service)
    if definition is None:
        raise ValueError(
            "`service` may be a name (str), or a class decorated with either"
            " @nexusrpc.handler.service_handler or @nexusrpc.service."
            f" Invalid service type: {type(service)}"
        )
    return definition.name


class NexusClient(ABC, Generic[NexusServiceType]):
    """A client for calling the operations of one Nexus service through one endpoint.

    Example::

        nexus_client = workflow.create_nexus_client(endpoint="my-endpoint", service=MyService)
        handle = await nexus_client.start_operation(
            MyService.my_operation,
            MyInput(value="hello"),
            schedule_to_close_timeout=timedelta(seconds=10),
        )
        result = await handle
    """

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: nexusrpc.Operation[InputT, OutputT],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: str,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[
            [NexusServiceType, nexusrpc.handler.StartOperationContext, InputT],
            Awaitable[OutputT],
        ],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[
            [NexusServiceType, nexusrpc.handler.StartOperationContext, InputT], OutputT
        ],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    @overload
    @abstractmethod
    async def start_operation(
        self,
        operation: Callable[[NexusServiceType], nexusrpc.handler.OperationHandler[InputT, OutputT]],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> NexusOperationHandle[OutputT]: ...

    @abstractmethod
    async def start_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> Any:
        """Start a Nexus operation and return its handle once it has started.

        Args:
            operation: The operation: of a service definition, or its name.
            input: The operation's input.
            output_type: The type to convert the result to (a definition's own type wins).
            schedule_to_close_timeout: Timeout for the whole operation.
            schedule_to_start_timeout: Timeout for the operation to be started.
            start_to_close_timeout: Timeout for an asynchronous operation to finish once started.
            cancellation_type: What cancelling the operation from the workflow waits for.
            headers: Headers for the Nexus request to the handler.
            summary: A single-line summary shown in UI/CLI for this operation.
            event_groups: Event groups to associate the command with (not recorded by tempyral).
        """

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: nexusrpc.Operation[InputT, OutputT],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: str,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[
            [NexusServiceType, nexusrpc.handler.StartOperationContext, InputT],
            Awaitable[OutputT],
        ],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[
            [NexusServiceType, nexusrpc.handler.StartOperationContext, InputT], OutputT
        ],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> OutputT: ...

    @overload
    @abstractmethod
    async def execute_operation(
        self,
        operation: Callable[[NexusServiceType], nexusrpc.handler.OperationHandler[InputT, OutputT]],
        input: InputT,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> OutputT: ...

    @abstractmethod
    async def execute_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> Any:
        """Start a Nexus operation and wait for its result (arguments as ``start_operation``)."""


class _NexusClient(NexusClient[NexusServiceType]):
    def __init__(self, *, endpoint: str, service: type[NexusServiceType] | str) -> None:
        self.service_name = _service_name(service)
        self.endpoint = endpoint

    async def start_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> Any:
        return await _Runtime.current().workflow_start_nexus_operation(
            endpoint=self.endpoint,
            service=self.service_name,
            operation=operation,
            input=input,
            output_type=output_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            cancellation_type=cancellation_type,
            headers=headers,
            summary=summary,
            event_groups=event_groups,
        )

    async def execute_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[OutputT] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = _WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
        event_groups: Sequence[Any] | None = None,
    ) -> Any:
        handle = await self.start_operation(
            operation,
            input,
            output_type=output_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            cancellation_type=cancellation_type,
            headers=headers,
            summary=summary,
            event_groups=event_groups,
        )
        return await handle


def create_nexus_client(
    *, service: type[NexusServiceType] | str, endpoint: str
) -> NexusClient[NexusServiceType]:
    """Create a Nexus client.

    Args:
        service: The Nexus service: a ``@nexusrpc.service`` (or service handler) class, or its
            name.
        endpoint: The Nexus endpoint's name.
    """
    return _NexusClient(endpoint=endpoint, service=service)
