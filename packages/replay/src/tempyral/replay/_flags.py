"""SDK flags: numbered behaviour changes recorded in ``WorkflowTaskCompleted.sdk_metadata``.

Flags are append-only. A flag found in history says the code that wrote it behaved the new way, so
replay must too; a new (not replayed) task may use every flag this engine implements, and records
the ones it has not recorded before. Core flags are the official Core SDK's (shared by the
TypeScript, Python, .NET and Ruby SDKs); lang flags are the Python SDK's own.
"""

from __future__ import annotations

from enum import IntEnum

from tempyral.api.sdk.v1 import task_complete_metadata_pb2

__all__ = ["CoreFlag", "Flags", "LangFlag"]

SDK_NAME = "tempyral"


class CoreFlag(IntEnum):
    ID_AND_TYPE_DETERMINISM_CHECKS = 1
    """Replay checks activity and child workflow ids and types, not only command types."""
    UPSERT_SEARCH_ATTRIBUTE_ON_PATCH = 2
    """``patched()`` also upserts the TemporalChangeVersion search attribute."""
    MOVE_TERMINAL_COMMANDS = 3
    """Non-terminal commands issued after a terminal one are kept and moved before it."""
    IMPROVED_HEARTBEAT_HEURISTIC = 4
    """A stricter rule for collapsing workflow-task heartbeats (local activities; not used)."""


class LangFlag(IntEnum):
    RAISE_ON_CANCELLING_COMPLETED_ACTIVITY = 1
    """Cancelling an activity whose result already arrived raises instead of requesting cancel."""
    PROCESS_JOBS_AS_SINGLE_BATCH = 2
    """All jobs of an activation are applied before workflow code runs (not the default)."""


# What a new workflow task may use and will record. Flags of behaviours this engine does not
# implement are never claimed.
IMPLEMENTED_CORE = frozenset(
    {
        CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS,
        CoreFlag.UPSERT_SEARCH_ATTRIBUTE_ON_PATCH,
        CoreFlag.MOVE_TERMINAL_COMMANDS,
    }
)


_NO_FLAGS: frozenset[int] = frozenset()  # one for all runs (CPython makes each empty one anew)


class Flags:
    """The flags known from history plus the ones used since the last completed task."""

    __slots__ = (
        "_core_new",
        "_lang_new",
        "core",
        "lang",
        "last_sdk_name",
        "last_sdk_version",
        "sdk_version",
    )

    def __init__(self, sdk_version: str = "") -> None:
        # Frozen sets, replaced on the rare change, starting as one shared empty frozenset:
        # four empty sets cost every cached run 864 B.
        self.core: frozenset[int] = _NO_FLAGS
        self.lang: frozenset[int] = _NO_FLAGS
        self._core_new: frozenset[int] = _NO_FLAGS
        self._lang_new: frozenset[int] = _NO_FLAGS
        self.last_sdk_name = ""
        self.last_sdk_version = ""
        self.sdk_version = sdk_version

    def add_from_completed(
        self, metadata: task_complete_metadata_pb2.WorkflowTaskCompletedMetadata
    ) -> None:
        if metadata.core_used_flags:
            self.core = self.core.union(metadata.core_used_flags)
        if metadata.lang_used_flags:
            self.lang = self.lang.union(metadata.lang_used_flags)
        if metadata.sdk_name:
            self.last_sdk_name = metadata.sdk_name
        if metadata.sdk_version:
            self.last_sdk_version = metadata.sdk_version

    def core_enabled(self, flag: CoreFlag, *, replaying: bool) -> bool:
        """Whether a core behaviour applies; a new task turns it on and records it."""
        if flag in self.core:
            return True
        if replaying or flag not in IMPLEMENTED_CORE:
            return False
        if flag not in self._core_new:
            self._core_new = self._core_new | {flag}
        return True

    def lang_enabled(self, flag: LangFlag, *, replaying: bool, default_on: bool = True) -> bool:
        if flag in self.lang:
            return True
        if replaying or not default_on:
            return False
        if flag not in self._lang_new:
            self._lang_new = self._lang_new | {flag}
        return True

    def record_all_implemented(self) -> None:
        """A new task records every implemented core flag (as the official Core SDK does)."""
        self._core_new = self._core_new | IMPLEMENTED_CORE

    def take_metadata(self) -> task_complete_metadata_pb2.WorkflowTaskCompletedMetadata:
        """The ``sdk_metadata`` for the task being completed: flags not recorded before."""
        core_new = sorted(self._core_new - self.core)
        lang_new = sorted(self._lang_new - self.lang)
        if self._core_new:
            self.core, self._core_new = self.core | self._core_new, _NO_FLAGS
        if self._lang_new:
            self.lang, self._lang_new = self.lang | self._lang_new, _NO_FLAGS
        metadata = task_complete_metadata_pb2.WorkflowTaskCompletedMetadata(
            core_used_flags=core_new, lang_used_flags=lang_new
        )
        if self.last_sdk_name != SDK_NAME:
            metadata.sdk_name = SDK_NAME
        if self.sdk_version and self.last_sdk_version != self.sdk_version:
            metadata.sdk_version = self.sdk_version
        self.last_sdk_name, self.last_sdk_version = (
            SDK_NAME,
            self.sdk_version or self.last_sdk_version,
        )
        return metadata
