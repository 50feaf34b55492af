"""The roots of the error tree and the errors raised when a start collides with a running one.

``FailureError`` is what crosses the wire: every subclass maps to one ``Failure`` proto variant
(see ``tempyral.converter.DefaultFailureConverter``). The ``*AlreadyStartedError`` classes are
raised by the client or a workflow on start, they never travel inside a ``Failure``.
"""

from __future__ import annotations

from typing import Any

from tempyral.api.failure.v1.message_pb2 import Failure

__all__ = [
    "ActivityAlreadyStartedError",
    "FailureError",
    "InvalidVersioningOverrideError",
    "NexusOperationAlreadyStartedError",
    "TemporalError",
    "WorkflowAlreadyStartedError",
]


class TemporalError(Exception):
    """Base for all Temporal exceptions."""

    @property
    def cause(self) -> BaseException | None:
        """Cause of the exception (the same as ``__cause__``)."""
        return self.__cause__


class FailureError(TemporalError):
    """Base for runtime failures during workflow/activity execution.

    An error decoded from a ``Failure`` keeps that proto in :py:attr:`failure`, so that passing
    the error on (for example a child workflow's failure re-raised by its parent) re-sends the
    original proto unchanged.
    """

    def __init__(
        self,
        message: str,
        *,
        failure: Failure | None = None,
        exc_args: tuple[Any, ...] | None = None,
    ) -> None:
        """Initialize a failure error."""
        super().__init__(*(exc_args if exc_args is not None else (message,)))
        self._message = message
        self._failure = failure

    @property
    def message(self) -> str:
        """Message."""
        return self._message

    @property
    def failure(self) -> Failure | None:
        """Underlying protobuf failure object, when this error was decoded from one."""
        return self._failure


class WorkflowAlreadyStartedError(FailureError):
    """Raised by a client or workflow when a workflow execution has already started.

    Attributes:
        workflow_id: ID of the already-started workflow.
        workflow_type: Workflow type name of the already-started workflow.
        run_id: Run ID of the already-started workflow if raised by the client.
        first_run_id: First execution run ID of the already-started workflow if raised by the
            client and provided by the server.
    """

    def __init__(
        self,
        workflow_id: str,
        workflow_type: str,
        *,
        run_id: str | None = None,
        first_run_id: str | None = None,
    ) -> None:
        """Initialize a workflow already started error."""
        super().__init__("Workflow execution already started")
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        self.run_id = run_id
        self.first_run_id = first_run_id


class InvalidVersioningOverrideError(FailureError):
    """Raised by a workflow when a child cannot start because its versioning override is
    invalid.
    """

    def __init__(self) -> None:
        """Initialize an invalid versioning override error."""
        super().__init__("Invalid versioning override")


class ActivityAlreadyStartedError(FailureError):
    """Raised by a client when a standalone activity execution has already started.

    Attributes:
        activity_id: ID of the already-started activity.
        activity_type: Activity type name of the already-started activity.
        run_id: Run ID of the already-started activity if raised by the client.
    """

    def __init__(self, activity_id: str, activity_type: str, *, run_id: str | None = None) -> None:
        """Initialize an activity already started error."""
        super().__init__("Activity execution already started")
        self.activity_id = activity_id
        self.activity_type = activity_type
        self.run_id = run_id


class NexusOperationAlreadyStartedError(FailureError):
    """Raised by a client when a Nexus operation execution has already started.

    .. warning::
       This API is experimental and unstable.

    Attributes:
        operation_id: ID of the already-started operation.
        run_id: Run ID of the already-started operation if available.
    """

    def __init__(self, operation_id: str, *, run_id: str | None = None) -> None:
        """Initialize a Nexus operation already started error."""
        super().__init__("Nexus operation execution already started")
        self.operation_id = operation_id
        self.run_id = run_id
