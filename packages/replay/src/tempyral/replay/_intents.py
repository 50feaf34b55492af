"""Intents: what workflow code asked for in one activation, one small frozen record per request.

The workflow half (``_runtime`` and its collaborators) creates them, in the order the code asked;
the engine half (``_driver``) turns each into a state machine or a move of one, matching on the
record's type. They are the mirror image of the activation jobs in ``_jobs``. ``source`` is the
line of workflow code that asked, named by nondeterminism errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._local_markers import LocalActivityRequest
from tempyral.replay._machines import (
    CancellationType,
    ChildCancellationType,
    NexusCancellationType,
)

__all__ = [
    "CancelActivity",
    "CancelChild",
    "CancelExternal",
    "CancelLocalActivity",
    "CancelNexusOperation",
    "CancelSignal",
    "CancelTimer",
    "CancelWorkflowExecution",
    "CompleteWorkflow",
    "ContinueAsNew",
    "FailWorkflow",
    "Intent",
    "ModifyWorkflowProperties",
    "RespondToUpdate",
    "ScheduleActivity",
    "ScheduleLocalActivity",
    "ScheduleNexusOperation",
    "SetPatchMarker",
    "SignalExternal",
    "StartChild",
    "StartTimer",
    "TerminalIntent",
    "UpsertSearchAttributes",
]

Command = command_pb2.Command


@dataclass(frozen=True)
class StartTimer:
    seq: int
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelTimer:
    seq: int
    source: SourceLocation | None = None


@dataclass(frozen=True)
class ScheduleActivity:
    seq: int
    command: Command
    cancellation_type: CancellationType
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelActivity:
    seq: int
    source: SourceLocation | None = None


@dataclass(frozen=True)
class StartChild:
    seq: int
    command: Command
    cancellation_type: ChildCancellationType
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelChild:
    seq: int
    reason: str
    source: SourceLocation | None = None


@dataclass(frozen=True)
class SignalExternal:
    seq: int
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelSignal:
    """Cancel a signal to another workflow that was not sent yet (or not yet acknowledged)."""

    seq: int
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelExternal:
    """Request the cancellation of another workflow."""

    seq: int
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CompleteWorkflow:
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class FailWorkflow:
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelWorkflowExecution:
    """The run accepts its cancellation (the code let the cancel error escape)."""

    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class ContinueAsNew:
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class RespondToUpdate:
    """The code's answer to an update: ``accept``, ``reject`` (with ``failure``; after acceptance
    it fails the update) or ``complete`` (with ``result``)."""

    protocol_instance_id: str
    response: str
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None
    source: SourceLocation | None = None


@dataclass(frozen=True)
class SetPatchMarker:
    """``patched(patch_id)`` (or ``deprecate_patch``) returned true: record its marker."""

    patch_id: str
    deprecated: bool
    source: SourceLocation | None = None
    event_group_markers: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ScheduleLocalActivity:
    """Run an activity in this worker; its outcome is recorded as a marker."""

    seq: int
    request: LocalActivityRequest
    cancellation_type: CancellationType
    source: SourceLocation | None = None


@dataclass(frozen=True)
class UpsertSearchAttributes:
    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelLocalActivity:
    seq: int
    source: SourceLocation | None = None


@dataclass(frozen=True)
class ModifyWorkflowProperties:
    """``upsert_memo``: a modify-workflow-properties command."""

    command: Command
    source: SourceLocation | None = None


@dataclass(frozen=True)
class ScheduleNexusOperation:
    """Call a Nexus operation through an endpoint."""

    seq: int
    command: Command
    cancellation_type: NexusCancellationType
    source: SourceLocation | None = None


@dataclass(frozen=True)
class CancelNexusOperation:
    seq: int
    source: SourceLocation | None = None


# The intents that close the run: the official SDKs keep only the first (or move it last).
TerminalIntent = Union[  # noqa: UP007 (a runtime alias)
    CompleteWorkflow, FailWorkflow, CancelWorkflowExecution, ContinueAsNew
]
TERMINAL_INTENTS = (CompleteWorkflow, FailWorkflow, CancelWorkflowExecution, ContinueAsNew)

Intent = Union[  # noqa: UP007 (a runtime alias)
    StartTimer,
    CancelTimer,
    ScheduleActivity,
    CancelActivity,
    StartChild,
    CancelChild,
    SignalExternal,
    CancelSignal,
    CancelExternal,
    CompleteWorkflow,
    FailWorkflow,
    CancelWorkflowExecution,
    ContinueAsNew,
    RespondToUpdate,
    ScheduleLocalActivity,
    CancelLocalActivity,
    SetPatchMarker,
    UpsertSearchAttributes,
    ModifyWorkflowProperties,
    ScheduleNexusOperation,
    CancelNexusOperation,
]
