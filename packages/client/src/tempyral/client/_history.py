"""Workflow histories as values: :py:class:`WorkflowHistory` and its JSON forms.

``WorkflowHistory.from_json`` reads the protobuf JSON of ``temporal.api.history.v1.History`` as
written by ``temporal workflow show --output json``, the Temporal UI's download and the official
SDK's ``WorkflowHistory.to_json()``. Older tools spelled enum values in PascalCase without their
prefix (``"eventType": "WorkflowExecutionStarted"`` instead of
``"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"``); those are rewritten before parsing. Which fields are
enums, and their prefixes, come from the message descriptors, so every enum field is covered, not
a hand-kept list.

This module has no I/O: the replayer (tempyral-replay) uses it to load histories.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.api.history.v1.message_pb2 import History, HistoryEvent

__all__ = [
    "WorkflowHistory",
    "WorkflowHistoryEventFilterType",
    "_history_from_json",
    "_pascal_case_match",
]

_EVENT_TYPE_NAMES = frozenset(event_type_pb2.EventType.keys())
_EVENT_TYPE_NUMBERS = frozenset(int(n) for n in event_type_pb2.EventType.values())

# A run of capitals starts a new word: "WorkflowExecutionStarted" -> "_Workflow_Execution_Started".
_pascal_case_match = re.compile("([A-Z]+)")


class WorkflowHistoryEventFilterType(IntEnum):
    """Which history events to fetch (``HistoryEventFilterType``)."""

    ALL_EVENT = int(workflow_enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
    CLOSE_EVENT = int(workflow_enums.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)


@dataclass(frozen=True)
class WorkflowHistory:
    """A workflow's id and its (immutable) history events."""

    workflow_id: str
    """ID of the workflow."""

    events: Sequence[HistoryEvent]
    """History events, oldest first."""

    @property
    def run_id(self) -> str:
        """Run id of the history's first run (from the first event).

        Raises:
            RuntimeError: The history is empty or does not start with WorkflowExecutionStarted.
        """
        if not self.events:
            raise RuntimeError("No events")
        first = self.events[0]
        if not first.HasField("workflow_execution_started_event_attributes"):
            raise RuntimeError("First event is not workflow start")
        return first.workflow_execution_started_event_attributes.original_execution_run_id

    @staticmethod
    def from_json(workflow_id: str, history: str | bytes | Mapping[str, Any]) -> WorkflowHistory:
        """A history from its JSON text or the already-decoded dict.

        Accepts the CLI's/UI's JSON as well as :py:meth:`to_json`'s output, including the older
        PascalCase enum spelling.

        Raises:
            ValueError: The JSON is not a history (not JSON text, nested too deeply, no
                ``events`` list, an unknown event type, or fields that do not parse as history
                events); the message names the history and the offending field.
        """
        name = f"history of workflow {workflow_id!r}"
        return WorkflowHistory(workflow_id, list(_history_from_json(history, name=name).events))

    def to_json(self) -> str:
        """This history as protobuf JSON (without the workflow id)."""
        from google.protobuf import json_format  # on first use: a worker never needs it

        return json_format.MessageToJson(History(events=self.events))

    def to_json_dict(self) -> dict[str, Any]:
        """This history as a JSON-compatible dict (without the workflow id)."""
        from google.protobuf import json_format

        return json_format.MessageToDict(History(events=self.events))


def _history_from_json(
    history: str | bytes | Mapping[str, Any], *, name: str = "history"
) -> History:
    """Parse history JSON into a ``History`` proto, fixing old enum spellings first.

    Every failure is a ``ValueError`` starting with ``name``.
    """
    from google.protobuf import json_format  # on first use: a worker never reads history JSON

    try:
        return _parse(history)
    except _HistoryJSONError as err:
        raise ValueError(f"{name}: {err}") from None
    except RecursionError:
        raise ValueError(
            f"{name}: History JSON is nested too deeply to be a history; is this the right file?"
        ) from None
    except json_format.ParseError as err:
        raise ValueError(f"{name}: History JSON does not parse as history events: {err}") from err


class _HistoryJSONError(Exception):
    """What is wrong with history JSON, before the history's name is put in front."""


