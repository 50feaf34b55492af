"""Operation handlers backed by Temporal, and what their cancel methods receive.

:py:class:`WorkflowRunOperationHandler` (made by ``@workflow_run_operation``) answers a start
with its workflow's operation token and cancels the workflow on a cancel request.
:py:class:`TemporalOperationHandler` (made by ``@temporal_operation``, or subclassed) gives its
``start_operation`` a :py:class:`TemporalNexusClient` and routes a cancel request by the token's
kind to ``cancel_workflow_run``, ``cancel_workflow_update`` or ``cancel_activity``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nexusrpc import HandlerError, HandlerErrorType, InputT, OutputT
from nexusrpc.handler import (
    CancelOperationContext,
    OperationHandler,
    StartOperationContext,
    StartOperationResultAsync,
    StartOperationResultSync,
)

from tempyral.nexus._context import (
    TemporalCancelOperationContext,
    TemporalStartOperationContext,
    current_scope,
)
from tempyral.nexus._operations import (
    TemporalNexusClient,
    TemporalOperationResult,
    _TemporalNexusClient,
)
from tempyral.nexus._token import OperationToken, OperationTokenType, WorkflowHandle

__all__ = [
    "CancelActivityOptions",
    "CancelUpdateWorkflowOptions",
    "CancelWorkflowRunOptions",
    "TemporalOperationHandler",
    "WorkflowRunOperationHandler",
    "is_async_callable",
]


@dataclass(frozen=True)
class CancelWorkflowRunOptions:
    """Options for cancelling the workflow backing a Nexus operation.

    .. warning::
       This API is experimental and unstable.
    """

    workflow_id: str
    """The ID of the workflow to cancel."""


@dataclass(frozen=True)
class CancelUpdateWorkflowOptions:
    """Options for cancelling the workflow update backing a Nexus operation.

    .. warning::
       This API is experimental and unstable.
    """

    workflow_id: str
    """The ID of the workflow where the update is running."""
    update_id: str
    """The ID of the update to cancel."""
    run_id: str
    """The workflow runID that accepted the update."""


@dataclass(frozen=True)
class CancelActivityOptions:
    """Options for cancelling the activity backing a Nexus operation."""

    activity_id: str
    """The activity ID to cancel."""
    run_id: str
    """The run ID of the activity to cancel."""


def is_async_callable(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - callable instances count
    )


class WorkflowRunOperationHandler(OperationHandler[InputT, OutputT]):
    """Operation handler for Nexus operations that start a workflow.

    Its ``start`` must use :py:meth:`WorkflowRunOperationContext.start_workflow` and return
    the :py:class:`WorkflowHandle` it gives.
    """

    def __init__(
        self, start: Callable[[StartOperationContext, InputT], Awaitable[WorkflowHandle[OutputT]]]
    ) -> None:
        """Initialize the workflow run operation handler."""
        if not is_async_callable(start):
            raise RuntimeError(
                f"{start} is not an `async def` method. WorkflowRunOperationHandler must be "
                "initialized with an `async def` start method."
            )
        self._start = start

    async def start(self, ctx: StartOperationContext, input: InputT) -> StartOperationResultAsync:
        """Start the operation, by starting a workflow and completing asynchronously."""
        handle = await self._start(ctx, input)
        if not isinstance(handle, WorkflowHandle):
            raise RuntimeError(
                f"Expected {handle} to be a nexus.WorkflowHandle, but got {type(handle)}. "
                "A @workflow_run_operation must start its workflow with "
                "WorkflowRunOperationContext.start_workflow() and return the "
                "nexus.WorkflowHandle it returns; a client.WorkflowHandle from "
                "Client.start_workflow() cannot complete the Nexus operation."
            )
        return StartOperationResultAsync(handle.to_token())

    async def cancel(self, ctx: CancelOperationContext, token: str) -> None:
        """Cancel the operation, by cancelling the workflow."""
        try:
            handle = WorkflowHandle[Any].from_token(token)
        except Exception as err:
            raise HandlerError(
                "Failed to decode operation token as a workflow operation token. "
                "Canceling non-workflow operations is not supported.",
                type=HandlerErrorType.NOT_FOUND,
            ) from err
        try:
            client_handle = handle._to_client_workflow_handle(current_scope().client)
        except Exception as err:
            raise HandlerError(
                "Failed to construct workflow handle from workflow operation token",
                type=HandlerErrorType.NOT_FOUND,
            ) from err
        await client_handle.cancel()


class TemporalOperationHandler(OperationHandler[InputT, OutputT], ABC):
    """Operation handler for Nexus operations that interact with Temporal.

    Implementations override the start_operation method.

    .. warning::
       This API is experimental and unstable.
    """

    @abstractmethod
    async def start_operation(
        self,
        ctx: TemporalStartOperationContext,
        client: TemporalNexusClient,
        input: InputT,
    ) -> TemporalOperationResult[OutputT]:
        """Start the Temporal-backed Nexus operation."""

    async def start(
        self, ctx: StartOperationContext, input: InputT
    ) -> StartOperationResultSync[OutputT] | StartOperationResultAsync:
        """Start the Nexus operation using a Nexus-aware Temporal client."""
        start_ctx = TemporalStartOperationContext._from_start_operation_context(ctx)
        result = await self.start_operation(start_ctx, _TemporalNexusClient(), input)
        return result._to_nexus_result()

    async def cancel(self, ctx: CancelOperationContext, token: str) -> None:
        """Cancel a Nexus operation using its operation token."""
        try:
            decoded = OperationToken.decode(token)
        except Exception as err:
            raise HandlerError(
                "Unable to decode operation token to cancel",
                type=HandlerErrorType.INTERNAL,
                retryable_override=False,
            ) from err
        cancel_ctx = TemporalCancelOperationContext._from_cancel_operation_context(ctx)
        if decoded.type == OperationTokenType.WORKFLOW:
            assert decoded.workflow_id is not None
            await self.cancel_workflow_run(
                cancel_ctx, CancelWorkflowRunOptions(workflow_id=decoded.workflow_id)
            )
        elif decoded.type == OperationTokenType.UPDATE_WORKFLOW:
            assert decoded.workflow_id is not None
            assert decoded.update_id is not None
            await self.cancel_workflow_update(
                cancel_ctx,
                CancelUpdateWorkflowOptions(
                    workflow_id=decoded.workflow_id,
                    update_id=decoded.update_id,
                    run_id=decoded.run_id or "",
                ),
            )
        else:
            assert decoded.activity_id is not None
            if not decoded.run_id:
                raise HandlerError(
                    "Expected operation token of type ACTIVITY to have a valid run id.",
                    type=HandlerErrorType.INTERNAL,
                    retryable_override=False,
                )
            await self.cancel_activity(
                cancel_ctx,
                CancelActivityOptions(activity_id=decoded.activity_id, run_id=decoded.run_id),
            )

    async def cancel_workflow_run(
        self, ctx: TemporalCancelOperationContext, options: CancelWorkflowRunOptions
    ) -> None:
        """Cancels the workflow backing the Nexus operation."""
        await current_scope().client.get_workflow_handle(options.workflow_id).cancel()

    async def cancel_workflow_update(
        self, ctx: TemporalCancelOperationContext, options: CancelUpdateWorkflowOptions
    ) -> None:
        """Cancels the Workflow Update triggered by the Nexus operation.

        There is no native way to cancel an accepted Update: override this method and
        coordinate with the Update handler.
        """
        raise HandlerError(
            "There is no native way to cancel an accepted Update, so cancellation depends on "
            "the Update handler itself. Override this method and coordinate with the specific "
            "Update handler to trigger a cancellation.",
            type=HandlerErrorType.NOT_IMPLEMENTED,
        )

    async def cancel_activity(
        self, ctx: TemporalCancelOperationContext, options: CancelActivityOptions
    ) -> None:
        """Requests cancellation of the standalone activity backing the operation."""
        client = current_scope().client
        await client.get_activity_handle(options.activity_id, run_id=options.run_id).cancel()
