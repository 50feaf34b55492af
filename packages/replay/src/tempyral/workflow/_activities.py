"""Activities from workflow code: ``start_activity`` / ``execute_activity`` (and the ``_method``
and ``_class`` forms), their options and handles.

An :py:class:`ActivityHandle` is an ``asyncio.Task``: await it for the result, ``cancel()`` it to
cancel the activity according to its ``cancellation_type``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any, Generic, ParamSpec, TypeVar

from tempyral.workflow._context import _Runtime

__all__ = [
    "ActivityCancellationType",
    "ActivityHandle",
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "start_activity",
    "start_activity_class",
    "start_activity_method",
]

ReturnType = TypeVar("ReturnType")
_P = ParamSpec("_P")


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


def _result_type(activity: Callable[..., Any] | str) -> Any:
    if isinstance(activity, str):
        return None
    import typing

    try:
        return typing.get_type_hints(activity).get("return")
    except Exception:
        return None


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
    """Schedule an activity; the handle resolves with its result (raises ``ActivityError``).

    ``event_groups`` is accepted for compatibility and not recorded yet.
    """
    del event_groups
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
    return _Runtime.current().start_activity(options)


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
    return start_activity(
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


def _class_activity(activity: type) -> tuple[str, Any]:
    call = activity.__call__
    name = activity_name(call) if activity_name(call) != "__call__" else activity.__name__
    for attr in ("__tempyral_activity_definition", "__temporal_activity_definition"):
        defn = getattr(activity, attr, None)
        if defn is not None and getattr(defn, "name", None):
            name = str(defn.name)
    return name, _result_type(call)


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
    return start_activity(
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


def _awaiting_result(
    start: Callable[_P, ActivityHandle[Any]], name: str
) -> Callable[_P, Coroutine[Any, Any, Any]]:
    """``execute_*`` from its ``start_*``: the same parameters, awaiting the handle's result.

    The parameter lists must match the official SDK's name by name, so each is written once, on
    the ``start_*`` form; ``__signature__`` shows it to ``inspect`` (and so to help and docs).
    """

    async def execute(*args: _P.args, **kwargs: _P.kwargs) -> Any:
        return await start(*args, **kwargs)

    execute.__name__ = execute.__qualname__ = name
    execute.__doc__ = f"``{start.__name__}`` and wait for its result."
    execute.__signature__ = inspect.signature(start).replace(return_annotation="Any")  # type: ignore[attr-defined]
    return execute


execute_activity = _awaiting_result(start_activity, "execute_activity")
execute_activity_method = _awaiting_result(start_activity_method, "execute_activity_method")
execute_activity_class = _awaiting_result(start_activity_class, "execute_activity_class")
