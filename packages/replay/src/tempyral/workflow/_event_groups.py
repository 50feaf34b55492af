"""Event groups: tokens that tie workflow commands (and the history events they become) to a
logical group, for UIs and observability. Experimental upstream, as here.

A group is attached to the commands of one call (the call's ``event_groups=`` option) or to every
command issued inside ``with group.scope():`` (scopes nest; tasks started inside inherit them,
as context variables do). A signal or update handler runs in a group of its own, named by the
signal's history event or the update's id, and not in the scope it was registered from.

What reaches history: each command carries ``event_group_markers`` (the implicit group of the
handler first, then the explicit groups in the order they were entered), which the server copies
onto the command's event. A cancellation carries the markers of the command it cancels. Markers
are never compared on replay: adding or removing groups is not a nondeterminism error.
"""

from __future__ import annotations

import contextvars
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import MappingProxyType

from tempyral.api.sdk.v1.event_group_marker_pb2 import EventGroupMarker
from tempyral.workflow._context import _Runtime

__all__ = [
    "EventGroup",
    "capture_event_group_markers",
    "create_event_group",
    "direct_event_groups",
    "inbound_event_group",
    "inbound_update_event_group",
]


class EventGroup(ABC):
    """A discrete token associating workflow commands, and the history events
    they produce, with a logical group for UI and observability purposes.

    Multiple Event Groups may be attached to a single command, and a single
    Event Group may be attached to multiple commands.

    Instances are created with :py:func:`create_event_group`. They may be
    attached to specific commands via the ``event_groups`` option of the API
    producing the command, or to every command produced within a block of
    workflow code via :py:meth:`scope`.

    .. warning::
        Event Groups is an experimental API and may change without notice.
    """

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Context manager attaching this Event Group to every command produced
        within it.

        Scopes nest and compose: a command produced inside an inner scope
        carries the Event Groups of all enclosing scopes. Coroutines started
        within a scope inherit it, since they capture the context active at
        their creation.

        Only usable from within a workflow.

        .. warning::
            Event Groups is an experimental API and may change without notice.
        """
        _Runtime.current()
        token = _active.set(self._entered_over(_active.get()))
        try:
            yield
        finally:
            # A coroutine suspended in the scope may be closed from another context, which is
            # being discarded anyway.
            with suppress(ValueError):
                _active.reset(token)

    @abstractmethod
    def _entered_over(self, active: _ActiveGroups) -> _ActiveGroups:
        """The active groups inside this group's scope."""

    @abstractmethod
    def _to_proto(self) -> EventGroupMarker:
        """The marker this group puts on a command."""


class _LabelEventGroup(EventGroup):
    """A group created by workflow code (``create_event_group``)."""

    def __init__(self, id: str, label: str | None) -> None:
        self._id = id
        self._label = label

    def _entered_over(self, active: _ActiveGroups) -> _ActiveGroups:
        return _ActiveGroups(active.implicit, {**active.explicit, self._id: self})

    def _to_proto(self) -> EventGroupMarker:
        label = EventGroupMarker.Label(id=self._id)
        if self._label is not None:
            # The SDK's default converter, not the user's: the official SDK encodes it so too.
            from tempyral.converter import PayloadConverter

            label.label.CopyFrom(PayloadConverter.default.to_payloads([self._label])[0])
        return EventGroupMarker(label=label)


class _ImplicitEventGroup(EventGroup):
    """The group of an inbound signal or update, around its handler."""

    def __init__(self, marker: EventGroupMarker | None) -> None:
        self._marker = marker  # None: an invalid inbound event, no marker at all

    def _entered_over(self, active: _ActiveGroups) -> _ActiveGroups:
        # Not inside the enclosing scope: a handler registered in an explicit scope must not
        # put its commands in that scope's group.
        return _ActiveGroups(self if self._marker is not None else None)

    def _to_proto(self) -> EventGroupMarker:
        assert self._marker is not None
        return self._marker


@dataclass(frozen=True)
class _ActiveGroups:
    implicit: _ImplicitEventGroup | None = None
    explicit: Mapping[str, _LabelEventGroup] = field(default_factory=lambda: MappingProxyType({}))


_NONE_ACTIVE = _ActiveGroups()
_active: contextvars.ContextVar[_ActiveGroups] = contextvars.ContextVar(
    "tempyral-event-groups", default=_NONE_ACTIVE
)


def create_event_group(id: str, *, label: str | None = None) -> EventGroup:
    """Create an Event Group that can be attached to commands scheduled by this
    workflow.

    Attach the returned group via command ``event_groups`` options, or via
    :py:meth:`EventGroup.scope`.

    Args:
        id: Non-empty group identity. Commands with the same ``id`` belong to
            the same group. The user-provided ID is stored as plain text in the
            workflow history and should therefore not contain sensitive
            information.
        label: Optional non-empty display text for the UI / CLI. If provided,
            it is persisted to history as a codec-encoded Payload.

    .. warning::
        Event Groups is an experimental API and may change without notice.
    """
    _Runtime.current()
    if not id:
        raise ValueError("Event group id cannot be empty")
    if label is not None and not label:
        raise ValueError("Event group label cannot be empty")
    return _LabelEventGroup(id, label)


def inbound_event_group(event_id: int) -> EventGroup:
    """The implicit group of a signal delivered by history event ``event_id``."""
    if event_id <= 0:
        return _ImplicitEventGroup(None)
    return _ImplicitEventGroup(
        EventGroupMarker(inbound_event=EventGroupMarker.InboundEvent(inbound_event_id=event_id))
    )


def inbound_update_event_group(update_id: str) -> EventGroup:
    """The implicit group of the update ``update_id``."""
    return _ImplicitEventGroup(
        EventGroupMarker(inbound_update=EventGroupMarker.InboundUpdate(inbound_update_id=update_id))
    )


def capture_event_group_markers(directs: Sequence[EventGroup] | None) -> list[EventGroupMarker]:
    """The markers of a command issued here with the call's own ``event_groups``."""
    active = _active.get()
    explicit = active.explicit
    if directs:
        explicit = dict(explicit)
        for group in directs:
            if not isinstance(group, _LabelEventGroup):
                raise TypeError("Event groups must be created with workflow.create_event_group()")
            explicit[group._id] = group
    markers = [group._to_proto() for group in explicit.values()]
    if active.implicit is not None:
        markers.insert(0, active.implicit._to_proto())
    return markers


@contextmanager
def direct_event_groups(groups: Sequence[EventGroup] | None) -> Iterator[None]:
    """Around one call's command: its own ``event_groups=`` on top of the active scopes."""
    if not groups:
        yield
        return
    active = _active.get()
    explicit = dict(active.explicit)
    for group in groups:
        if not isinstance(group, _LabelEventGroup):
            raise TypeError("Event groups must be created with workflow.create_event_group()")
        explicit[group._id] = group
    token = _active.set(_ActiveGroups(active.implicit, explicit))
    try:
        yield
    finally:
        with suppress(ValueError):
            _active.reset(token)
