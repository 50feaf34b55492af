"""Local activities from workflow code: ``start_local_activity`` / ``execute_local_activity``
with the official SDK's signatures (the ``_method`` / ``_class`` forms are in
``_local_activity_forms``).

A local activity runs in the worker that runs the workflow, inside the workflow task; its outcome
is recorded in history as a marker. The overloads give a type checker the activity's result type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypedDict, TypeVar, overload

from tempyral.workflow._activities import (
    ActivityCancellationType,
    ActivityHandle,
    _result_type,
    _unset,
    activity_name,
)
from tempyral.workflow._context import _Runtime
from tempyral.workflow._event_groups import direct_event_groups

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "LocalActivityOptions",
    "execute_local_activity",
    "start_local_activity",
]

ReturnType = TypeVar("ReturnType")
ParamType = TypeVar("ParamType")
SelfType = TypeVar("SelfType")
_P = ParamSpec("_P")


@dataclass
class LocalActivityOptions:
    """Everything ``start_local_activity`` accepts besides the activity and its arguments."""

    activity: str
    args: Sequence[Any]
    schedule_to_close_timeout: timedelta | None = None
    schedule_to_start_timeout: timedelta | None = None
    start_to_close_timeout: timedelta | None = None
    retry_policy: Any = None
    local_retry_threshold: timedelta | None = None
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL
    activity_id: str | None = None
    summary: str | None = None
    result_type: Any = None


class _LocalOptionsKw(TypedDict, total=False):
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: Any
    local_retry_threshold: timedelta | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    summary: str | None
    event_groups: Any


def _start(
    name: str,
    arg: Any,
    args: Sequence[Any],
    result_type: Any,
    **options: Any,
) -> ActivityHandle[Any]:
    with direct_event_groups(options.pop("event_groups", None)):
        return _Runtime.current().start_local_activity(
            LocalActivityOptions(
                activity=name,
                args=list(args) if arg is _unset else [arg],
                result_type=result_type,
                **options,
            )
        )


@overload
def start_local_activity(
    activity: Callable[[], Awaitable[ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[[], ReturnType],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[[ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[[ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[..., ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_LocalOptionsKw],
) -> ActivityHandle[Any]: ...


def start_local_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
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
    """Schedule a local activity; the handle resolves with its result."""
    result = result_type or _result_type(activity)
    return _start(
        activity_name(activity),
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
async def execute_local_activity(
    activity: Callable[[], Awaitable[ReturnType]],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[[], ReturnType],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[[ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[[ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[..., ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_LocalOptionsKw],
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_LocalOptionsKw],
) -> Any: ...


async def execute_local_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
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
    """``start_local_activity`` and wait for its result."""
    result = result_type or _result_type(activity)
    return await _start(
        activity_name(activity),
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
