"""The upsert-search-attributes state machine: the command, then its recorded event.

Nothing resolves in workflow code: the upsert took effect locally when the code asked. The
command is also issued by the engine itself after a patch (the ``TemporalChangeVersion``
attribute, see ``_patches``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.replay._errors import SourceLocation
from tempyral.replay._machines._base import Command, Handler, Machine

__all__ = ["UpsertSearchAttributesMachine", "upsert_search_attributes_command"]


class S(Enum):
    CREATED = 0
    COMMAND_ISSUED = 1
    DONE = 2


def upsert_search_attributes_command(fields: Mapping[str, common_pb2.Payload]) -> Command:
    return command_pb2.Command(
        command_type=CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsert_workflow_search_attributes_command_attributes=(
            command_pb2.UpsertWorkflowSearchAttributesCommandAttributes(
                search_attributes=common_pb2.SearchAttributes(indexed_fields=dict(fields))
            )
        ),
    )


class UpsertSearchAttributesMachine(Machine):
    kind = "upsert search attributes"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.DONE})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.COMMAND_ISSUED,
        (S.COMMAND_ISSUED, "upsert_workflow_search_attributes"): S.DONE,
    }

    def __init__(
        self, seq: int, command: Command, source: SourceLocation | None, *, internal: bool = False
    ) -> None:
        super().__init__(seq, source)
        self.command = command
        self.internal = internal
        self.fire("schedule")

    HANDLERS: ClassVar[Mapping[str, Handler]] = {}
