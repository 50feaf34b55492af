"""What a running activity knows about itself: :py:class:`Info` and cancellation details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tempyral.common import Priority, RetryPolicy

__all__ = ["ActivityCancellationDetails", "Info"]


@dataclass(frozen=True)
class Info:
    """Information about the running activity.

    Retrieved inside an activity via :py:func:`tempyral.activity.info`.

    .. warning::
        Do not construct this class directly outside of tests; new required fields may be
        added in future versions.
    """

    activity_id: str
    activity_type: str
    attempt: int
    current_attempt_scheduled_time: datetime
    heartbeat_details: Sequence[Any]
    heartbeat_timeout: timedelta | None
    is_local: bool
    namespace: str
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime
    start_to_close_timeout: timedelta | None
    started_time: datetime
    task_queue: str
    task_token: bytes
    workflow_id: str | None
    """ID of the workflow. None if the activity was not started by a workflow."""
    workflow_namespace: str | None
    """Namespace of the workflow. None if the activity was not started by a workflow.

    .. deprecated::
        Use :py:attr:`namespace` instead.
    """
    workflow_run_id: str | None
    """Run ID of the workflow. None if the activity was not started by a workflow."""
    workflow_type: str | None
    """Type of the workflow. None if the activity was not started by a workflow."""
    priority: Priority
    retry_policy: RetryPolicy | None
    """The retry policy of this activity, as the server holds it (it may differ from the one
    the activity was scheduled with). None when the server did not send one.
    """

    activity_run_id: str | None = None
    """Run ID of this activity. None for workflow activities."""

    @property
    def in_workflow(self) -> bool:
        """Was this activity started by a workflow?"""
        return self.workflow_id is not None

    def _logger_details(self) -> Mapping[str, Any]:
        return {
            "activity_id": self.activity_id,
            "activity_type": self.activity_type,
            "attempt": self.attempt,
            "namespace": self.namespace,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_run_id": self.workflow_run_id,
            "workflow_type": self.workflow_type,
        }


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why the activity was cancelled. Set once and never changed afterwards."""

    not_found: bool = False
    cancel_requested: bool = False
    paused: bool = False
    reset: bool = False
    timed_out: bool = False
    worker_shutdown: bool = False
