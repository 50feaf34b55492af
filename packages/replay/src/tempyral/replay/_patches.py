"""Patch markers on the engine side: which ``patched()`` calls are true, and which markers skip.

:py:class:`PatchMarkers` is a collaborator of ``_driver.WorkflowMachines``, following the
official Core SDK's rules so that patched workflows replay old and new histories under either SDK:

- Before a task's code runs, the markers its completion recorded are looked up ahead; each
  becomes a ``NotifyHasPatch`` job, so that a replayed ``patched(id)`` returns true exactly when
  the original run recorded the marker.
- A patch call creates a marker command once per id and run; with the Core flag
  ``UPSERT_SEARCH_ATTRIBUTE_ON_PATCH`` it is followed by an engine-issued upsert of the
  ``TemporalChangeVersion`` search attribute listing every patch id this run has used.
- While matching history: a deprecated marker the code no longer asks for is skipped (with the
  ``TemporalChangeVersion`` upsert after it); a patch command history has no marker for is
  dropped; a non-deprecated marker the code does not ask for is nondeterminism.
"""

from __future__ import annotations

import json
import warnings
from collections import deque
from collections.abc import Sequence

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay._errors import NondeterminismError, SourceLocation
from tempyral.replay._flags import CoreFlag, Flags
from tempyral.replay._jobs import NotifyHasPatch
from tempyral.replay._machines._base import (
    Command,
    HistoryEvent,
    Machine,
    QueuedCommand,
    command_attributes_text,
    command_type_name,
)
from tempyral.replay._machines.patch import PatchMachine, patch_marker_details
from tempyral.replay._machines.upsert_search_attributes import (
    UpsertSearchAttributesMachine,
    upsert_search_attributes_command,
)

__all__ = ["CHANGE_VERSION_ATTRIBUTE", "PatchMarkers", "upsert_command_for_code"]

CHANGE_VERSION_ATTRIBUTE = "TemporalChangeVersion"
# Core skips the upsert (with a warning) when the id list would exceed this many bytes.
_MAX_ATTRIBUTE_BYTES = 2048


class PatchMarkers:
    """Patch ids seen in history or used by the code, for one run."""

    __slots__ = ("_count", "_flags", "_seen")

    def __init__(self, flags: Flags) -> None:
        self._flags = flags
        # patch id -> whether this run's code has created its marker command
        self._seen: dict[str, bool] = {}
        self._count = 0

    def look_ahead(self, events: Sequence[HistoryEvent]) -> list[NotifyHasPatch]:
        """Jobs for the patch markers among the events a task's completion recorded."""
        jobs: list[NotifyHasPatch] = []
        for event in events:
            details = patch_marker_details(event)
            if details is not None:
                self._seen[details[0]] = False
                jobs.append(NotifyHasPatch(details[0]))
        return jobs

    def machines_for(
        self, patch_id: str, deprecated: bool, source: SourceLocation | None, *, replaying: bool
    ) -> list[Machine]:
        """The marker machine (and the change-version upsert) for a patch call, or none."""
        seen = self._seen.get(patch_id)
        if seen:
            return []  # this run already created the marker
        self._count += 1
        machines: list[Machine] = [PatchMachine(-self._count, patch_id, deprecated, source)]
        flag_used = self._flags.core_enabled(
            CoreFlag.UPSERT_SEARCH_ATTRIBUTE_ON_PATCH, replaying=replaying
        )
        in_history = seen is not None
        if flag_used and (in_history or not replaying):
            used = sorted({pid for pid, created in self._seen.items() if created} | {patch_id})
            data = json.dumps(used, separators=(",", ":"), ensure_ascii=False).encode()
            if len(data) < _MAX_ATTRIBUTE_BYTES:
                payload = common_pb2.Payload(metadata={"encoding": b"json/plain"}, data=data)
                command = upsert_search_attributes_command({CHANGE_VERSION_ATTRIBUTE: payload})
                machines.append(
                    UpsertSearchAttributesMachine(-self._count, command, source, internal=True)
                )
        self._seen[patch_id] = True
        return machines

    def skips_event(
        self, queue: deque[QueuedCommand], event: HistoryEvent, following: HistoryEvent | None
    ) -> int:
        """How many events to skip from ``event`` on (0, 1 or 2); drops unmatched patch commands."""
        details = patch_marker_details(event)
        while True:
            front = next((q for q in queue if not q.dropped), None)
            machine = front.machine if front is not None else None
            patch = machine if isinstance(machine, PatchMachine) else None
            if details is None:
                if patch is None:
                    return 0
                while queue[0].machine is not patch:
                    queue.popleft()
                queue.popleft()  # history has no marker for it: the call is not in history
                continue
            patch_id, deprecated = details
            if patch is not None and (patch.patch_id == patch_id or not deprecated):
                return 0
            if deprecated:
                return 2 if _is_change_version_upsert(following) else 1
            raise NondeterminismError(
                f"history records patch marker {patch_id!r} (not deprecated), but the workflow"
                f" code did not call patched({patch_id!r}) here; a patch may only be removed"
                " after a release that calls deprecate_patch() for it has replaced every run"
                " that used the old code",
                event=event,
                command_type=command_type_name(front.command) if front else "",
                command_attributes=command_attributes_text(front.command) if front else "",
                source=front.source if front else None,
                path=front.machine.path_text if front else "",
            )


def _is_change_version_upsert(event: HistoryEvent | None) -> bool:
    if event is None or event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return False
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    return CHANGE_VERSION_ATTRIBUTE in fields.indexed_fields


def upsert_command_for_code(command: Command, flags: Flags, *, replaying: bool) -> Command:
    """The upsert the code asked for; with the patch flag, ``TemporalChangeVersion`` is the
    engine's alone (Core sends an empty upsert instead and warns, and so does this)."""
    flag_used = flags.core_enabled(CoreFlag.UPSERT_SEARCH_ATTRIBUTE_ON_PATCH, replaying=replaying)
    attributes = command.upsert_workflow_search_attributes_command_attributes
    if flag_used and CHANGE_VERSION_ATTRIBUTE in attributes.search_attributes.indexed_fields:
        warnings.warn(
            f"Upserting the {CHANGE_VERSION_ATTRIBUTE} search attribute directly from workflow"
            " code is not permitted and has no effect; patched() maintains it",
            UserWarning,
            stacklevel=2,
        )
        return upsert_search_attributes_command({})
    return command
