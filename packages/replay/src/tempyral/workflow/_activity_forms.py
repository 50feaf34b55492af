"""The ``_method`` and ``_class`` forms of ``start_activity`` / ``execute_activity``: an activity
that is a method of a class (called on an instance the worker holds), or a callable class.

As for the plain forms, the overloads give a type checker the activity's result type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from tempyral.workflow._activities import (
    ActivityCancellationType,
    ActivityHandle,
    _result_type,
    _start_activity,
    _unset,
    activity_name,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from tempyral.workflow._activities import _ActivityOptionsKw

__all__ = [
    "execute_activity_class",
    "execute_activity_method",
    "start_activity_class",
    "start_activity_method",
]

SelfType = TypeVar("SelfType")
ParamType = TypeVar("ParamType")
ReturnType = TypeVar("ReturnType")
_P = ParamSpec("_P")


def _class_activity(activity: type) -> tuple[str, Any]:
    call = activity.__call__
    name = activity_name(call) if activity_name(call) != "__call__" else activity.__name__
    for attr in ("__tempyral_activity_definition", "__temporal_activity_definition"):
        defn = getattr(activity, attr, None)
        if defn is not None and getattr(defn, "name", None):
            name = str(defn.name)
    return name, _result_type(call)


@overload
def start_activity_method(
    activity: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_method(
    activity: Callable[[SelfType], ReturnType],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_method(
    activity: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_method(
    activity: Callable[[SelfType, ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_method(
    activity: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_method(
    activity: Callable[Concatenate[SelfType, _P], ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


def start_activity_method(
    activity: Callable[..., Any],
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    priority: Any = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """``start_activity`` for an activity that is a method of a class."""
    return _start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=None,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        priority=priority,
        event_groups=event_groups,
    )


_start_activity_method: Callable[..., ActivityHandle[Any]] = start_activity_method


@overload
async def execute_activity_method(
    activity: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_method(
    activity: Callable[[SelfType], ReturnType],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_method(
    activity: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_method(
    activity: Callable[[SelfType, ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_method(
    activity: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_method(
    activity: Callable[Concatenate[SelfType, _P], ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


async def execute_activity_method(
    activity: Callable[..., Any],
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    priority: Any = None,
    event_groups: Any = None,
) -> Any:
    """``start_activity_method`` and wait for its result."""
    return await _start_activity_method(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        priority=priority,
        event_groups=event_groups,
    )


@overload
def start_activity_class(
    activity: type[Callable[[], Awaitable[ReturnType]]],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_class(
    activity: type[Callable[[], ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_class(
    activity: type[Callable[[ParamType], Awaitable[ReturnType]]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_class(
    activity: type[Callable[[ParamType], ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_class(
    activity: type[Callable[..., Awaitable[ReturnType]]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity_class(
    activity: type[Callable[..., ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


def start_activity_class(
    activity: type,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    priority: Any = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """``start_activity`` for an activity that is a callable class (named by its ``__call__``)."""
    name, hinted = _class_activity(activity)
    return _start_activity(
        name,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=hinted,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        priority=priority,
        event_groups=event_groups,
    )


_start_activity_class: Callable[..., ActivityHandle[Any]] = start_activity_class


@overload
async def execute_activity_class(
    activity: type[Callable[[], Awaitable[ReturnType]]],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_class(
    activity: type[Callable[[], ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_class(
    activity: type[Callable[[ParamType], Awaitable[ReturnType]]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_class(
    activity: type[Callable[[ParamType], ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_class(
    activity: type[Callable[..., Awaitable[ReturnType]]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity_class(
    activity: type[Callable[..., ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


async def execute_activity_class(
    activity: type,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    priority: Any = None,
    event_groups: Any = None,
) -> Any:
    """``start_activity_class`` and wait for its result."""
    return await _start_activity_class(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        priority=priority,
        event_groups=event_groups,
    )
