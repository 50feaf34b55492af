"""Temporal exceptions (mirrors ``temporalio.exceptions``).

The error tree::

    Exception
    └── TemporalError                       any error this SDK defines
        └── FailureError                    a failure that travels as a ``Failure`` proto
            ├── ApplicationError            raised by user code, with details and a type
            ├── CancelledError              workflow/activity cancellation
            ├── TerminatedError             workflow termination
            ├── TimeoutError                timeout, with its TimeoutType
            ├── ServerError                 raised by the server
            ├── ActivityError               an activity failed; its error is the __cause__
            ├── ChildWorkflowError          a child workflow failed; its error is the __cause__
            ├── NexusOperationError         a Nexus operation failed; its error is the __cause__
            ├── WorkflowAlreadyStartedError
            ├── ActivityAlreadyStartedError
            ├── NexusOperationAlreadyStartedError
            └── InvalidVersioningOverrideError

Causes chain through ``__cause__`` and stack traces are carried in the ``Failure`` proto, so a
failure decoded on another worker shows the original chain.
"""

from tempyral.exceptions._base import (
    ActivityAlreadyStartedError,
    FailureError,
    InvalidVersioningOverrideError,
    NexusOperationAlreadyStartedError,
    TemporalError,
    WorkflowAlreadyStartedError,
)
from tempyral.exceptions._failures import (
    ActivityError,
    ApplicationError,
    ApplicationErrorCategory,
    CancelledError,
    ChildWorkflowError,
    NexusOperationError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
    is_cancelled_exception,
)

__all__ = [
    "ActivityAlreadyStartedError",
    "ActivityError",
    "ApplicationError",
    "ApplicationErrorCategory",
    "CancelledError",
    "ChildWorkflowError",
    "FailureError",
    "InvalidVersioningOverrideError",
    "NexusOperationAlreadyStartedError",
    "NexusOperationError",
    "RetryState",
    "ServerError",
    "TemporalError",
    "TerminatedError",
    "TimeoutError",
    "TimeoutType",
    "WorkflowAlreadyStartedError",
    "is_cancelled_exception",
]
