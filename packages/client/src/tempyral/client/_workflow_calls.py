"""``Client.start_workflow`` and ``Client.execute_workflow`` (a mixin of :py:class:`Client`).

The overloads give typed handles for method references: ``start_workflow(MyWorkflow.run, "x",
id=..., task_queue=...)`` returns a ``WorkflowHandle[MyWorkflow, <run's return type>]``. Their
shared keyword options are spelled once, as :py:class:`_StartOptions`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Concatenate, overload

from typing_extensions import TypedDict, Unpack

from tempyral.client._definitions import workflow_name_and_result_type
from tempyral.client._handle import WorkflowHandle
from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata, StartWorkflowInput
from tempyral.client._interceptor import OutboundInterceptor
from tempyral.client._types import (
    MethodAsyncNoParam,
    MethodAsyncSingleParam,
    MultiParamSpec,
    ParamType,
    ReturnType,
    SelfType,
)
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

__all__ = ["_WorkflowStartCalls"]


class _StartOptions(TypedDict, total=False):
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: TypedSearchAttributes | SearchAttributes | None
    static_summary: str | None
    static_details: str | None
    start_delay: timedelta | None
    start_signal: str | None
    start_signal_args: Sequence[Any]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    request_eager_start: bool
    priority: Priority
    versioning_override: VersioningOverride | None


class _WorkflowStartCalls:
    _impl: OutboundInterceptor

    @overload
    async def start_workflow(
        self,
        workflow: MethodAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> WorkflowHandle[SelfType, ReturnType]: ...

    @overload
    async def start_workflow(
        self,
        workflow: MethodAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> WorkflowHandle[SelfType, ReturnType]: ...

    @overload
    async def start_workflow(
        self,
        workflow: Callable[Concatenate[SelfType, MultiParamSpec], Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> WorkflowHandle[SelfType, ReturnType]: ...

    @overload
    async def start_workflow(
        self,
        workflow: str,
        arg: Any = ...,
        *,
        args: Sequence[Any] = ...,
        id: str,
        task_queue: str,
        result_type: type | None = ...,
        **options: Unpack[_StartOptions],
    ) -> WorkflowHandle[Any, Any]: ...

    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
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
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
        stack_level: int = 2,
    ) -> WorkflowHandle[Any, Any]:
        """Start a workflow and return its handle.

        Args:
            workflow: Workflow type name, or the workflow class's run method.
            arg: The workflow's single argument.
            args: All the workflow's arguments (not with ``arg``).
            id: Workflow ID.
            task_queue: Task queue the workflow's tasks go to.
            result_type: Type the result is converted to (for string names).
            execution_timeout: Limit of the whole execution, retries and continue-as-new included.
            run_timeout: Limit of one run.
            task_timeout: Limit of one workflow task.
            id_reuse_policy: Whether the ID may be reused after a closed workflow.
            id_conflict_policy: What to do if a workflow with the ID is running (default: fail;
                USE_EXISTING returns the running one's handle).
            retry_policy: Retry policy of the workflow.
            cron_schedule: Cron schedule of the workflow.
            memo: Memo of the workflow.
            search_attributes: Search attributes (the dict form is deprecated).
            static_summary: Fixed single-line summary shown by the UI/CLI.
            static_details: Fixed details shown by the UI/CLI.
            start_delay: Wait this long before starting (not with a cron schedule).
            start_signal: Signal sent with the start (signal-with-start): the workflow starts
                unless it runs, and gets the signal either way.
            start_signal_args: Arguments of ``start_signal``.
            rpc_metadata: Headers of the call; they override the client's.
            rpc_timeout: Deadline of the call.
            request_eager_start: Ask for the first workflow task to be handed back to a worker
                sharing this client (honoured only when such a worker says it has room).
            priority: Priority of the workflow.
            versioning_override: Versioning behaviour override of the workflow.
            stack_level: Stack level of the deprecation warning for dict search attributes.

        Raises:
            WorkflowAlreadyStartedError: A workflow with the ID runs (or ran, with a reuse policy
                forbidding a new one).
            TypeError: An argument cannot be converted by the data converter.
            RPCError: The workflow could not be started for another reason.
        """
        _warn_on_deprecated_search_attributes(search_attributes, stack_level=stack_level)
        name, hinted_type = workflow_name_and_result_type(workflow)
        return await self._impl.start_workflow(
            StartWorkflowInput(
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
                start_signal=start_signal,
                start_signal_args=start_signal_args,
                static_summary=static_summary,
                static_details=static_details,
                ret_type=result_type or hinted_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                request_eager_start=request_eager_start,
                priority=priority,
                versioning_override=versioning_override,
            )
        )

    @overload
    async def execute_workflow(
        self,
        workflow: MethodAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_workflow(
        self,
        workflow: MethodAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_workflow(
        self,
        workflow: Callable[Concatenate[SelfType, MultiParamSpec], Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_StartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_workflow(
        self,
        workflow: str,
        arg: Any = ...,
        *,
        args: Sequence[Any] = ...,
        id: str,
        task_queue: str,
        result_type: type | None = ...,
        **options: Unpack[_StartOptions],
    ) -> Any: ...

    async def execute_workflow(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
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
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
    ) -> Any:
        """Start a workflow and wait for its result (:py:meth:`start_workflow` then
        ``WorkflowHandle.result``); takes the same arguments.

        Raises:
            WorkflowFailureError: The workflow failed, was cancelled, terminated or timed out.
        """
        start: Callable[..., Awaitable[WorkflowHandle[Any, Any]]] = self.start_workflow
        handle = await start(
            workflow,
            arg,
            args=args,
            id=id,
            task_queue=task_queue,
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
            stack_level=3,
        )
        return await handle.result()
