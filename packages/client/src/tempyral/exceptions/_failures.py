"""The failures that travel between workers, the server and clients.

Each class here is the Python face of one ``Failure`` proto variant (``application_failure_info``,
``timeout_failure_info``, ...); ``tempyral.converter.DefaultFailureConverter`` maps them both ways.
The enum values are the server's, so an enum member converts to and from the proto by ``int``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from enum import IntEnum
from typing import Any

from tempyral.api.enums.v1 import common_pb2 as _common_enums
from tempyral.api.enums.v1 import workflow_pb2 as _workflow_enums
from tempyral.exceptions._base import FailureError

__all__ = [
    "ActivityError",
    "ApplicationError",
    "ApplicationErrorCategory",
    "CancelledError",
    "ChildWorkflowError",
    "NexusOperationError",
    "RetryState",
    "ServerError",
    "TerminatedError",
    "TimeoutError",
    "TimeoutType",
    "is_cancelled_exception",
]


class ApplicationErrorCategory(IntEnum):
    """Severity category of an application error; drives client-side logging and metrics."""

    UNSPECIFIED = int(_common_enums.APPLICATION_ERROR_CATEGORY_UNSPECIFIED)

    BENIGN = int(_common_enums.APPLICATION_ERROR_CATEGORY_BENIGN)
    """BENIGN category errors emit DEBUG level logs and do not record metrics."""


class ApplicationError(FailureError):
    """Error raised during workflow/activity execution, carrying user-defined details."""

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: timedelta | None = None,
        category: ApplicationErrorCategory = ApplicationErrorCategory.UNSPECIFIED,
    ) -> None:
        """Initialize an application error."""
        # str(error) shows the type first, so logs say which kind of failure this was.
        super().__init__(message, exc_args=(f"{type}: {message}" if type else message,))
        self._details = details
        self._type = type
        self._non_retryable = non_retryable
        self._next_retry_delay = next_retry_delay
        self._category = category

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details on the error."""
        return self._details

    @property
    def type(self) -> str | None:
        """General error type."""
        return self._type

    @property
    def non_retryable(self) -> bool:
        """Whether the error was marked non-retryable when created.

        This is not whether a retry policy makes it non-retryable, only the flag set by the user.
        """
        return self._non_retryable

    @property
    def next_retry_delay(self) -> timedelta | None:
        """Delay before the next activity retry attempt, if the activity asked for one."""
        return self._next_retry_delay

    @property
    def category(self) -> ApplicationErrorCategory:
        """Severity category of the application error."""
        return self._category


class CancelledError(FailureError):
    """Error raised on workflow/activity cancellation."""

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        """Initialize a cancelled error."""
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details on the error."""
        return self._details


class TerminatedError(FailureError):
    """Error raised on workflow termination."""

    def __init__(self, message: str, *details: Any) -> None:
        """Initialize a terminated error."""
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details on the error."""
        return self._details


class TimeoutType(IntEnum):
    """Type of timeout for :py:class:`TimeoutError`."""

    START_TO_CLOSE = int(_workflow_enums.TIMEOUT_TYPE_START_TO_CLOSE)
    SCHEDULE_TO_START = int(_workflow_enums.TIMEOUT_TYPE_SCHEDULE_TO_START)
    SCHEDULE_TO_CLOSE = int(_workflow_enums.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE)
    HEARTBEAT = int(_workflow_enums.TIMEOUT_TYPE_HEARTBEAT)


class TimeoutError(FailureError):
    """Error raised on workflow/activity timeout."""

    def __init__(
        self,
        message: str,
        *,
        type: TimeoutType | None,
        last_heartbeat_details: Sequence[Any],
    ) -> None:
        """Initialize a timeout error."""
        super().__init__(message)
        self._type = type
        self._last_heartbeat_details = last_heartbeat_details

    @property
    def type(self) -> TimeoutType | None:
        """Type of timeout error."""
        return self._type

    @property
    def last_heartbeat_details(self) -> Sequence[Any]:
        """Last heartbeat details if this is for an activity heartbeat."""
        return self._last_heartbeat_details


class ServerError(FailureError):
    """Error originating in the Temporal server."""

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        """Initialize a server error."""
        super().__init__(message)
        self._non_retryable = non_retryable

    @property
    def non_retryable(self) -> bool:
        """Whether this error is non-retryable."""
        return self._non_retryable


