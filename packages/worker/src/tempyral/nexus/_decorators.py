"""``@workflow_run_operation`` and ``@temporal_operation``: start methods made Nexus operations.

Each decorator records a ``nexusrpc.Operation`` (name, input type from the start method's last
parameter, output type from its return annotation's type argument) and the factory that
nexusrpc's ``@service_handler`` calls with the service instance to get the operation's handler.
"""

from __future__ import annotations

import typing
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar, overload

import nexusrpc
from nexusrpc import InputT, OutputT
from nexusrpc.handler import OperationHandler, StartOperationContext

from tempyral.nexus._context import TemporalStartOperationContext
from tempyral.nexus._handlers import (
    TemporalOperationHandler,
    WorkflowRunOperationHandler,
    is_async_callable,
)
from tempyral.nexus._operations import (
    TemporalNexusClient,
    TemporalOperationResult,
    WorkflowRunOperationContext,
)
from tempyral.nexus._token import WorkflowHandle

__all__ = ["TemporalOperationStartHandlerFunc", "temporal_operation", "workflow_run_operation"]

ServiceT = TypeVar("ServiceT")


def _input_and_output_types(
    start: Callable[..., Any], parameter_count: int
) -> tuple[Any | None, Any | None]:
    """The operation's input type (last parameter; ``self`` is not annotated, so
    ``parameter_count`` leaves it out) and output (the return annotation's type argument)."""
    try:
        hints = typing.get_type_hints(start)
    except (TypeError, NameError):
        warnings.warn(
            f"Expected decorated start method {start} to have type annotations", stacklevel=4
        )
        return None, None
    returned = hints.pop("return", None)
    input_type = list(hints.values())[-1] if len(hints) == parameter_count else None
    if input_type is None:
        warnings.warn(
            f"Expected decorated start method {start} to have exactly {parameter_count} "
            f"type-annotated parameters, but it has {len(hints)}.",
            stacklevel=4,
        )
    type_args = typing.get_args(returned)
    output_type = type_args[0] if len(type_args) == 1 else None
    return input_type, output_type


def _register(
    start: Callable[..., Any],
    name: str | None,
    factory: Callable[[Any], OperationHandler[Any, Any]],
    parameter_count: int,
) -> None:
    input_type, output_type = _input_and_output_types(start, parameter_count)
    method_name = getattr(start, "__name__", type(start).__name__)
    operation = nexusrpc.Operation(
        name=name or method_name, input_type=input_type, output_type=output_type
    )
    operation.method_name = method_name
    nexusrpc.set_operation(factory, operation)
    # Where nexusrpc's @service_handler looks for an operation's handler factory.
    setattr(start, "__nexus_operation_factory__", factory)  # noqa: B010


WorkflowRunStart: TypeAlias = Callable[
    [ServiceT, WorkflowRunOperationContext, InputT], Awaitable[WorkflowHandle[OutputT]]
]
_WorkflowRunDecorator: TypeAlias = Callable[
    [WorkflowRunStart[ServiceT, InputT, OutputT]], WorkflowRunStart[ServiceT, InputT, OutputT]
]


@overload
def workflow_run_operation(
    start: WorkflowRunStart[ServiceT, InputT, OutputT],
) -> WorkflowRunStart[ServiceT, InputT, OutputT]: ...


@overload
def workflow_run_operation(
    *, name: str | None = None
) -> _WorkflowRunDecorator[ServiceT, InputT, OutputT]: ...


def workflow_run_operation(
    start: WorkflowRunStart[ServiceT, InputT, OutputT] | None = None,
    *,
    name: str | None = None,
) -> WorkflowRunStart[ServiceT, InputT, OutputT] | _WorkflowRunDecorator[ServiceT, InputT, OutputT]:
    """Decorator marking a method as the start method for a workflow-backed operation."""

    def decorator(
        start: WorkflowRunStart[ServiceT, InputT, OutputT],
    ) -> WorkflowRunStart[ServiceT, InputT, OutputT]:
        def factory(service: ServiceT) -> OperationHandler[InputT, OutputT]:
            async def bound_start(
                ctx: StartOperationContext, input: InputT
            ) -> WorkflowHandle[OutputT]:
                run_ctx = WorkflowRunOperationContext._from_start_operation_context(ctx)
                return await start(service, run_ctx, input)

            bound_start.__doc__ = start.__doc__
            return WorkflowRunOperationHandler(bound_start)

        _register(start, name, factory, parameter_count=2)
        return start

    return decorator if start is None else decorator(start)


TemporalOperationStartHandlerFunc: TypeAlias = Callable[
    [ServiceT, TemporalStartOperationContext, TemporalNexusClient, InputT],
    Awaitable[TemporalOperationResult[OutputT]],
]


@overload
def temporal_operation(
    start: TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT],
) -> TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT]: ...


@overload
def temporal_operation(
    *, name: str | None = None
) -> Callable[
    [TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT]],
    TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT],
]: ...


def temporal_operation(
    start: TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT] | None = None,
    *,
    name: str | None = None,
) -> (
    TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT]
    | Callable[
        [TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT]],
        TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT],
    ]
):
    """Decorator marking a method as the start method for an operation that interacts with Temporal.

    .. warning::
       This API is experimental and unstable.
    """

    def decorator(
        start: TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT],
    ) -> TemporalOperationStartHandlerFunc[ServiceT, InputT, OutputT]:
        if not is_async_callable(start):
            raise RuntimeError(
                f"{start} is not an `async def` method. "
                "@temporal_operation must decorate an `async def` start method."
            )

        def factory(service: ServiceT) -> OperationHandler[InputT, OutputT]:
            class _BoundOperation(TemporalOperationHandler[InputT, OutputT]):
                async def start_operation(
                    self,
                    ctx: TemporalStartOperationContext,
                    client: TemporalNexusClient,
                    input: InputT,
                ) -> TemporalOperationResult[OutputT]:
                    return await start(service, ctx, client, input)

            return _BoundOperation()

        _register(start, name, factory, parameter_count=3)
        return start

    return decorator if start is None else decorator(start)
