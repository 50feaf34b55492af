"""Policies and states users pass to or read from the client, as ``IntEnum`` s.

Each member's value is the server's proto enum value, so ``int(member)`` is what goes on the
wire and ``Enum(proto_value)`` reads it back.
"""

from __future__ import annotations

from enum import IntEnum

from tempyral.api.enums.v1 import activity_pb2 as _activity
from tempyral.api.enums.v1 import common_pb2 as _common
from tempyral.api.enums.v1 import nexus_pb2 as _nexus
from tempyral.api.enums.v1 import query_pb2 as _query
from tempyral.api.enums.v1 import workflow_pb2 as _workflow

__all__ = [
    "ActivityIDConflictPolicy",
    "ActivityIDReusePolicy",
    "HeaderCodecBehavior",
    "NexusOperationCancellationState",
    "NexusOperationExecutionStatus",
    "NexusOperationIDConflictPolicy",
    "NexusOperationIDReusePolicy",
    "PendingNexusOperationExecutionState",
    "QueryRejectCondition",
    "VersioningBehavior",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
]


class WorkflowIDReusePolicy(IntEnum):
    """How already-in-use workflow IDs are handled on start."""

    ALLOW_DUPLICATE = int(_workflow.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
    ALLOW_DUPLICATE_FAILED_ONLY = int(
        _workflow.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
    )
    REJECT_DUPLICATE = int(_workflow.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
    TERMINATE_IF_RUNNING = int(_workflow.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING)


class WorkflowIDConflictPolicy(IntEnum):
    """How already-running workflows of the same ID are handled on start."""

    UNSPECIFIED = int(_workflow.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED)
    FAIL = int(_workflow.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
    USE_EXISTING = int(_workflow.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
    TERMINATE_EXISTING = int(_workflow.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING)


class ActivityIDReusePolicy(IntEnum):
    """How already-closed activity IDs are handled on start."""

    UNSPECIFIED = int(_activity.ACTIVITY_ID_REUSE_POLICY_UNSPECIFIED)
    ALLOW_DUPLICATE = int(_activity.ACTIVITY_ID_REUSE_POLICY_ALLOW_DUPLICATE)
    ALLOW_DUPLICATE_FAILED_ONLY = int(
        _activity.ACTIVITY_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
    )
    REJECT_DUPLICATE = int(_activity.ACTIVITY_ID_REUSE_POLICY_REJECT_DUPLICATE)


class ActivityIDConflictPolicy(IntEnum):
    """How already-running activity IDs are handled on start."""

    UNSPECIFIED = int(_activity.ACTIVITY_ID_CONFLICT_POLICY_UNSPECIFIED)
    FAIL = int(_activity.ACTIVITY_ID_CONFLICT_POLICY_FAIL)
    USE_EXISTING = int(_activity.ACTIVITY_ID_CONFLICT_POLICY_USE_EXISTING)


class NexusOperationIDReusePolicy(IntEnum):
    """How already-closed Nexus operation IDs are handled on start.

    .. warning::
       This API is experimental and unstable.
    """

    UNSPECIFIED = int(_nexus.NEXUS_OPERATION_ID_REUSE_POLICY_UNSPECIFIED)
    ALLOW_DUPLICATE = int(_nexus.NEXUS_OPERATION_ID_REUSE_POLICY_ALLOW_DUPLICATE)
    ALLOW_DUPLICATE_FAILED_ONLY = int(
        _nexus.NEXUS_OPERATION_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
    )
    REJECT_DUPLICATE = int(_nexus.NEXUS_OPERATION_ID_REUSE_POLICY_REJECT_DUPLICATE)


class NexusOperationIDConflictPolicy(IntEnum):
    """How already-running Nexus operation IDs are handled on start.

    .. warning::
       This API is experimental and unstable.
    """

    UNSPECIFIED = int(_nexus.NEXUS_OPERATION_ID_CONFLICT_POLICY_UNSPECIFIED)
    FAIL = int(_nexus.NEXUS_OPERATION_ID_CONFLICT_POLICY_FAIL)
    USE_EXISTING = int(_nexus.NEXUS_OPERATION_ID_CONFLICT_POLICY_USE_EXISTING)


class NexusOperationExecutionStatus(IntEnum):
    """Status of a standalone Nexus operation execution.

    .. warning::
       This API is experimental and unstable.
    """

    UNSPECIFIED = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_UNSPECIFIED)
    RUNNING = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_RUNNING)
    COMPLETED = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_COMPLETED)
    FAILED = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_FAILED)
    CANCELED = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_CANCELED)
    TERMINATED = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_TERMINATED)
    TIMED_OUT = int(_nexus.NEXUS_OPERATION_EXECUTION_STATUS_TIMED_OUT)


