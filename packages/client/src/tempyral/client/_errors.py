"""Errors raised by client calls (mirrors the errors of ``temporalio.client``).

The error tree::

    TemporalError (tempyral.exceptions)
    ├── WorkflowFailureError              the workflow failed, was cancelled, terminated or timed
    │                                     out; ``cause`` is the converted failure
    ├── WorkflowContinuedAsNewError       ``result(follow_runs=False)`` met a continue-as-new
    ├── WorkflowQueryRejectedError        the query reject condition matched
    ├── WorkflowQueryFailedError          the query handler failed or does not exist
    ├── WorkflowUpdateFailedError         the update failed; ``cause`` is the converted failure
    ├── RPCTimeoutOrCancelledError        a client call ran out of time or was cancelled
    │   └── WorkflowUpdateRPCTimeoutOrCancelledError
    ├── ActivityFailureError              a standalone activity failed
    ├── NexusOperationFailureError        a standalone Nexus operation did not succeed
    ├── AsyncActivityCancelledError       a heartbeat learned the activity is cancelled
    └── ScheduleAlreadyRunningError       ``create_schedule`` with an id in use

``RPCError`` (``tempyral.service``) is raised for every other server error, and
``WorkflowAlreadyStartedError`` (``tempyral.exceptions``) when a start collides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tempyral.exceptions import TemporalError

if TYPE_CHECKING:
    from tempyral.client._list import WorkflowExecutionStatus

__all__ = [
    "ActivityCancellationDetails",
    "ActivityFailureError",
    "AsyncActivityCancelledError",
    "NexusOperationFailureError",
    "RPCTimeoutOrCancelledError",
    "ScheduleAlreadyRunningError",
    "WorkflowContinuedAsNewError",
    "WorkflowFailureError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowUpdateFailedError",
    "WorkflowUpdateRPCTimeoutOrCancelledError",
]


class WorkflowFailureError(TemporalError):
    """The workflow did not complete successfully; :py:attr:`cause` says how it ended."""

    def __init__(self, *, cause: BaseException) -> None:
        """Create a workflow failure error around its cause."""
        super().__init__("Workflow execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Cause of the workflow failure (ApplicationError, CancelledError, TerminatedError,
        TimeoutError, ...)."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowContinuedAsNewError(TemporalError):
    """The run continued as new and the caller asked not to follow runs."""

    def __init__(self, new_execution_run_id: str) -> None:
        """Create the error with the run id the workflow continued to."""
        super().__init__("Workflow continued as new")
        self._new_execution_run_id = new_execution_run_id

    @property
    def new_execution_run_id(self) -> str:
        """Run id of the new run."""
        return self._new_execution_run_id


class WorkflowQueryRejectedError(TemporalError):
    """The server rejected the query because of the query reject condition."""

    def __init__(self, status: WorkflowExecutionStatus | None) -> None:
        """Create the error with the workflow status that made the condition match."""
        super().__init__(f"Query rejected, status: {status}")
        self._status = status

    @property
    def status(self) -> WorkflowExecutionStatus | None:
        """Workflow execution status that caused the rejection."""
        return self._status


class WorkflowQueryFailedError(TemporalError):
    """The query failed in the workflow (handler raised, or no handler for that name)."""

    def __init__(self, message: str) -> None:
        """Create the error with the worker's message."""
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        """The failure message the worker returned."""
        return self._message


class WorkflowUpdateFailedError(TemporalError):
    """The update was rejected by its validator or failed in its handler."""

    def __init__(self, cause: BaseException) -> None:
        """Create the error around the converted failure."""
        super().__init__("Workflow update failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Cause of the update failure."""
        assert self.__cause__ is not None
        return self.__cause__


class RPCTimeoutOrCancelledError(TemporalError):
    """A client call timed out or was cancelled (not the operation it asked for)."""


class WorkflowUpdateRPCTimeoutOrCancelledError(RPCTimeoutOrCancelledError):
    """Waiting for an update timed out or was cancelled.

    This is about the client call only: the update itself may still complete. Get its handle
    again with :py:meth:`WorkflowHandle.get_update_handle` to keep waiting.
    """

    def __init__(self) -> None:
        """Create the error."""
        super().__init__("Timeout or cancellation waiting for update")


class ActivityFailureError(TemporalError):
    """A standalone activity did not complete successfully."""

    def __init__(self, *, cause: BaseException) -> None:
        """Create the error around its cause."""
        super().__init__("Activity execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Cause of the activity failure."""
        assert self.__cause__ is not None
        return self.__cause__


class NexusOperationFailureError(TemporalError):
    """A standalone Nexus operation failed, was cancelled, terminated or timed out.

    .. warning::
        This API is experimental and unstable.
    """

    def __init__(self, *, cause: BaseException) -> None:
        """Create the error around its cause."""
        super().__init__("Nexus operation execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the operation did not succeed (the converted failure)."""
        assert self.__cause__ is not None
        return self.__cause__


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why an activity is being cancelled (mirrors ``temporalio.activity``'s class).

    Defined here because the client reports it on heartbeats; the activity package re-exports it.
    """

    not_found: bool = False
    cancel_requested: bool = False
    paused: bool = False
    reset: bool = False
    timed_out: bool = False
    worker_shutdown: bool = False


class AsyncActivityCancelledError(TemporalError):
    """A heartbeat of an asynchronously completed activity found it cancelled, paused or reset.

    Report the cancellation with :py:meth:`AsyncActivityHandle.report_cancellation`.
    """

    def __init__(self, details: ActivityCancellationDetails | None = None) -> None:
        """Create the error with what the server said about the activity."""
        super().__init__("Activity cancelled")
        self.details = details


class ScheduleAlreadyRunningError(TemporalError):
    """A schedule with this id already exists."""

    def __init__(self) -> None:
        """Create the error."""
        super().__init__("Schedule already running")
