"""Options as values: the ``**kwargs`` dictionaries of activity and child workflow calls, and
the versioning enums some calls take."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import Enum, IntEnum
from typing import Any, TypedDict

from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDReusePolicy,
)
from tempyral.workflow._activities import ActivityCancellationType
from tempyral.workflow._children import ChildWorkflowCancellationType, ParentClosePolicy

__all__ = [
    "ActivityConfig",
    "ChildWorkflowConfig",
    "ContinueAsNewVersioningBehavior",
    "LocalActivityConfig",
    "VersioningIntent",
]

_CAN = workflow_enums.ContinueAsNewVersioningBehavior


class VersioningIntent(Enum):
    """Whether a command should run on a worker of a compatible Build ID (``COMPATIBLE``) or on
    the target task queue's default Build ID (``DEFAULT``).

    .. deprecated:: Build-ID based versioning is superseded by Worker Deployment versioning.
    """

    COMPATIBLE = 1
    DEFAULT = 2


class ContinueAsNewVersioningBehavior(IntEnum):
    """Which versioning behavior the first task of a continued-as-new run uses
    (``continue_as_new(initial_versioning_behavior=...)``); experimental."""

    UNSPECIFIED = int(_CAN.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_UNSPECIFIED)
    """Inherit as continue-as-new does by default."""
    AUTO_UPGRADE = int(_CAN.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_AUTO_UPGRADE)
    """Start on the task queue's target version, as an auto-upgrade workflow would."""
    USE_RAMPING_VERSION = int(_CAN.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_USE_RAMPING_VERSION)
    """Start on the task queue's ramping version (the current one when none ramps)."""


class ActivityConfig(TypedDict, total=False):
    """Keyword options of :py:func:`start_activity` / :py:func:`execute_activity`, as a dict."""

    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    versioning_intent: VersioningIntent | None
    summary: str | None
    event_groups: Sequence[Any] | None
    priority: Priority


class LocalActivityConfig(TypedDict, total=False):
    """Keyword options of :py:func:`start_local_activity` / :py:func:`execute_local_activity`."""

    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    local_retry_threshold: timedelta | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    summary: str | None
    event_groups: Sequence[Any] | None


class ChildWorkflowConfig(TypedDict, total=False):
    """Keyword options of :py:func:`start_child_workflow` / :py:func:`execute_child_workflow`."""

    id: str | None
    task_queue: str | None
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: SearchAttributes | TypedSearchAttributes | None
    versioning_intent: VersioningIntent | None
    versioning_override: VersioningOverride | None
    static_summary: str | None
    static_details: str | None
    event_groups: Sequence[Any] | None
    priority: Priority
