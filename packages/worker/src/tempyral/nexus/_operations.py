"""What a Temporal-backed operation's start method works with.

A ``@workflow_run_operation`` start method gets a :py:class:`WorkflowRunOperationContext`, whose
``start_workflow`` starts the workflow with the caller's completion callback and returns the
:py:class:`~tempyral.nexus.WorkflowHandle` the operation answers with. A ``@temporal_operation``
start method gets a :py:class:`TemporalNexusClient` (one backing start per call) and returns a
:py:class:`TemporalOperationResult`: a value, or the token of what it started.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from nexusrpc import HandlerError, HandlerErrorType, OperationError, OperationErrorState
from nexusrpc.handler import (
    StartOperationContext,
    StartOperationResultAsync,
    StartOperationResultSync,
)

from tempyral.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from tempyral.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    MetricMeter,
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from tempyral.nexus._context import (
    current_scope,
)
from tempyral.nexus._start import (
    ARG_UNSET,
    reject_second_async_start,
    start_backing_workflow,
    starting_backing_start,
)
from tempyral.nexus._token import OperationToken, OperationTokenType, WorkflowHandle

if TYPE_CHECKING:
    from tempyral.client import Client

__all__ = ["TemporalNexusClient", "TemporalOperationResult", "WorkflowRunOperationContext"]

ReturnT = TypeVar("ReturnT")
ResultT = TypeVar("ResultT")
ServiceT = TypeVar("ServiceT")
_NO_METADATA: Mapping[str, str | bytes] = {}


class WorkflowRunOperationContext(StartOperationContext):
    """Context received by a workflow run operation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialize the workflow run operation context (inside a Nexus operation only)."""
        super().__init__(*args, **kwargs)
        current_scope()  # raises RuntimeError outside a Nexus operation, as the official one

    @classmethod
    def _from_start_operation_context(
        cls, ctx: StartOperationContext
    ) -> WorkflowRunOperationContext:
        # The same outbound_links list: links added here reach the worker's response.
        return cls(**{f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)})

    @property
    def metric_meter(self) -> MetricMeter:
        """The metric meter"""
        return current_scope().metric_meter

    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[ReturnT]],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
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
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
    ) -> WorkflowHandle[ReturnT]:
        """Start a workflow that will deliver the result of the Nexus operation.

        The workflow starts in the worker's namespace with the worker's client, on the worker's
        task queue unless ``task_queue`` is given; the arguments are
        :py:meth:`tempyral.client.Client.start_workflow`'s. The start carries the Nexus
        request ID, the caller's completion callback (the server delivers the workflow's
        result to the caller when it ends) and links both ways between caller and workflow.
        """
        return await start_backing_workflow(
            current_scope(),
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
        )


@dataclass(frozen=True)
class TemporalOperationResult(Generic[ResultT]):
    """Unified result: sync value or async token.

    .. warning::
       This API is experimental and unstable.
    """

    value: ResultT | object = ARG_UNSET
    token: str | None = None

    def __post_init__(self) -> None:
        """Validate that the result represents exactly one completion mode."""
        has_value = self.value is not ARG_UNSET
        has_token = self.token is not None
        if has_value == has_token:
            raise ValueError("TemporalOperationResult must have exactly one of value or token set.")
        if has_token and (not isinstance(self.token, str) or not self.token):
            raise ValueError("TemporalOperationResult token must be a non-empty string.")

    @classmethod
    def sync(cls, value: ResultT) -> TemporalOperationResult[ResultT]:
        """Create a result that completes the Nexus operation synchronously."""
        return cls(value=value)

    @classmethod
    def async_token(cls, token: str) -> TemporalOperationResult[ResultT]:
        """Create a result that completes the Nexus operation asynchronously."""
        return cls(token=token)

    def _to_nexus_result(self) -> StartOperationResultSync[ResultT] | StartOperationResultAsync:
        if self.token is not None:
            return StartOperationResultAsync(self.token)
        return StartOperationResultSync(cast(ResultT, self.value))


class TemporalNexusClient(ABC):
    """Nexus-aware wrapper around a Temporal Client.

    .. warning::
       This API is experimental and unstable.
    """

    @property
    @abstractmethod
    def client(self) -> Client:
        """The underlying Temporal Client"""

    @abstractmethod
    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[ReturnT]],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
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
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
    ) -> TemporalOperationResult[ReturnT]:
        """Start a workflow as the backing asynchronous Nexus operation."""

    @abstractmethod
    async def start_workflow_update(
        self,
        workflow_id: str,
        update: str | Callable[..., Any],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        wait_for_stage: Literal[WorkflowUpdateStage.ACCEPTED],
        update_id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
    ) -> TemporalOperationResult[Any]:
        """Start a Workflow Update-backed Nexus Operation.

        The update ID defaults to the Nexus request ID (so a retried request finds the same
        update); only ``WorkflowUpdateStage.ACCEPTED`` may be waited for. An update that has
        already completed answers the operation at once.
        """

    @abstractmethod
    async def start_activity(
        self,
        activity: str | Callable[..., Awaitable[ReturnT]] | Callable[..., ReturnT],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str | None = None,
        result_type: type | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        start_delay: timedelta | None = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: RetryPolicy | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        priority: Priority = Priority.default,
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
    ) -> TemporalOperationResult[ReturnT]:
        """Start a standalone activity that will deliver the Nexus operation result.

        If ``task_queue`` is not specified, the Nexus worker's task queue is used. See
        :py:meth:`tempyral.client.Client.start_activity` for the other arguments.
        """


class _TemporalNexusClient(TemporalNexusClient):
    """The client a ``TemporalOperationHandler``'s start method gets (one async start each)."""

    def __init__(self) -> None:
        self._scope = current_scope()
        self._started_async = False

    @property
    def client(self) -> Client:
        return self._scope.client

    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[ReturnT]],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
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
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: VersioningOverride | None = None,
    ) -> TemporalOperationResult[ReturnT]:
        if self._started_async:
            raise reject_second_async_start()
        # Taken before the call, so two concurrent starts cannot both pass.
        self._started_async = True
        try:
            handle: WorkflowHandle[ReturnT] = await start_backing_workflow(
                self._scope,
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
            )
        except BaseException:
            self._started_async = False
            raise
        return TemporalOperationResult.async_token(handle.to_token())

    async def start_activity(
        self,
        activity: str | Callable[..., Awaitable[ReturnT]] | Callable[..., ReturnT],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str | None = None,
        result_type: type | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        start_delay: timedelta | None = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: RetryPolicy | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        priority: Priority = Priority.default,
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
    ) -> TemporalOperationResult[ReturnT]:
        if self._started_async:
            raise reject_second_async_start()
        self._started_async = True
        if arg is not ARG_UNSET:
            if args:
                raise ValueError("Cannot have arg and args")
            args = [arg]
        try:
            with starting_backing_start():
                # The overloads of start_activity cannot be chosen from the union: it takes any.
                handle = await self._scope.client.start_activity(
                    cast(Any, activity),
                    args=args,
                    id=id,
                    task_queue=task_queue or self._scope.info().task_queue,
                    result_type=result_type,
                    schedule_to_start_timeout=schedule_to_start_timeout,
                    schedule_to_close_timeout=schedule_to_close_timeout,
                    start_to_close_timeout=start_to_close_timeout,
                    heartbeat_timeout=heartbeat_timeout,
                    start_delay=start_delay,
                    id_reuse_policy=id_reuse_policy,
                    id_conflict_policy=id_conflict_policy,
                    retry_policy=retry_policy,
                    search_attributes=search_attributes,
                    summary=summary,
                    priority=priority,
                    rpc_metadata=rpc_metadata,
                    rpc_timeout=rpc_timeout,
                )
        except BaseException:
            self._started_async = False
            raise
        token = OperationToken(
            type=OperationTokenType.ACTIVITY,
            namespace=self._scope.client.namespace,
            activity_id=handle.id,
            run_id=handle.run_id,
        )
        return TemporalOperationResult.async_token(token.encode())

    async def start_workflow_update(
        self,
        workflow_id: str,
        update: str | Callable[..., Any],
        arg: Any = ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        wait_for_stage: Literal[WorkflowUpdateStage.ACCEPTED],
        update_id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
    ) -> TemporalOperationResult[Any]:
        context = self._scope.start_context
        if context is None or not context.callback_url:
            raise HandlerError(
                "callback URL is required for a workflow update Nexus operation",
                type=HandlerErrorType.BAD_REQUEST,
            )
        if wait_for_stage != WorkflowUpdateStage.ACCEPTED:
            raise ValueError("Only ACCEPTED wait stage is supported")
        if self._started_async:
            raise reject_second_async_start()
        self._started_async = True
        handle = self._scope.client.get_workflow_handle(
            workflow_id, run_id=run_id, first_execution_run_id=first_execution_run_id
        )
        try:
            with starting_backing_start():
                update_handle = await handle.start_update(
                    update,
                    arg,
                    args=args,
                    wait_for_stage=wait_for_stage,
                    # The request ID by default, so a retried request finds the same update.
                    id=update_id or context.request_id,
                    result_type=result_type,
                    rpc_metadata=rpc_metadata,
                    rpc_timeout=rpc_timeout,
                )
        except BaseException:
            self._started_async = False
            raise
        if update_handle._known_outcome is not None:
            try:
                result = await update_handle.result()
            except WorkflowUpdateFailedError as err:
                raise OperationError(str(err), state=OperationErrorState.FAILED) from err
            return TemporalOperationResult.sync(result)
        token = OperationToken(
            type=OperationTokenType.UPDATE_WORKFLOW,
            namespace=self._scope.client.namespace,
            workflow_id=update_handle.workflow_id,
            update_id=update_handle.id,
            run_id=update_handle.workflow_run_id,
        )
        return TemporalOperationResult.async_token(token.encode())
