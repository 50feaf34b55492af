"""The patch (version) marker state machine, and the marker's format.

``workflow.patched(id)`` on new code records a ``core_patch`` marker whose ``patch-data`` detail
is ``{"id": ..., "deprecated": ...}`` as ``json/plain``, the format of the official Core SDK, so
either SDK replays the other's markers. The machine only checks that history recorded the same
patch id; which patch calls return true, and which markers may be skipped, is decided in
``_patches``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay._errors import SourceLocation
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine

__all__ = [
    "PATCH_MARKER_NAME",
    "PatchMachine",
    "patch_marker_command",
    "patch_marker_details",
]

PATCH_MARKER_NAME = "core_patch"
_DETAILS_KEY = "patch-data"


class S(Enum):
    CREATED = 0
    MARKER_COMMAND_CREATED = 1
    MARKER_RECORDED = 2


def _json_payload(value: object) -> common_pb2.Payload:
    # Compact JSON without ASCII escapes: the bytes serde_json writes for the same value.
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return common_pb2.Payload(metadata={"encoding": b"json/plain"}, data=data)


def patch_marker_command(patch_id: str, deprecated: bool) -> Command:
    data = _json_payload({"id": patch_id, "deprecated": deprecated})
    details = common_pb2.Payloads(payloads=[data])
    return command_pb2.Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
        record_marker_command_attributes=command_pb2.RecordMarkerCommandAttributes(
            marker_name=PATCH_MARKER_NAME, details={_DETAILS_KEY: details}
        ),
    )


def patch_marker_details(event: HistoryEvent) -> tuple[str, bool] | None:
    """``(patch id, deprecated)`` of a patch marker event; None for any other event.

    Old Core SDKs wrote ``patch_id`` and ``deprecated`` as raw bytes; both forms are read.
    """
    attrs = event.marker_recorded_event_attributes
    if (
        event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED
        or attrs.marker_name != PATCH_MARKER_NAME
    ):
        return None
    details = attrs.details
    if _DETAILS_KEY in details and details[_DETAILS_KEY].payloads:
        try:
            decoded = json.loads(details[_DETAILS_KEY].payloads[0].data)
            return str(decoded["id"]), bool(decoded.get("deprecated", False))
        except (ValueError, KeyError, TypeError):
            return None
    if "patch_id" in details and "deprecated" in details:
        ids, flags = details["patch_id"].payloads, details["deprecated"].payloads
        if not ids or not flags:
            return None
        return ids[0].data.decode(), flags[0].data[:1] not in (b"", b"\x00")
    return None


class PatchMachine(Machine):
    kind = "patch marker"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.MARKER_RECORDED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.MARKER_COMMAND_CREATED,
        (S.MARKER_COMMAND_CREATED, "marker_recorded"): S.MARKER_RECORDED,
    }

    def __init__(
        self, seq: int, patch_id: str, deprecated: bool, source: SourceLocation | None
    ) -> None:
        super().__init__(seq, source)
        self.patch_id = patch_id
        self.command = patch_marker_command(patch_id, deprecated)
        self.fire("schedule")

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        details = patch_marker_details(event)
        recorded = details[0] if details is not None else None
        if recorded != self.patch_id:
            raise self.mismatch(
                f"history records marker {recorded!r} here, the code called"
                f" patched({self.patch_id!r})"
                if recorded is not None
                else f"history records another marker here, the code called"
                f" patched({self.patch_id!r})",
                event,
                command,
            )

    HANDLERS: ClassVar[Mapping[str, Handler]] = {}
