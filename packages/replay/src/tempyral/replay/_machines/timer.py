"""The timer state machine: start, fire, or cancel (cancelled before it was sent, it vanishes)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.replay._errors import SourceLocation
from tempyral.replay._jobs import FireTimer, Job
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["TimerMachine"]


class S(Enum):
    CREATED = 0
    START_COMMAND_CREATED = 1
    START_COMMAND_RECORDED = 2
    FIRED = 3
    CANCEL_COMMAND_CREATED = 4
    CANCELED = 5


class TimerMachine(Machine):
    kind = "timer"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.FIRED, S.CANCELED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.START_COMMAND_CREATED,
        (S.START_COMMAND_CREATED, "timer_started"): S.START_COMMAND_RECORDED,
        (S.START_COMMAND_CREATED, "cancel"): S.CANCELED,
        (S.START_COMMAND_RECORDED, "timer_fired"): S.FIRED,
        (S.START_COMMAND_RECORDED, "cancel"): S.CANCEL_COMMAND_CREATED,
        (S.CANCEL_COMMAND_CREATED, "timer_canceled"): S.CANCELED,
        # Fired in this task and cancelled by code that ran before the fire was delivered.
        (S.FIRED, "cancel"): S.FIRED,
    }

    def __init__(self, seq: int, command: Command, source: SourceLocation | None) -> None:
        super().__init__(seq, source)
        self.command = command
        self.fire("schedule")

    def request_cancel(self) -> list[Job]:
        return self.fire("cancel") if self.can_fire("cancel") else []

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        if command.command_type != CommandType.COMMAND_TYPE_START_TIMER:
            return
        recorded = require(event, "timer_started_event_attributes").timer_id
        expected = command.start_timer_command_attributes.timer_id
        if recorded != expected:
            raise self.mismatch(
                f"timer id {recorded!r} in history, {expected!r} in the code"
                " (timers are numbered in the order the code starts them)",
                event,
                command,
            )

    def on_timer_fired(self, event: HistoryEvent | None) -> list[Job]:
        return [FireTimer(self.seq)]

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.START_COMMAND_CREATED:
            self.cancelled_before_sent = True
        elif self.state is S.START_COMMAND_RECORDED:
            self.issue(
                command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_CANCEL_TIMER,
                    cancel_timer_command_attributes=command_pb2.CancelTimerCommandAttributes(
                        timer_id=self.command.start_timer_command_attributes.timer_id
                    ),
                )
            )
        return []

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "timer_fired": on_timer_fired,
        "cancel": on_cancel,
    }
