"""Failure converters: Python exceptions to ``Failure`` protos and back.

Each :py:class:`tempyral.exceptions.FailureError` subclass maps to one ``failure_info`` variant;
any other exception travels as an ``ApplicationError`` whose type is its class name. Causes
travel as ``Failure.cause`` (from ``__cause__``, else an unsuppressed ``__context__``) and come
back as ``__cause__``; stack traces travel as text. With ``encode_common_attributes`` the
message and stack trace move into ``encoded_attributes`` so a codec can encrypt them.
"""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from enum import IntEnum
from typing import Any, ClassVar, TypeVar, cast

from tempyral.api.enums.v1 import common_pb2, workflow_pb2
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.converter._nexus_failure import read_nexus_handler_error
from tempyral.converter._payload import PayloadConverter
from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    ApplicationErrorCategory,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    NexusOperationError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)

__all__ = [
    "DefaultFailureConverter",
    "DefaultFailureConverterWithEncodedAttributes",
    "FailureConverter",
]

_EnumT = TypeVar("_EnumT", bound=IntEnum)

# What replaces the message when it moved into the encoded attributes, as in all SDKs.
_ENCODED_FAILURE_MESSAGE = "Encoded failure"


class FailureConverter(ABC):
    """Base failure converter to/from errors.

    For workflow exceptions, :py:meth:`to_failure` is only invoked for instances of
    :py:class:`tempyral.exceptions.FailureError`; extend
    :py:class:`tempyral.exceptions.ApplicationError` for a custom workflow exception.
    """

    default: ClassVar[FailureConverter]
    """Default failure converter."""

    @abstractmethod
    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        """Write the exception into ``failure`` (without altering the exception)."""

    @abstractmethod
    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """Build the exception for a failure (without altering the failure)."""


