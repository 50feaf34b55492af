"""Changing a standalone activity's options: :py:class:`ActivityOptionsKeys` names each option
:py:meth:`ActivityHandle.update_options` can change, :py:class:`ActivityExecutionOptions` is what
the server holds afterwards.

An update names its option by the field-mask path of ``UpdateActivityExecutionOptionsRequest``;
an update whose value is None clears that option on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from tempyral.api.activity.v1.message_pb2 import ActivityOptions
from tempyral.common import Priority, RetryPolicy

__all__ = [
    "ActivityExecutionOptions",
    "ActivityOptionsKey",
    "ActivityOptionsKeys",
    "ActivityOptionsUpdate",
    "_apply_option_updates",
]

ActivityOptionValueType = TypeVar("ActivityOptionValueType")

_DURATIONS = (
    "schedule_to_close_timeout",
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "heartbeat_timeout",
    "start_delay",
)


@dataclass(frozen=True)
class ActivityOptionsKey(Generic[ActivityOptionValueType]):
    """One option :py:meth:`ActivityHandle.update_options` can change; use the keys of
    :py:class:`ActivityOptionsKeys`."""

    name: str
    """The option's field-mask path."""

    def value_set(
        self, value: ActivityOptionValueType
    ) -> ActivityOptionsUpdate[ActivityOptionValueType]:
        """An update setting this option to ``value``."""
        return ActivityOptionsUpdate(self, value)

    def value_unset(self) -> ActivityOptionsUpdate[ActivityOptionValueType]:
        """An update clearing this option on the server."""
        return ActivityOptionsUpdate(self, None)


@dataclass(frozen=True)
class ActivityOptionsUpdate(Generic[ActivityOptionValueType]):
    """A change to one option; options no update names stay as they are."""

    key: ActivityOptionsKey[ActivityOptionValueType]
    """The option changed."""

    value: ActivityOptionValueType | None
    """Its new value; None clears it."""


class ActivityOptionsKeys:
    """The options :py:meth:`ActivityHandle.update_options` can change."""

    task_queue: ActivityOptionsKey[str] = ActivityOptionsKey("task_queue.name")
    schedule_to_close_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "schedule_to_close_timeout"
    )
    schedule_to_start_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "schedule_to_start_timeout"
    )
    start_to_close_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "start_to_close_timeout"
    )
    heartbeat_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey("heartbeat_timeout")
    start_delay: ActivityOptionsKey[timedelta] = ActivityOptionsKey("start_delay")
    retry_policy: ActivityOptionsKey[RetryPolicy] = ActivityOptionsKey("retry_policy")
    priority: ActivityOptionsKey[Priority] = ActivityOptionsKey("priority")


@dataclass(frozen=True)
class ActivityExecutionOptions:
    """A standalone activity's options as the server holds them after an update or restore."""

    task_queue: str | None
    """Task queue the activity is scheduled on."""
    schedule_to_close_timeout: timedelta | None
    """Time allowed from schedule to completion, retries included."""
    schedule_to_start_timeout: timedelta | None
    """Time an attempt may wait in the task queue."""
    start_to_close_timeout: timedelta | None
    """Time allowed for one attempt."""
    heartbeat_timeout: timedelta | None
    """Longest allowed gap between heartbeats."""
    start_delay: timedelta | None
    """Delay before the first attempt is dispatched."""
    retry_policy: RetryPolicy | None
    """Retry policy in effect."""
    priority: Priority | None
    """Priority of the activity."""

    @staticmethod
    def _from_proto(options: ActivityOptions) -> ActivityExecutionOptions:
        def duration(name: str) -> timedelta | None:
            return getattr(options, name).ToTimedelta() if options.HasField(name) else None

        return ActivityExecutionOptions(
            task_queue=options.task_queue.name if options.HasField("task_queue") else None,
            schedule_to_close_timeout=duration("schedule_to_close_timeout"),
            schedule_to_start_timeout=duration("schedule_to_start_timeout"),
            start_to_close_timeout=duration("start_to_close_timeout"),
            heartbeat_timeout=duration("heartbeat_timeout"),
            start_delay=duration("start_delay"),
            retry_policy=(
                RetryPolicy.from_proto(options.retry_policy)
                if options.HasField("retry_policy")
                else None
            ),
            priority=(
                Priority._from_proto(options.priority) if options.HasField("priority") else None
            ),
        )


def _apply_option_updates(
    updates: Sequence[ActivityOptionsUpdate[Any]], options: ActivityOptions, paths: list[str]
) -> None:
    """Write ``updates`` into a request's options and field mask.

    Raises:
        ValueError: Two updates name the same option, or an update names an unknown option.
    """
    for update in updates:
        name = update.key.name
        if name in paths:
            raise ValueError(
                f"More than one update for the activity option {name!r}; give each option once"
            )
        paths.append(name)
        value = update.value
        if value is None:
            continue  # in the mask without a value: the server clears it
        if name == "task_queue.name":
            options.task_queue.name = value
        elif name == "retry_policy":
            value.apply_to_proto(options.retry_policy)
        elif name == "priority":
            options.priority.CopyFrom(value._to_proto())
        elif name in _DURATIONS:
            getattr(options, name).FromTimedelta(value)
        else:
            raise ValueError(
                f"Unknown activity option {name!r}; use the keys of ActivityOptionsKeys"
            )
