"""Workflow histories: loading them (JSON or protos) and cutting them into workflow tasks.

:py:class:`WorkflowHistory` mirrors ``temporalio.client.WorkflowHistory``. ``from_json`` reads what
``temporal workflow show --output json`` prints and what the official SDK's
``WorkflowHistory.to_json()`` writes (both are protobuf JSON of
``temporal.api.history.v1.History``), plus the older PascalCase enum spelling some tools write.

:py:func:`next_task_end` says where the next workflow task ends, with the rules the official Core
SDK uses: a task ends at a ``WorkflowTaskStarted`` that is not followed by a failed or timed-out
task and is not a workflow-task heartbeat, or at the workflow's final event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from google.protobuf import json_format

from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay._errors import CorruptHistoryError

__all__ = ["EventType", "WorkflowHistory", "is_command_event", "next_task_end"]

# The event type numbers as plain attributes: protobuf's enum wrapper resolves each attribute
# through __getattr__, which shows in replay profiles.
EventType: Any = SimpleNamespace(**dict(event_type_pb2.EventType.items()))

HistoryEvent = history_pb2.HistoryEvent


@dataclass(frozen=True)
class WorkflowHistory:
    """A workflow's id and its history events, as the ``Replayer`` takes them."""

    workflow_id: str
    events: list[HistoryEvent] = field(default_factory=list)

    @staticmethod
    def from_json(workflow_id: str, history: str | bytes | Mapping[str, Any]) -> WorkflowHistory:
        """Parse a history from JSON (a string, bytes, or the already-decoded dict).

        The argument order is the official SDK's: the workflow id (histories do not carry it),
        then the JSON.
        """
        data: Any = json.loads(history) if isinstance(history, (str, bytes)) else dict(history)
        if isinstance(data, list):
            data = {"events": data}
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise CorruptHistoryError("history JSON must be an object with an 'events' list")
        _fix_enum_spelling(data)
        proto = history_pb2.History()
        try:
            json_format.ParseDict(data, proto, ignore_unknown_fields=True)
        except json_format.ParseError as err:
            raise CorruptHistoryError(f"history JSON does not parse as a History: {err}") from err
        return WorkflowHistory.from_proto(workflow_id, proto)

    @staticmethod
    def from_proto(
        workflow_id: str, history: history_pb2.History | Iterable[HistoryEvent]
    ) -> WorkflowHistory:
        """A history from a ``History`` proto or events (e.g. pages fetched from a server)."""
        events = list(history.events if isinstance(history, history_pb2.History) else history)
        return WorkflowHistory(workflow_id, events)

    def to_json(self) -> str:
        """Protobuf JSON, in the shape ``from_json`` and the official SDK read."""
        proto = history_pb2.History(events=self.events)
        return json_format.MessageToJson(proto)

    def to_proto(self) -> history_pb2.History:
        return history_pb2.History(events=self.events)


_PASCAL_ENUM_FIELDS = {
    "eventType": "EVENT_TYPE_",
    "kind": "TASK_QUEUE_KIND_",
    "parentClosePolicy": "PARENT_CLOSE_POLICY_",
    "workflowIdReusePolicy": "WORKFLOW_ID_REUSE_POLICY_",
    "retryState": "RETRY_STATE_",
    "timeoutType": "TIMEOUT_TYPE_",
    "initiator": "CONTINUE_AS_NEW_INITIATOR_",
    "cause": "",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _fix_enum_spelling(node: Any) -> None:
    """Turn PascalCase enum values (``WorkflowExecutionStarted``) into proto names, in place."""
    if isinstance(node, list):
        for item in node:
            _fix_enum_spelling(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        prefix = _PASCAL_ENUM_FIELDS.get(key)
        if prefix and isinstance(value, str) and value and not value.isupper() and "_" not in value:
            node[key] = prefix + _CAMEL.sub("_", value).upper()
        else:
            _fix_enum_spelling(value)


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


def is_command_event(event: HistoryEvent) -> bool:
    """Whether the event records a command a workflow task completed with."""
    return event.event_type in _COMMAND_EVENTS


def next_task_end(events: list[HistoryEvent], start: int) -> int | None:
    """Index of the last event of the workflow task whose events begin at ``start``.

    None when the events run out before the task ends (the caller has the whole remainder).
    """
    saw_command = False
    count = len(events)
    for index in range(start, count):
        event = events[index]
        kind = event.event_type
        if kind in _COMMAND_EVENTS:
            saw_command = True
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
                and not saw_command
                and events[index + 2].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
            ):
                continue  # a workflow-task heartbeat: the task goes on
            return index
        return index
    return None