class PendingNexusOperationExecutionState(IntEnum):
    """More detailed breakdown of :py:attr:`NexusOperationExecutionStatus.RUNNING`.

    .. warning::
       This API is experimental and unstable.
    """

    UNSPECIFIED = int(_common.PENDING_NEXUS_OPERATION_STATE_UNSPECIFIED)
    SCHEDULED = int(_common.PENDING_NEXUS_OPERATION_STATE_SCHEDULED)
    BACKING_OFF = int(_common.PENDING_NEXUS_OPERATION_STATE_BACKING_OFF)
    STARTED = int(_common.PENDING_NEXUS_OPERATION_STATE_STARTED)
    BLOCKED = int(_common.PENDING_NEXUS_OPERATION_STATE_BLOCKED)


class NexusOperationCancellationState(IntEnum):
    """State of a Nexus operation cancellation.

    .. warning::
       This API is experimental and unstable.
    """

    UNSPECIFIED = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_UNSPECIFIED)
    """Default value, unspecified state."""
    SCHEDULED = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_SCHEDULED)
    """Cancellation request is queued or executing."""
    BACKING_OFF = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_BACKING_OFF)
    """Cancellation request failed with a retryable error and is backing off."""
    SUCCEEDED = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_SUCCEEDED)
    """Cancellation request succeeded."""
    FAILED = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_FAILED)
    """Cancellation request failed with a non-retryable error."""
    TIMED_OUT = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_TIMED_OUT)
    """The operation exceeded its schedule-to-close timeout."""
    BLOCKED = int(_common.NEXUS_OPERATION_CANCELLATION_STATE_BLOCKED)
    """Cancellation request is blocked, for example by a circuit breaker."""


class QueryRejectCondition(IntEnum):
    """Whether a query should be rejected in certain conditions."""

    NONE = int(_query.QUERY_REJECT_CONDITION_NONE)
    NOT_OPEN = int(_query.QUERY_REJECT_CONDITION_NOT_OPEN)
    NOT_COMPLETED_CLEANLY = int(_query.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY)


class VersioningBehavior(IntEnum):
    """Specifies when a workflow might move from a worker of one build ID to another."""

    UNSPECIFIED = int(_workflow.VERSIONING_BEHAVIOR_UNSPECIFIED)
    """Unspecified; workers that opt into worker versioning must choose a behavior."""
    PINNED = int(_workflow.VERSIONING_BEHAVIOR_PINNED)
    """The workflow stays on the current build ID unless manually moved."""
    AUTO_UPGRADE = int(_workflow.VERSIONING_BEHAVIOR_AUTO_UPGRADE)
    """The workflow moves to the latest version when its next task is dispatched."""


class HeaderCodecBehavior(IntEnum):
    """Which headers the payload codec encodes and decodes."""

    NO_CODEC = 1
    """Don't encode or decode any headers automatically."""
    CODEC = 2
    """Encode and decode all headers automatically."""
    WORKFLOW_ONLY_CODEC = 3
    """Only encode and decode headers in workflow activations."""