class DefaultFailureConverter(FailureConverter):
    """Default failure converter; a singleton is at :py:attr:`FailureConverter.default`."""

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        """Create the default failure converter.

        Args:
            encode_common_attributes: If ``True``, the message and stack trace of the failure
                move into its encoded attributes, which a payload codec can encode.
        """
        super().__init__()
        self._encode_common_attributes = encode_common_attributes

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        """See base class."""
        if isinstance(exception, FailureError):
            self._error_to_failure(exception, payload_converter, failure)
        else:
            wrapped = ApplicationError(str(exception), type=type(exception).__name__)
            wrapped.__traceback__ = exception.__traceback__
            wrapped.__cause__ = exception.__cause__
            self._error_to_failure(wrapped, payload_converter, failure)
        if self._encode_common_attributes:
            attributes = {"message": failure.message, "stack_trace": failure.stack_trace}
            failure.encoded_attributes.CopyFrom(payload_converter.to_payloads([attributes])[0])
            failure.message = _ENCODED_FAILURE_MESSAGE
            failure.stack_trace = ""

    def _error_to_failure(
        self, error: FailureError, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        # An error decoded from a failure goes back out exactly as it came in.
        if error.failure:
            failure.CopyFrom(error.failure)
            return
        failure.message = error.message
        if error.__traceback__:
            failure.stack_trace = "\n".join(traceback.format_tb(error.__traceback__))
        # Python's own rule for which exception caused this one.
        cause = error.__cause__
        if cause is None and not error.__suppress_context__:
            cause = error.__context__
        if cause is not None:
            self.to_failure(cause, payload_converter, failure.cause)
        _write_failure_info(error, payload_converter, failure)

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """See base class."""
        if failure.HasField("encoded_attributes"):
            failure = _with_decoded_attributes(failure, payload_converter)
        handler_error = read_nexus_handler_error(failure)  # not a FailureError, as upstream
        if handler_error is not None:
            error: BaseException = handler_error
        else:
            decoded = _read_failure_info(failure, payload_converter)
            decoded._failure = failure
            error = decoded
        if failure.HasField("cause"):
            error.__cause__ = self.from_failure(failure.cause, payload_converter)
        return error


class DefaultFailureConverterWithEncodedAttributes(DefaultFailureConverter):
    """:py:class:`DefaultFailureConverter` that moves message and stack trace into the
    encoded attributes, subject to the payload codec.
    """

    def __init__(self) -> None:
        """Create a default failure converter with encoded attributes."""
        super().__init__(encode_common_attributes=True)


def _with_decoded_attributes(failure: Failure, payload_converter: PayloadConverter) -> Failure:
    """A copy of the failure with message and stack trace restored from encoded attributes.

    Attributes that do not decode to the expected dict are ignored: the failure still converts,
    with the placeholder message.
    """
    copy = Failure()
    copy.CopyFrom(failure)
    try:
        attributes: Any = payload_converter.from_payloads([copy.encoded_attributes])[0]
    except Exception:  # undecodable attributes must not hide the failure itself
        return copy
    if isinstance(attributes, dict):
        message = attributes.get("message")
        if isinstance(message, str):
            copy.message = message
        stack_trace = attributes.get("stack_trace")
        if isinstance(stack_trace, str):
            copy.stack_trace = stack_trace
    return copy


def _write_failure_info(
    error: FailureError, payload_converter: PayloadConverter, failure: Failure
) -> None:
    if isinstance(error, ApplicationError):
        _write_application_info(error, payload_converter, failure)
    elif isinstance(error, TimeoutError):
        info = failure.timeout_failure_info
        info.SetInParent()
        info.timeout_type = cast("workflow_pb2.TimeoutType", int(error.type or 0))
        if error.last_heartbeat_details:
            info.last_heartbeat_details.CopyFrom(
                payload_converter.to_payloads_wrapper(error.last_heartbeat_details)
            )
    elif isinstance(error, CancelledError):
        failure.canceled_failure_info.SetInParent()
        if error.details:
            failure.canceled_failure_info.details.CopyFrom(
                payload_converter.to_payloads_wrapper(error.details)
            )
    elif isinstance(error, TerminatedError):
        failure.terminated_failure_info.SetInParent()
    elif isinstance(error, ServerError):
        failure.server_failure_info.SetInParent()
        failure.server_failure_info.non_retryable = error.non_retryable
    elif isinstance(error, ActivityError):
        _write_activity_info(error, failure)
    elif isinstance(error, ChildWorkflowError):
        _write_child_workflow_info(error, failure)
    elif isinstance(error, NexusOperationError):
        nexus = failure.nexus_operation_execution_failure_info
        nexus.SetInParent()
        nexus.scheduled_event_id = error.scheduled_event_id
        nexus.endpoint = error.endpoint
        nexus.service = error.service
        nexus.operation = error.operation
        nexus.operation_token = error.operation_token


def _write_application_info(
    error: ApplicationError, payload_converter: PayloadConverter, failure: Failure
) -> None:
    info = failure.application_failure_info
    info.SetInParent()
    if error.type:
        info.type = error.type
    info.non_retryable = error.non_retryable
    if error.details:
        info.details.CopyFrom(payload_converter.to_payloads_wrapper(error.details))
    if error.next_retry_delay:
        info.next_retry_delay.FromTimedelta(error.next_retry_delay)
    if error.category:
        info.category = cast("common_pb2.ApplicationErrorCategory", int(error.category))


def _write_activity_info(error: ActivityError, failure: Failure) -> None:
    info = failure.activity_failure_info
    info.SetInParent()
    info.scheduled_event_id = error.scheduled_event_id
    info.started_event_id = error.started_event_id
    info.identity = error.identity
    info.activity_type.name = error.activity_type
    info.activity_id = error.activity_id
    info.retry_state = cast("workflow_pb2.RetryState", int(error.retry_state or 0))


def _write_child_workflow_info(error: ChildWorkflowError, failure: Failure) -> None:
    info = failure.child_workflow_execution_failure_info
    info.SetInParent()
    info.namespace = error.namespace
    info.workflow_execution.workflow_id = error.workflow_id
    info.workflow_execution.run_id = error.run_id
    info.workflow_type.name = error.workflow_type
    info.initiated_event_id = error.initiated_event_id
    info.started_event_id = error.started_event_id
    info.retry_state = cast("workflow_pb2.RetryState", int(error.retry_state or 0))


def _enum_or_none(enum_type: type[_EnumT], value: int) -> _EnumT | None:
    """The enum member for a proto value; ``None`` for unset or values newer than this SDK."""
    try:
        return enum_type(value) if value else None
    except ValueError:
        return None


def _read_failure_info(failure: Failure, payload_converter: PayloadConverter) -> FailureError:
    info = failure.WhichOneof("failure_info")
    message = failure.message
    if info == "application_failure_info":
        return _read_application_info(failure, payload_converter)
    if info == "timeout_failure_info":
        timeout = failure.timeout_failure_info
        return TimeoutError(
            message or "Timeout",
            type=_enum_or_none(TimeoutType, int(timeout.timeout_type)),
            last_heartbeat_details=payload_converter.from_payloads_wrapper(
                timeout.last_heartbeat_details
            ),
        )
    if info == "canceled_failure_info":
        return CancelledError(
            message or "Cancelled",
            *payload_converter.from_payloads_wrapper(failure.canceled_failure_info.details),
        )
    if info == "terminated_failure_info":
        return TerminatedError(message or "Terminated")
    if info == "server_failure_info":
        return ServerError(
            message or "Server error", non_retryable=failure.server_failure_info.non_retryable
        )
    return _read_execution_info(failure)


def _read_application_info(
    failure: Failure, payload_converter: PayloadConverter
) -> ApplicationError:
    info = failure.application_failure_info
    return ApplicationError(
        failure.message or "Application error",
        *payload_converter.from_payloads_wrapper(info.details),
        type=info.type or None,
        non_retryable=info.non_retryable,
        next_retry_delay=(
            info.next_retry_delay.ToTimedelta() if info.HasField("next_retry_delay") else None
        ),
        category=(
            _enum_or_none(ApplicationErrorCategory, int(info.category))
            or ApplicationErrorCategory.UNSPECIFIED
        ),
    )


def _read_execution_info(failure: Failure) -> FailureError:
    """Failures of an activity, child workflow or Nexus operation; anything else is generic."""
    info = failure.WhichOneof("failure_info")
    message = failure.message
    if info == "activity_failure_info":
        activity = failure.activity_failure_info
        return ActivityError(
            message or "Activity error",
            scheduled_event_id=activity.scheduled_event_id,
            started_event_id=activity.started_event_id,
            identity=activity.identity,
            activity_type=activity.activity_type.name,
            activity_id=activity.activity_id,
            retry_state=_enum_or_none(RetryState, int(activity.retry_state)),
        )
    if info == "child_workflow_execution_failure_info":
        child = failure.child_workflow_execution_failure_info
        return ChildWorkflowError(
            message or "Child workflow error",
            namespace=child.namespace,
            workflow_id=child.workflow_execution.workflow_id,
            run_id=child.workflow_execution.run_id,
            workflow_type=child.workflow_type.name,
            initiated_event_id=child.initiated_event_id,
            started_event_id=child.started_event_id,
            retry_state=_enum_or_none(RetryState, int(child.retry_state)),
        )
    if info == "nexus_operation_execution_failure_info":
        nexus = failure.nexus_operation_execution_failure_info
        return NexusOperationError(
            message or "Nexus operation error",
            scheduled_event_id=nexus.scheduled_event_id,
            endpoint=nexus.endpoint,
            service=nexus.service,
            operation=nexus.operation,
            operation_token=nexus.operation_token,
        )
    if info == "nexus_handler_failure_info":
        # nexusrpc.HandlerError (see _nexus_failure) when nexusrpc is installed.
        return FailureError(message or "Nexus handler error")
    return FailureError(message or "Failure error")
