"""History events as the engine reads them: event-type tables and workflow-task boundaries.

Histories themselves are :py:class:`tempyral.client.WorkflowHistory` values (re-exported as
``tempyral.replay.WorkflowHistory``), which also read the JSON of the CLI and the official SDK.

:py:func:`next_task_end` says where the next workflow task ends, with the rules the official Core
SDK uses: a task ends at a ``WorkflowTaskStarted`` that is not followed by a failed or timed-out
task and is not a workflow-task heartbeat, or at the workflow's final event.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2

__all__ = ["EventType", "is_command_event", "next_task_end"]

# The event type numbers as plain attributes: protobuf's enum wrapper resolves each attribute
# through __getattr__, which shows in replay profiles.
EventType: Any = SimpleNamespace(**dict(event_type_pb2.EventType.items()))

HistoryEvent = history_pb2.HistoryEvent


_COMMAND_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
        EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
)

FINAL_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)

_NOT_A_TASK_END = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    }
)


# Events of workflow tasks themselves; any other event makes a task more than a heartbeat.
_TASK_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    }
)
# The first task's started event (index 2): its heartbeats go on though the run's start came
# before them.
_FIRST_TASK_STARTED = 2


def is_command_event(event: HistoryEvent) -> bool:
    """Whether the event records a command a workflow task completed with."""
    return event.event_type in _COMMAND_EVENTS


def next_task_end(events: list[HistoryEvent], start: int) -> int | None:
    """Index of the last event of the workflow task whose events begin at ``start``.

    None when the events run out before the task ends (the caller has the whole remainder).
    """
    saw_other_event = False
    count = len(events)
    for index in range(start, count):
        event = events[index]
        kind = event.event_type
        if kind not in _TASK_EVENTS:
            saw_other_event = True
        if kind in FINAL_EVENTS:
            return index
        if kind != EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            continue
        if index + 1 < count:
            following = events[index + 1].event_type
            if following in _NOT_A_TASK_END:
                continue
            if (
                following == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                and index + 2 < count
                and (not saw_other_event or index <= _FIRST_TASK_STARTED)
                and events[index + 2].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
            ):
                # A workflow-task heartbeat (a task that brought nothing new and answered with
                # no command): the task goes on. A task that brought an event (a resolution,
                # a signal) ends even without commands, as in Core: its jobs get their own
                # activation, before whatever the next task brings (an update, say).
                continue
            return index
        return index
    return None
