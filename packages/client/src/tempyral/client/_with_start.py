"""Update-with-start: ``WithStartWorkflowOperation`` (the start half) and the client calls that
send it (``execute_update_with_start_workflow``, ``start_update_with_start_workflow``).

``Client.execute_update_with_start_workflow`` sends it with an update in one
``ExecuteMultiOperation`` call; the server starts the workflow unless one is running (what happens
then is the operation's ``id_conflict_policy``, which is therefore required). Once the call got
the start response, :py:meth:`WithStartWorkflowOperation.workflow_handle` returns the handle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, cast

from tempyral.client._definitions import (
    update_name_and_result_type,
    workflow_name_and_result_type,
)
from tempyral.client._handle import WorkflowHandle
from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata
from tempyral.client._interceptor import OutboundInterceptor
from tempyral.client._types import ReturnType, SelfType
from tempyral.client._update import WorkflowUpdateHandle, WorkflowUpdateStage
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
    _arg_or_args,
    _arg_unset,
    _warn_on_deprecated_search_attributes,
)

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["WithStartWorkflowOperation", "_UpdateWithStartCalls"]


class WithStartWorkflowOperation(Generic[SelfType, ReturnType]):
    """How to start the workflow of an update-with-start call, if it has to be started."""

    def __init__(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: TypedSearchAttributes | SearchAttributes | None = None,
        static_summary: str | None = None,
        static_details: str | None = None,
        start_delay: timedelta | None = None,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
        stack_level: int = 2,
    ) -> None:
        """Describe the start; arguments are those of :py:meth:`Client.start_workflow`.

        Raises:
            ValueError: ``id_conflict_policy`` is UNSPECIFIED (it must say what to do when the
                workflow is already running: USE_EXISTING or FAIL).
        """
        _warn_on_deprecated_search_attributes(search_attributes, stack_level=stack_level)
        name, hinted_type = workflow_name_and_result_type(workflow)
        if id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED:
            raise ValueError("WorkflowIDConflictPolicy is required")
        # Imported here: update-with-start's inputs load with its first use, not with every client.
        from tempyral.client._with_start_inputs import UpdateWithStartStartWorkflowInput

        self._start_workflow_input = UpdateWithStartStartWorkflowInput(
            workflow=name,
            args=_arg_or_args(arg, args),
            id=id,
            task_queue=task_queue,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule=cron_schedule,
            memo=memo,
            search_attributes=search_attributes,
            start_delay=start_delay,
            headers={},
            static_summary=static_summary,
            static_details=static_details,
            ret_type=result_type or hinted_type,
            priority=priority,
            versioning_override=versioning_override,
        )
        self._workflow_handle: asyncio.Future[WorkflowHandle[SelfType, ReturnType]] | None = None
        self._used = False

    def _handle_future(self) -> asyncio.Future[WorkflowHandle[SelfType, ReturnType]]:
        # Created on first use so that the operation can be built outside an event loop.
        if self._workflow_handle is None:
            self._workflow_handle = asyncio.get_running_loop().create_future()
        return self._workflow_handle

    async def workflow_handle(self) -> WorkflowHandle[SelfType, ReturnType]:
        """Wait until the workflow is running (started or existing) and return its handle.

        Raises:
            Exception: What the update-with-start call raised, when it failed before the start.
        """
        return await self._handle_future()


class _UpdateWithStartCalls:
    """``Client.execute_update_with_start_workflow`` and ``start_update_with_start_workflow``."""

    _impl: OutboundInterceptor

    async def execute_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Send an update, starting the workflow first if it is not running, and wait for the
        update's result.

        Raises:
            WorkflowUpdateFailedError: The update was rejected or failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: The call timed out or was cancelled.
            WorkflowAlreadyStartedError: The workflow runs and the conflict policy is FAIL.
            RPCError: The workflow could not be started or the update sent.
        """
        handle = await self.start_update_with_start_workflow(
            update,
            arg,
            args=args,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()

    async def start_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send an update, starting the workflow first if it is not running, and return the
        update's handle once it reached ``wait_for_stage`` (ACCEPTED or COMPLETED)."""
        if wait_for_stage == WorkflowUpdateStage.ADMITTED:
            raise ValueError("ADMITTED wait stage not supported")
        operation = start_workflow_operation
        if operation._used:
            raise RuntimeError("WithStartWorkflowOperation cannot be reused")
        operation._used = True
        name, hinted_type = update_name_and_result_type(update)
        start_input = operation._start_workflow_input
        future = operation._handle_future()

        def on_start(response: Any) -> None:
            future.set_result(
                WorkflowHandle(
                    cast("Client", self),
                    start_input.id,
                    first_execution_run_id=response.first_execution_run_id or response.run_id,
                    result_run_id=response.run_id,
                    result_type=start_input.ret_type,
                )
            )

        def on_start_error(error: BaseException) -> None:
            future.set_exception(error)
            future.exception()  # retrieved here: nobody may ever await the handle

        from tempyral.client._with_start_inputs import (
            StartWorkflowUpdateWithStartInput,
            UpdateWithStartUpdateWorkflowInput,
        )

        return await self._impl.start_update_with_start_workflow(
            StartWorkflowUpdateWithStartInput(
                start_workflow_input=start_input,
                update_workflow_input=UpdateWithStartUpdateWorkflowInput(
                    update_id=id,
                    update=name,
                    args=_arg_or_args(arg, args),
                    wait_for_stage=wait_for_stage,
                    headers={},
                    ret_type=result_type or hinted_type,
                ),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                _on_start=on_start,
                _on_start_error=on_start_error,
            )
        )
