"""Child workflows and external workflow handles from workflow code.

``start_child_workflow`` waits until the child has started and returns a
:py:class:`ChildWorkflowHandle` (an ``asyncio.Task`` whose result is the child's);
``execute_child_workflow`` also waits for the result. Their overloads give a type checker the
handle's and the result's types from the ``@workflow.run`` method passed, as the official SDK's
do. ``get_external_workflow_handle[_for]`` signals or cancels any workflow by id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    TypedDict,
    TypeVar,
    overload,
)

from tempyral.common import WorkflowIDReusePolicy
from tempyral.workflow._context import _Runtime
from tempyral.workflow._definition import _Definition, _SignalDefinition
from tempyral.workflow._event_groups import direct_event_groups

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ExternalWorkflowHandle",
    "ParentClosePolicy",
    "execute_child_workflow",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "start_child_workflow",
]

SelfType = TypeVar("SelfType")
ParamType = TypeVar("ParamType")
ReturnType = TypeVar("ReturnType")
_P = ParamSpec("_P")
_unset: Any = object()


class ChildWorkflowCancellationType(IntEnum):
    ABANDON = 0
    TRY_CANCEL = 1
    WAIT_CANCELLATION_COMPLETED = 2
    WAIT_CANCELLATION_REQUESTED = 3


class ParentClosePolicy(IntEnum):
    UNSPECIFIED = 0
    TERMINATE = 1
    ABANDON = 2
    REQUEST_CANCEL = 3


class ChildWorkflowHandle(asyncio.Task[ReturnType], Generic[SelfType, ReturnType]):
    """A started child workflow; await it for its result."""

    @property
    def id(self) -> str:
        raise NotImplementedError

    @property
    def first_execution_run_id(self) -> str | None:
        raise NotImplementedError

    async def signal(
        self, signal: str | Callable[..., Any], arg: Any = _unset, *, args: Sequence[Any] = ()
    ) -> None:
        raise NotImplementedError


@dataclass
class ChildWorkflowOptions:
    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str | None = None
    cancellation_type: ChildWorkflowCancellationType = (
        ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED
    )
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE
    execution_timeout: timedelta | None = None
    run_timeout: timedelta | None = None
    task_timeout: timedelta | None = None
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    retry_policy: Any = None
    cron_schedule: str = ""
    memo: Mapping[str, Any] | None = None
    search_attributes: Any = None
    static_summary: str | None = None
    static_details: str | None = None
    priority: Any = None
    result_type: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


_WAIT_COMPLETED = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED


class _ChildOptionsKw(TypedDict, total=False):
    """The keyword options of ``start_child_workflow`` (for the overloads)."""

    id: str | None
    task_queue: str | None
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    retry_policy: Any
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Any
    versioning_intent: Any
    static_summary: str | None
    static_details: str | None
    priority: Any
    versioning_override: Any
    event_groups: Any


def _workflow_name_and_result(workflow: Callable[..., Any] | str) -> tuple[str, Any]:
    if isinstance(workflow, str):
        return workflow, None
    definition = _Definition.from_run_fn(workflow)
    if definition is None or definition.name is None:
        raise TypeError(
            f"{getattr(workflow, '__qualname__', workflow)!r} is not the @workflow.run method of"
            " a named"
            " @workflow.defn class; pass it, or the workflow type name"
        )
    return definition.name, definition.ret_type


@overload
async def start_child_workflow(
    workflow: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_ChildOptionsKw],
) -> ChildWorkflowHandle[SelfType, ReturnType]: ...


@overload
async def start_child_workflow(
    workflow: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ChildOptionsKw],
) -> ChildWorkflowHandle[SelfType, ReturnType]: ...


@overload
async def start_child_workflow(
    workflow: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ChildOptionsKw],
) -> ChildWorkflowHandle[SelfType, ReturnType]: ...


@overload
async def start_child_workflow(
    workflow: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_ChildOptionsKw],
) -> ChildWorkflowHandle[Any, Any]: ...


async def start_child_workflow(
    workflow: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = _WAIT_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    retry_policy: Any = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    static_summary: str | None = None,
    static_details: str | None = None,
    priority: Any = None,
    versioning_override: Any = None,
    event_groups: Any = None,
) -> ChildWorkflowHandle[Any, Any]:
    """Start a child workflow and wait until it has started (``id`` defaults to a random UUID).

    ``versioning_override`` is accepted for compatibility and not used yet.
    """
    del versioning_override
    runtime = _Runtime.current()
    name, hinted = _workflow_name_and_result(workflow)
    options = ChildWorkflowOptions(
        workflow=name,
        args=list(args) if arg is _unset else [arg],
        id=id or str(runtime.workflow_uuid4()),
        task_queue=task_queue,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        static_summary=static_summary,
        static_details=static_details,
        priority=priority,
        result_type=result_type or hinted,
    )
    with direct_event_groups(event_groups):
        return await runtime.start_child_workflow(options)


# The implementation behind the overloads, for execute_child_workflow to call.
_start_child_workflow: Callable[..., Awaitable[ChildWorkflowHandle[Any, Any]]]
_start_child_workflow = start_child_workflow


@overload
async def execute_child_workflow(
    workflow: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_ChildOptionsKw],
) -> ReturnType: ...


@overload
async def execute_child_workflow(
    workflow: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ChildOptionsKw],
) -> ReturnType: ...


@overload
async def execute_child_workflow(
    workflow: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ChildOptionsKw],
) -> ReturnType: ...


@overload
async def execute_child_workflow(
    workflow: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_ChildOptionsKw],
) -> Any: ...


async def execute_child_workflow(
    workflow: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = _WAIT_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    retry_policy: Any = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    static_summary: str | None = None,
    static_details: str | None = None,
    priority: Any = None,
    versioning_override: Any = None,
    event_groups: Any = None,
) -> Any:
    """Start a child workflow and wait for its result (raises ``ChildWorkflowError``)."""
    handle = await _start_child_workflow(
        workflow,
        arg,
        args=args,
        id=id,
        task_queue=task_queue,
        result_type=result_type,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        versioning_intent=versioning_intent,
        static_summary=static_summary,
        static_details=static_details,
        priority=priority,
        versioning_override=versioning_override,
        event_groups=event_groups,
    )
    return await handle


class ExternalWorkflowHandle(Generic[ReturnType]):
    """A workflow known by id: signal it or request its cancellation."""

    def __init__(self, workflow_id: str, run_id: str | None) -> None:
        self._id = workflow_id
        self._run_id = run_id

    @property
    def id(self) -> str:
        return self._id

    @property
    def run_id(self) -> str | None:
        return self._run_id

    async def signal(
        self, signal: str | Callable[..., Any], arg: Any = _unset, *, args: Sequence[Any] = ()
    ) -> None:
        values = list(args) if arg is _unset else [arg]
        name = _SignalDefinition.must_name_from_fn_or_str(signal)
        await _Runtime.current().signal_external(
            self._id, self._run_id, name, values, child_workflow_only=False
        )

    async def cancel(self) -> None:
        await _Runtime.current().cancel_external(self._id, self._run_id)


def get_external_workflow_handle(
    workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle[Any]:
    _Runtime.current()
    return ExternalWorkflowHandle(workflow_id, run_id)


def get_external_workflow_handle_for(
    workflow: Callable[..., Any], workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle[Any]:
    """As ``get_external_workflow_handle``; ``workflow`` only types the handle."""
    del workflow
    return get_external_workflow_handle(workflow_id, run_id=run_id)
