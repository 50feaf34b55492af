"""What a stored history must be before the ``Replayer`` replays it.

A replay that checks nothing must not pass: an empty history, one that does not begin with
``WorkflowExecutionStarted``, event ids that repeat (the same event twice, or two different
events under one id), skip or go backwards, and event types this engine does not know are
refused with a :py:class:`CorruptHistoryError` naming the history and the event.

A worker's view is checked as it arrives instead (``WorkflowMachines.add_events``): pages may
overlap there, so an event seen again is skipped when it is the same and refused when it differs.
"""

from __future__ import annotations

from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.client import WorkflowHistory
from tempyral.replay._errors import CorruptHistoryError

__all__ = ["check_history"]

_KNOWN_TYPES = frozenset(int(n) for n in event_type_pb2.EventType.values()) - {
    event_type_pb2.EVENT_TYPE_UNSPECIFIED
}


# Each event type's attributes field: EVENT_TYPE_TIMER_FIRED -> timer_fired_event_attributes.
_ATTRIBUTES = {
    number: name.removeprefix("EVENT_TYPE_").lower() + "_event_attributes"
    for name, number in event_type_pb2.EventType.items()
}


def check_history(history: WorkflowHistory) -> None:
    """Raise :py:class:`CorruptHistoryError` unless ``history`` can be replayed as a whole."""
    name = f"the history of workflow {history.workflow_id!r}"
    events = list(history.events)
    if not events:
        raise CorruptHistoryError(
            f"{name} has no events: replaying it would check nothing. Export the history again"
            " (temporal workflow show --output json)"
        )
    first = events[0]
    if first.event_type != event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise CorruptHistoryError(
            f"{name} does not begin with WorkflowExecutionStarted; it may be a page or a tail of"
            " a history rather than the whole of it",
            event=first,
        )
    previous: history_pb2.HistoryEvent | None = None
    for index, event in enumerate(events):
        _check_type(name, event)
        expected = index + 1
        if event.event_id == expected:
            previous = event
            continue
        if previous is not None and event.event_id == previous.event_id:
            same = "the same event" if event == previous else "two different events"
            raise CorruptHistoryError(
                f"{name} has event id {event.event_id} twice ({same})", event=event
            )
        raise CorruptHistoryError(
            f"{name} has event id {event.event_id} at position {expected}, where event"
            f" {expected} belongs (ids must count 1, 2, 3, ... with no gap or repeat)",
            event=event,
        )


def _check_type(name: str, event: history_pb2.HistoryEvent) -> None:
    if event.event_type not in _KNOWN_TYPES:
        if event.worker_may_ignore:
            return
        raise CorruptHistoryError(
            f"{name} has event {event.event_id} of unknown type {event.event_type}; it may come"
            " from a newer Temporal server: upgrade tempyral",
            event=event,
        )
    attributes = event.WhichOneof("attributes")
    expected = _ATTRIBUTES[event.event_type]
    if attributes is not None and attributes != expected:
        raise CorruptHistoryError(
            f"{name} has event {event.event_id} whose type wants {expected} but which carries"
            f" {attributes}",
            event=event,
        )
