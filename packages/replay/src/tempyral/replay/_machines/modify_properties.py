"""The modify-workflow-properties state machine (memo upserts): the command, then its event.

Nothing resolves in workflow code: ``upsert_memo`` took effect locally when the code asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.replay._errors import SourceLocation
from tempyral.replay._machines._base import Command, Handler, Machine

__all__ = ["ModifyPropertiesMachine"]


class S(Enum):
    CREATED = 0
    COMMAND_ISSUED = 1
    DONE = 2


class ModifyPropertiesMachine(Machine):
    kind = "modify workflow properties"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.DONE})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.COMMAND_ISSUED,
        (S.COMMAND_ISSUED, "workflow_properties_modified"): S.DONE,
    }

    def __init__(self, seq: int, command: Command, source: SourceLocation | None) -> None:
        super().__init__(seq, source)
        self.command = command
        self.fire("schedule")

    HANDLERS: ClassVar[Mapping[str, Handler]] = {}