def _parse(history: str | bytes | Mapping[str, Any]) -> History:
    data: Any
    if isinstance(history, (str, bytes)):
        try:
            data = json.loads(history)
        except UnicodeDecodeError as err:
            raise _HistoryJSONError(
                f"History is not JSON text: byte {err.start} is not UTF-8 (a binary file?)"
            ) from None
        except json.JSONDecodeError as err:
            raise _HistoryJSONError(f"History is not valid JSON: {err}") from None
    else:
        data = copy.deepcopy(dict(history))  # fixed in place below; the caller's dict is kept
    if isinstance(data, list):  # a bare list of events, as some tools save it
        data = {"events": data}
    if not isinstance(data, dict):
        raise _HistoryJSONError(f"JSON history not a dictionary but {type(data).__name__}")
    events = data.get("events")
    if not isinstance(events, list):
        raise _HistoryJSONError("History does not have an 'events' list")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _HistoryJSONError(
                f"Event not a dictionary: events[{index}] is {type(event).__name__}"
            )
        _fix_enums(event, HistoryEvent.DESCRIPTOR)
    from google.protobuf import json_format

    parsed = json_format.ParseDict(data, History(), ignore_unknown_fields=True)
    for index, event in enumerate(events):
        _check_event_type(event, index)
    return parsed


def _check_event_type(event: dict[str, Any], index: int) -> None:
    """An unknown event type is named here: protobuf would read it as UNSPECIFIED."""
    kind = event.get("eventType", event.get("event_type"))
    where = f"events[{index}] (eventId {event.get('eventId', event.get('event_id', '?'))})"
    if kind is None:
        raise _HistoryJSONError(f"{where} has no eventType")
    if event.get("workerMayIgnore", event.get("worker_may_ignore")) is True:
        return  # the server says workers that do not know this event type may skip it
    if (isinstance(kind, str) and kind not in _EVENT_TYPE_NAMES) or (
        isinstance(kind, int) and kind not in _EVENT_TYPE_NUMBERS
    ):
        raise _HistoryJSONError(
            f"{where} has the unknown eventType {kind!r}; a newer Temporal server may have"
            " written it: upgrade tempyral, or check the file"
        )
    if not isinstance(kind, (str, int)) or isinstance(kind, bool):
        raise _HistoryJSONError(f"{where} has eventType {kind!r}, which is not an event type")


def _fix_enums(value: dict[str, Any], descriptor: Any) -> None:
    """Rewrite PascalCase enum values of ``value`` (JSON of a ``descriptor`` message) in place."""
    for key, child in value.items():
        field = _field(descriptor, key)
        if field is None:
            continue
        if field.type == FieldDescriptor.TYPE_ENUM:
            value[key] = _fix_enum_value(field.enum_type, child)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and _has_enums(field.message_type):
            for item, message in _child_messages(field, child):
                _fix_enums(item, message)


def _fix_enum_value(enum: Any, value: Any) -> Any:
    if isinstance(value, str):
        return _enum_name(enum, value)
    if isinstance(value, list):
        return [_enum_name(enum, v) if isinstance(v, str) else v for v in value]
    return value


def _child_messages(field: FieldDescriptor, child: Any) -> list[tuple[dict[str, Any], Any]]:
    """The JSON objects below a message field (one, a repeated list, or a map's values)."""
    message: Any = field.message_type
    if message.GetOptions().map_entry:
        value_field = message.fields_by_name["value"]
        if value_field.type != FieldDescriptor.TYPE_MESSAGE or not isinstance(child, dict):
            return []
        message, items = value_field.message_type, list(child.values())
    else:
        items = child if isinstance(child, list) else [child]
    return [(item, message) for item in items if isinstance(item, dict)]


def _field(descriptor: Descriptor, key: str) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(key)
    if field is None:
        field = _fields_by_json_name(descriptor).get(key)
    return field


@cache
def _fields_by_json_name(descriptor: Descriptor) -> dict[str, FieldDescriptor]:
    return {field.json_name: field for field in descriptor.fields}


@cache
def _has_enums(descriptor: Any) -> bool:
    """Whether any field at any depth below this message is an enum (skips Payload & co)."""
    seen: set[str] = set()
    pending: list[Any] = [descriptor]
    while pending:
        current = pending.pop()
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        for field in current.fields:
            if field.type == FieldDescriptor.TYPE_ENUM:
                return True
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                pending.append(field.message_type)
    return False


def _enum_name(enum: EnumDescriptor, value: str) -> str:
    """The proper name of an enum value given in either spelling (unknown spellings kept)."""
    if value in enum.values_by_name:
        return value
    candidate = _enum_prefix(enum) + _pascal_case_match.sub(r"_\1", value).upper().lstrip("_")
    return candidate if candidate in enum.values_by_name else value


@cache
def _enum_prefix(enum: EnumDescriptor) -> str:
    """``EVENT_TYPE_`` for EventType: the name of the UNSPECIFIED value, without UNSPECIFIED."""
    names = [value.name for value in enum.values]
    for name in names:
        if name.endswith("_UNSPECIFIED"):
            return name[: -len("UNSPECIFIED")]
    prefix = names[0] if names else ""
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("_") + 1]