class RetryState(IntEnum):
    """Current retry state of the workflow/activity during error."""

    IN_PROGRESS = int(_workflow_enums.RETRY_STATE_IN_PROGRESS)
    NON_RETRYABLE_FAILURE = int(_workflow_enums.RETRY_STATE_NON_RETRYABLE_FAILURE)
    TIMEOUT = int(_workflow_enums.RETRY_STATE_TIMEOUT)
    MAXIMUM_ATTEMPTS_REACHED = int(_workflow_enums.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED)
    RETRY_POLICY_NOT_SET = int(_workflow_enums.RETRY_STATE_RETRY_POLICY_NOT_SET)
    INTERNAL_SERVER_ERROR = int(_workflow_enums.RETRY_STATE_INTERNAL_SERVER_ERROR)
    CANCEL_REQUESTED = int(_workflow_enums.RETRY_STATE_CANCEL_REQUESTED)


class ActivityError(FailureError):
    """Error raised on activity failure; the activity's own error is the ``__cause__``."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        activity_type: str,
        activity_id: str,
        retry_state: RetryState | None,
    ) -> None:
        """Initialize an activity error."""
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._started_event_id = started_event_id
        self._identity = identity
        self._activity_type = activity_type
        self._activity_id = activity_id
        self._retry_state = retry_state

    @property
    def scheduled_event_id(self) -> int:
        """Scheduled event ID for this error."""
        return self._scheduled_event_id

    @property
    def started_event_id(self) -> int:
        """Started event ID for this error."""
        return self._started_event_id

    @property
    def identity(self) -> str:
        """Identity for this error."""
        return self._identity

    @property
    def activity_type(self) -> str:
        """Activity type for this error."""
        return self._activity_type

    @property
    def activity_id(self) -> str:
        """Activity ID for this error."""
        return self._activity_id

    @property
    def retry_state(self) -> RetryState | None:
        """Retry state for this error."""
        return self._retry_state


class ChildWorkflowError(FailureError):
    """Error raised on child workflow failure; the child's own error is the ``__cause__``."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int,
        started_event_id: int,
        retry_state: RetryState | None,
    ) -> None:
        """Initialize a child workflow error."""
        super().__init__(message)
        self._namespace = namespace
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._workflow_type = workflow_type
        self._initiated_event_id = initiated_event_id
        self._started_event_id = started_event_id
        self._retry_state = retry_state

    @property
    def namespace(self) -> str:
        """Namespace for this error."""
        return self._namespace

    @property
    def workflow_id(self) -> str:
        """Workflow ID for this error."""
        return self._workflow_id

    @property
    def run_id(self) -> str:
        """Run ID for this error."""
        return self._run_id

    @property
    def workflow_type(self) -> str:
        """Workflow type for this error."""
        return self._workflow_type

    @property
    def initiated_event_id(self) -> int:
        """Initiated event ID for this error."""
        return self._initiated_event_id

    @property
    def started_event_id(self) -> int:
        """Started event ID for this error."""
        return self._started_event_id

    @property
    def retry_state(self) -> RetryState | None:
        """Retry state for this error."""
        return self._retry_state


class NexusOperationError(FailureError):
    """Error raised on Nexus operation failure inside a workflow."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        endpoint: str,
        service: str,
        operation: str,
        operation_token: str,
    ) -> None:
        """Initialize a Nexus operation error.

        Args:
            message: The error message.
            scheduled_event_id: The NexusOperationScheduled event ID for the failed operation.
            endpoint: The endpoint name for the failed operation.
            service: The service name for the failed operation.
            operation: The name of the failed operation.
            operation_token: The operation token returned by the failed operation.
        """
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._endpoint = endpoint
        self._service = service
        self._operation = operation
        self._operation_token = operation_token

    @property
    def scheduled_event_id(self) -> int:
        """The NexusOperationScheduled event ID for the failed operation."""
        return self._scheduled_event_id

    @property
    def endpoint(self) -> str:
        """The endpoint name for the failed operation."""
        return self._endpoint

    @property
    def service(self) -> str:
        """The service name for the failed operation."""
        return self._service

    @property
    def operation(self) -> str:
        """The name of the failed operation."""
        return self._operation

    @property
    def operation_token(self) -> str:
        """The operation token returned by the failed operation."""
        return self._operation_token


def is_cancelled_exception(exception: BaseException) -> bool:
    """Whether Temporal considers the exception a cancellation.

    True for :py:class:`asyncio.CancelledError` and :py:class:`CancelledError`, and for an
    :py:class:`ActivityError`, :py:class:`ChildWorkflowError` or :py:class:`NexusOperationError`
    whose cause is a :py:class:`CancelledError`. Typically used in an ``except`` clause inside a
    workflow to tell a cancel from a failure.
    """
    if isinstance(exception, (asyncio.CancelledError, CancelledError)):
        return True
    return isinstance(
        exception, (ActivityError, ChildWorkflowError, NexusOperationError)
    ) and isinstance(exception.cause, CancelledError)
