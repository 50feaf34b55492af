"""``start_local_activity_method`` / ``_class`` and their ``execute_`` forms: the local activity
calls for activities that are methods or callable classes, with the official SDK's signatures.
They resolve the activity's name and result type as the remote forms do (``_activity_forms``) and
start it through ``_local_activities``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from tempyral.workflow._activities import (
    ActivityCancellationType,
    ActivityHandle,
    _result_type,
    _unset,
    activity_name,
)
from tempyral.workflow._activity_forms import _class_activity
from tempyral.workflow._local_activities import _LocalOptionsKw, _start

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "execute_local_activity_class",
    "execute_local_activity_method",
    "start_local_activity_class",
    "start_local_activity_method",
]

ReturnType = TypeVar("ReturnType")
ParamType = TypeVar("ParamType")
SelfType = TypeVar("SelfType")
_P = ParamSpec("_P")


@overload
def start_local_activity_method(
    activity: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_method(
    activity: Callable[[SelfType], ReturnType],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_method(
    activity: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_method(
    activity: Callable[[SelfType, ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_method(
    activity: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_method(
    activity: Callable[Concatenate[SelfType, _P], ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


def start_local_activity_method(
    activity: Callable[..., Any],
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: Any = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """``start_local_activity`` for an activity that is a method."""
    return _start(
        activity_name(activity),
        arg,
        args,
        _result_type(activity),
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


@overload
async def execute_local_activity_method(
    activity: Callable[[SelfType], Awaitable[ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_method(
    activity: Callable[[SelfType], ReturnType],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_method(
    activity: Callable[[SelfType, ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_method(
    activity: Callable[[SelfType, ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_method(
    activity: Callable[Concatenate[SelfType, _P], Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_method(
    activity: Callable[Concatenate[SelfType, _P], ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


async def execute_local_activity_method(
    activity: Callable[..., Any],
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: Any = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> Any:
    """``start_local_activity_method`` and wait for its result."""
    return await _start(
        activity_name(activity),
        arg,
        args,
        _result_type(activity),
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


@overload
def start_local_activity_class(
    activity: type[Callable[[], Awaitable[ReturnType]]],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_class(
    activity: type[Callable[[], ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_class(
    activity: type[Callable[[ParamType], Awaitable[ReturnType]]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_class(
    activity: type[Callable[[ParamType], ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_class(
    activity: type[Callable[..., Awaitable[ReturnType]]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity_class(
    activity: type[Callable[..., ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


def start_local_activity_class(
    activity: type,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: Any = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """``start_local_activity`` for an activity that is a callable class."""
    name, result = _class_activity(activity)
    return _start(
        name,
        arg,
        args,
        result,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


@overload
async def execute_local_activity_class(
    activity: type[Callable[[], Awaitable[ReturnType]]],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_class(
    activity: type[Callable[[], ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_class(
    activity: type[Callable[[ParamType], Awaitable[ReturnType]]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_class(
    activity: type[Callable[[ParamType], ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_class(
    activity: type[Callable[..., Awaitable[ReturnType]]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity_class(
    activity: type[Callable[..., ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


async def execute_local_activity_class(
    activity: type,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: Any = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> Any:
    """``start_local_activity_class`` and wait for its result."""
    name, result = _class_activity(activity)
    return await _start(
        name,
        arg,
        args,
        result,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )
