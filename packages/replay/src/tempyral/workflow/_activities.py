"""Activities from workflow code: ``start_activity`` / ``execute_activity``, their options and
handles (the ``_method`` and ``_class`` forms are in ``_activity_forms``).

The overloads give a type checker the result type of the activity passed, as the official SDK's
do: ``await execute_activity(my_activity, ...)`` is typed as ``my_activity``'s result.

An :py:class:`ActivityHandle` is an ``asyncio.Task``: await it for the result, ``cancel()`` it to
cancel the activity according to its ``cancellation_type``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar, overload

from tempyral.workflow._context import _Runtime
from tempyral.workflow._event_groups import direct_event_groups

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ActivityCancellationType",
    "ActivityHandle",
    "_start_activity",
    "execute_activity",
    "start_activity",
]

ReturnType = TypeVar("ReturnType")
ParamType = TypeVar("ParamType")


class ActivityCancellationType(IntEnum):
    """How cancelling an activity's handle behaves (values as in the official SDK)."""

    TRY_CANCEL = 0
    WAIT_CANCELLATION_COMPLETED = 1
    ABANDON = 2


class ActivityHandle(asyncio.Task[ReturnType], Generic[ReturnType]):
    """A running activity; an ``asyncio.Task`` whose result is the activity's."""


@dataclass
class ActivityOptions:
    """Everything ``start_activity`` accepts besides the activity and its arguments."""

    activity: str
    args: Sequence[Any]
    task_queue: str | None = None
    schedule_to_close_timeout: timedelta | None = None
    schedule_to_start_timeout: timedelta | None = None
    start_to_close_timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    retry_policy: Any = None
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL
    activity_id: str | None = None
    versioning_intent: Any = None
    summary: str | None = None
    priority: Any = None
    result_type: Any = None
    disable_eager_execution: bool = False


class _ActivityOptionsKw(TypedDict, total=False):
    """The keyword options every form of ``start_activity`` takes (for the overloads)."""

    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: Any
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    versioning_intent: Any
    summary: str | None
    priority: Any
    event_groups: Any


_unset: Any = object()


def activity_name(activity: Callable[..., Any] | str) -> str:
    """The activity type name of a function, method or callable class (or the string itself)."""
    if isinstance(activity, str):
        return activity
    for attr in ("__tempyral_activity_definition", "__temporal_activity_definition"):
        defn = getattr(activity, attr, None)
        if defn is not None and getattr(defn, "name", None):
            return str(defn.name)
    fn = getattr(activity, "__func__", activity)
    name = getattr(fn, "__name__", None)
    if name is None:
        raise TypeError(
            f"{activity!r} is not an activity: pass a function decorated with @activity.defn"
            " or a name"
        )
    return str(name)


# Resolving type hints is slow, and workflows start the same few activities again and again.
_RESULT_TYPES: dict[Any, Any] = {}
_RESULT_TYPES_MAX = 1024


def _result_type(activity: Callable[..., Any] | str) -> Any:
    if isinstance(activity, str):
        return None
    try:
        return _RESULT_TYPES[activity]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable: nothing to cache it by
        return _return_hint(activity)
    hint = _return_hint(activity)
    if len(_RESULT_TYPES) < _RESULT_TYPES_MAX:
        _RESULT_TYPES[activity] = hint
    return hint


def _return_hint(activity: Callable[..., Any]) -> Any:
    import typing

    try:
        return typing.get_type_hints(activity).get("return")
    except Exception:
        return None


@overload
def start_activity(
    activity: Callable[[], Awaitable[ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[[], ReturnType],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[[ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[[ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[..., ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_ActivityOptionsKw],
) -> ActivityHandle[Any]: ...


def start_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
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
    """Schedule an activity; the handle resolves with its result (raises ``ActivityError``)."""
    options = ActivityOptions(
        activity=activity_name(activity),
        args=list(args) if arg is _unset else [arg],
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
        result_type=result_type or _result_type(activity),
    )
    with direct_event_groups(event_groups):
        return _Runtime.current().start_activity(options)


# The implementation behind the overloads, for the other forms to call with what they were given.
_start_activity: Callable[..., ActivityHandle[Any]] = start_activity


@overload
async def execute_activity(
    activity: Callable[[], Awaitable[ReturnType]],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[[], ReturnType],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[[ParamType], Awaitable[ReturnType]],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[[ParamType], ReturnType],
    arg: ParamType,
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[..., ReturnType],
    *,
    args: Sequence[Any],
    **options: Unpack[_ActivityOptionsKw],
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: str,
    arg: Any = ...,
    *,
    args: Sequence[Any] = ...,
    result_type: type | None = None,
    **options: Unpack[_ActivityOptionsKw],
) -> Any: ...


async def execute_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
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
    """``start_activity`` and wait for its result."""
    return await _start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=result_type,
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
