"""What the pytest plugin prints about a failed test's workflows, instead of a bare timeout.

For each workflow run the test made: its type, whether it is still running or how it closed, how
many events it has, the last few of them, and the last failure its history holds (a failed
workflow task, such as a nondeterminism error or an exception in workflow code, a failed
activity, or the workflow's own failure).
"""

from __future__ import annotations

from collections.abc import Sequence

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.client import WorkflowHistory

__all__ = ["summarize"]

_LAST_EVENTS = 6
_FAILURE_FIELDS = (
    "workflow_task_failed_event_attributes",
    "activity_task_failed_event_attributes",
    "activity_task_timed_out_event_attributes",
    "workflow_execution_failed_event_attributes",
    "child_workflow_execution_failed_event_attributes",
)
_CLOSED = {
    "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED": "completed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED": "failed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED": "cancelled",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED": "terminated",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT": "timed out",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW": "continued as new",
}


def summarize(histories: Sequence[WorkflowHistory]) -> str:
    """A readable summary of the runs, one block per run."""
    if not histories:
        return "no workflow ran in this test"
    return "\n\n".join(_summarize_one(history) for history in histories)


def _name(event: HistoryEvent) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


def _summarize_one(history: WorkflowHistory) -> str:
    events = list(history.events)
    if not events:
        return f"workflow {history.workflow_id!r}: no events"
    started = events[0].workflow_execution_started_event_attributes
    status = _CLOSED.get(EventType.Name(events[-1].event_type), "still running")
    lines = [
        f"workflow {history.workflow_id!r} ({started.workflow_type.name}, task queue "
        f"{started.task_queue.name!r}): {status}, {len(events)} events",
    ]
    if status == "still running":
        lines.append(_why_waiting(events))
    shown = events[-_LAST_EVENTS:]
    skipped = len(events) - len(shown)
    lines.append(
        "  last events: "
        + ("... " if skipped else "")
        + ", ".join(f"{event.event_id} {_name(event)}" for event in shown)
    )
    failure = _last_failure(events)
    if failure:
        lines.append(f"  last failure: {failure}")
    return "\n".join(lines)


def _why_waiting(events: Sequence[HistoryEvent]) -> str:
    last = _name(events[-1])
    if last == "WORKFLOW_TASK_SCHEDULED":
        return (
            "  waiting for a worker to pick up its workflow task (is a worker polling its queue?)"
        )
    if last == "WORKFLOW_TASK_FAILED":
        return "  its workflow task keeps failing (see the last failure)"
    return f"  waiting after {last}"


def _last_failure(events: Sequence[HistoryEvent]) -> str:
    for event in reversed(events):
        for field in _FAILURE_FIELDS:
            if event.HasField(field):
                failure = getattr(event, field).failure
                text = failure.message
                if failure.stack_trace:
                    text += "\n    " + failure.stack_trace.strip().replace("\n", "\n    ")
                return f"{_name(event)} (event {event.event_id}): {text}"
    return ""
