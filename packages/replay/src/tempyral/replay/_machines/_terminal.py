"""What the four workflow-closing machines share: one command, matched by one final event."""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

from tempyral.replay._errors import SourceLocation
from tempyral.replay._machines._base import Command, Machine

__all__ = ["TerminalMachine"]


class S(Enum):
    CREATED = 0
    COMMAND_CREATED = 1
    RECORDED = 2


class TerminalMachine(Machine):
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.RECORDED})
    EVENT: ClassVar[str]

    def __init_subclass__(cls) -> None:
        cls.TRANSITIONS = {
            (S.CREATED, "schedule"): S.COMMAND_CREATED,
            (S.COMMAND_CREATED, cls.EVENT): S.RECORDED,
        }

    def __init__(self, seq: int, command: Command, source: SourceLocation | None) -> None:
        super().__init__(seq, source)
        self.command = command
        self.fire("schedule")
