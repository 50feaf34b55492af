"""What every command state machine shares: a state Enum, a transition table, a handler table.

A machine is driven by triggers: the name of a history event in snake case
(``activity_task_scheduled``) or a request from workflow code (``schedule``, ``cancel``).
``TRANSITIONS`` maps ``(state, trigger)`` to the next state (a tuple when the handler chooses
between several); a pair not in the table is an illegal move, reported with the machine, its
state, the trigger and the path it took so far, and the machine stays where it was. ``HANDLERS``
maps a trigger to the ``on_<trigger>`` function that runs on that move (declared below the
handlers, so a reader and mypy follow each reference); a trigger without one only moves.
Handlers return the activation jobs the move produces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, NoReturn

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay._errors import (
    CorruptHistoryError,
    IllegalMoveError,
    NondeterminismError,
    SourceLocation,
    compact_text,
)
from tempyral.replay._flags import Flags
from tempyral.replay._jobs import Job

__all__ = ["Handler", "Machine", "QueuedCommand", "command_type_name", "trigger_of"]

HistoryEvent = history_pb2.HistoryEvent
Command = command_pb2.Command

_COMMAND_EVENT_NAMES = (
    ("SCHEDULE_ACTIVITY_TASK", "ACTIVITY_TASK_SCHEDULED"),
    ("REQUEST_CANCEL_ACTIVITY_TASK", "ACTIVITY_TASK_CANCEL_REQUESTED"),
    ("START_TIMER", "TIMER_STARTED"),
    ("CANCEL_TIMER", "TIMER_CANCELED"),
    ("COMPLETE_WORKFLOW_EXECUTION", "WORKFLOW_EXECUTION_COMPLETED"),
    ("FAIL_WORKFLOW_EXECUTION", "WORKFLOW_EXECUTION_FAILED"),
    ("CANCEL_WORKFLOW_EXECUTION", "WORKFLOW_EXECUTION_CANCELED"),
    ("CONTINUE_AS_NEW_WORKFLOW_EXECUTION", "WORKFLOW_EXECUTION_CONTINUED_AS_NEW"),
    ("START_CHILD_WORKFLOW_EXECUTION", "START_CHILD_WORKFLOW_EXECUTION_INITIATED"),
    ("SIGNAL_EXTERNAL_WORKFLOW_EXECUTION", "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED"),
    (
        "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION",
        "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    ),
    ("RECORD_MARKER", "MARKER_RECORDED"),
    ("UPSERT_WORKFLOW_SEARCH_ATTRIBUTES", "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"),
    ("MODIFY_WORKFLOW_PROPERTIES", "WORKFLOW_PROPERTIES_MODIFIED"),
    ("SCHEDULE_NEXUS_OPERATION", "NEXUS_OPERATION_SCHEDULED"),
    ("REQUEST_CANCEL_NEXUS_OPERATION", "NEXUS_OPERATION_CANCEL_REQUESTED"),
)
# Which history event records which command.
EVENT_FOR_COMMAND: Mapping[int, int] = {
    CommandType.Value(f"COMMAND_TYPE_{command}"): EventType.Value(f"EVENT_TYPE_{event}")
    for command, event in _COMMAND_EVENT_NAMES
}


_TRIGGERS = {number: name.removeprefix("EVENT_TYPE_").lower() for name, number in EventType.items()}


def trigger_of(event: HistoryEvent) -> str:
    """``EVENT_TYPE_ACTIVITY_TASK_SCHEDULED`` -> ``activity_task_scheduled``."""
    return _TRIGGERS.get(event.event_type, f"event_type_{event.event_type}")


def command_type_name(command: Command) -> str:
    return CommandType.Name(command.command_type).removeprefix("COMMAND_TYPE_")


def command_attributes_text(command: Command) -> str:
    which = command.WhichOneof("attributes")
    return compact_text(getattr(command, which)) if which else "{}"


@dataclass
class QueuedCommand:
    """A command waiting to be matched with the history event that records it.

    ``initial`` marks the command that created the machine (dropped if the machine is cancelled
    before it was sent); later ones (a cancel request) are the machine's follow-ups.
    """

    machine: Machine
    command: Command
    source: SourceLocation | None
    initial: bool = True

    @property
    def dropped(self) -> bool:
        return self.initial and self.machine.cancelled_before_sent


# An ``on_<trigger>`` function of one machine class; its first argument is that class (each
# table is declared inside the class whose functions it lists).
Handler = Callable[[Any, "HistoryEvent | None"], list[Job]]


class Machine:
    """Base of the per-command state machines (one module per machine)."""

    kind: ClassVar[str] = "machine"
    State: ClassVar[type[Enum]]
    INITIAL: ClassVar[Enum]
    FINAL: ClassVar[frozenset[Enum]] = frozenset()
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {}
    HANDLERS: ClassVar[Mapping[str, Handler]] = {}
    command: Command  # the command that created the machine

    def __init__(self, seq: int, source: SourceLocation | None) -> None:
        self.seq = seq
        self.source = source
        self.state: Enum = self.INITIAL
        self.path: list[str] = [self.INITIAL.name]
        self.cancelled_before_sent = False
        self._choice: Enum | None = None
        self.flags: Flags = Flags()  # the run's flags, set by the driver
        self.replaying = True  # whether the event being handled is replayed (set by the driver)
        self.new_commands: list[Command] = []  # issued by handlers, taken by the driver
        self.internal = False  # created by the engine itself: its jobs never reach the code

    # -- driving --------------------------------------------------------------------------
    def fire(self, trigger: str, event: HistoryEvent | None = None) -> list[Job]:
        target = self.TRANSITIONS.get((self.state, trigger))
        if target is None:
            self._illegal(trigger, event)
        handler = self.HANDLERS.get(trigger)
        self._choice = None
        jobs: list[Job] = handler(self, event) if handler is not None else []
        if isinstance(target, tuple):
            chosen = self._take_choice()
            if chosen is None or chosen not in target:
                # A defect of the machine's own table, not of history or workflow code.
                raise RuntimeError(
                    f"{self.kind} handler on_{trigger} chose no state among {target}"
                )
            target = chosen
        self.state = target
        self.path.append(f"{trigger}->{target.name}")
        return jobs

    def _take_choice(self) -> Enum | None:
        chosen, self._choice = self._choice, None
        return chosen

    def choose(self, state: Enum) -> None:
        """Called by a handler whose transition has several possible targets."""
        self._choice = state

    def issue(self, command: Command) -> None:
        self.new_commands.append(command)

    def recorded(self, event: HistoryEvent | None) -> HistoryEvent:
        """The history event behind a move that only history makes (never the code)."""
        if event is None:
            raise IllegalMoveError(
                machine=f"{self.kind} (seq {self.seq})",
                state=self.state.name,
                trigger="a history event's move without the event",
                path=self.path_text,
                command_type=command_type_name(self.command),
                source=self.source,
            )
        return event

    def can_fire(self, trigger: str) -> bool:
        return (self.state, trigger) in self.TRANSITIONS

    def request_cancel(self) -> list[Job]:
        """The workflow code asked to cancel this command (machines that allow it override)."""
        return self.fire("cancel")

    @property
    def path_text(self) -> str:
        return " / ".join(self.path)

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL

    def _illegal(self, trigger: str, event: HistoryEvent | None) -> NoReturn:
        if event is None:  # asked by the workflow code
            raise IllegalMoveError(
                machine=f"{self.kind} (seq {self.seq})",
                state=self.state.name,
                trigger=trigger,
                path=self.path_text,
                command_type=command_type_name(self.command),
                source=self.source,
            )
        reason = (
            f"the {self.kind} state machine (seq {self.seq}) in state {self.state.name} cannot take"
            f" {trigger}; its path so far: {self.path_text}"
        )
        raise NondeterminismError(
            reason,
            event=event,
            command_type=command_type_name(self.command),
            command_attributes=command_attributes_text(self.command),
            source=self.source,
            path=self.path_text,
        )

    # -- what subclasses add ------------------------------------------------------------------
    def expected_event(self, command: Command) -> int | None:
        """The history event type that records ``command`` (protocol messages depend on the id)."""
        return EVENT_FOR_COMMAND.get(command.command_type)

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        """Beyond the event type: do the ids and types match? (Overridden where they can differ.)"""

    def mismatch(self, what: str, event: HistoryEvent, command: Command) -> NondeterminismError:
        return NondeterminismError(
            what,
            event=event,
            command_type=command_type_name(command),
            command_attributes=command_attributes_text(command),
            source=self.source,
            path=self.path_text,
        )


def require(event: HistoryEvent, field: str) -> Any:
    """The event's attributes of this name, or a corrupt-history error when they are missing."""
    if not event.HasField(field):
        raise CorruptHistoryError(f"the event has no {field}", event=event)
    return getattr(event, field)
