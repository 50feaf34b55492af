"""How a Nexus handler's outcome becomes what the server is told, as the official SDK does it.

* An exception from a handler becomes a ``nexusrpc.HandlerError`` (:py:func:`handler_error_from`):
  a ``HandlerError`` stays itself; an ``ApplicationError`` is INTERNAL, retryable unless
  non-retryable; ``WorkflowAlreadyStartedError`` INTERNAL non-retryable; an ``RPCError`` by its
  status (INVALID_ARGUMENT -> BAD_REQUEST, NOT_FOUND -> NOT_FOUND, UNAVAILABLE -> UNAVAILABLE,
  ...); anything else INTERNAL. The exception is kept as the cause.
* The handler error becomes a Temporal ``Failure`` with ``nexus_handler_failure_info``
  (:py:func:`encode_handler_error`), its cause converted by the data converter. The server gets
  it as ``RespondNexusTaskFailed(failure=...)`` when the request says it understands Temporal
  failures, else as the older Nexus ``HandlerError`` whose failure details are that Failure in
  JSON (:py:func:`failed_request`), as Temporal's core SDK does.
* A ``nexusrpc.OperationError`` is an operation outcome, not a task failure: FAILED becomes a
  non-retryable ``ApplicationError`` of type ``OperationError``, CANCELED a ``CancelledError``,
  sent in the start response's ``failure`` (:py:func:`operation_error_response`).
"""

from __future__ import annotations

import traceback

import nexusrpc
from google.protobuf import json_format

from tempyral.api.enums.v1.nexus_pb2 import (
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE,
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE,
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED,
)
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.nexus.v1.message_pb2 import Failure as NexusFailure
from tempyral.api.nexus.v1.message_pb2 import HandlerError as HandlerErrorProto
from tempyral.api.nexus.v1.message_pb2 import StartOperationResponse
from tempyral.api.workflowservice.v1.request_response_pb2 import RespondNexusTaskFailedRequest
from tempyral.converter import DataConverter
from tempyral.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError
from tempyral.service import RPCError, RPCStatusCode

__all__ = [
    "encode_handler_error",
    "failed_request",
    "handler_error_from",
    "operation_error_response",
]

_Type = nexusrpc.HandlerErrorType

_BY_STATUS: dict[RPCStatusCode, tuple[_Type, bool | None]] = {
    RPCStatusCode.INVALID_ARGUMENT: (_Type.BAD_REQUEST, None),
    RPCStatusCode.ALREADY_EXISTS: (_Type.INTERNAL, False),
    RPCStatusCode.FAILED_PRECONDITION: (_Type.INTERNAL, False),
    RPCStatusCode.OUT_OF_RANGE: (_Type.INTERNAL, False),
    RPCStatusCode.ABORTED: (_Type.UNAVAILABLE, None),
    RPCStatusCode.UNAVAILABLE: (_Type.UNAVAILABLE, None),
    # The handler failing to reach Temporal is not the caller's auth problem: retryable INTERNAL.
    RPCStatusCode.CANCELLED: (_Type.INTERNAL, None),
    RPCStatusCode.DATA_LOSS: (_Type.INTERNAL, None),
    RPCStatusCode.INTERNAL: (_Type.INTERNAL, None),
    RPCStatusCode.UNKNOWN: (_Type.INTERNAL, None),
    RPCStatusCode.UNAUTHENTICATED: (_Type.INTERNAL, None),
    RPCStatusCode.PERMISSION_DENIED: (_Type.INTERNAL, None),
    RPCStatusCode.NOT_FOUND: (_Type.NOT_FOUND, None),
    RPCStatusCode.RESOURCE_EXHAUSTED: (_Type.RESOURCE_EXHAUSTED, None),
    RPCStatusCode.UNIMPLEMENTED: (_Type.NOT_IMPLEMENTED, None),
    RPCStatusCode.DEADLINE_EXCEEDED: (_Type.UPSTREAM_TIMEOUT, None),
}


def handler_error_from(err: BaseException) -> nexusrpc.HandlerError:
    """The handler error the caller sees for ``err`` raised by a handler."""
    if isinstance(err, nexusrpc.HandlerError):
        return err
    if isinstance(err, ApplicationError):
        handler_err = nexusrpc.HandlerError(
            "Handler failed with non-retryable application error",
            type=_Type.INTERNAL,
            retryable_override=not err.non_retryable,
        )
    elif isinstance(err, WorkflowAlreadyStartedError):
        handler_err = nexusrpc.HandlerError(
            err.message, type=_Type.INTERNAL, retryable_override=False
        )
    elif isinstance(err, RPCError):
        kind, retryable = _BY_STATUS.get(err.status, (None, None))
        if kind is None:
            handler_err = nexusrpc.HandlerError(
                f"Unhandled RPC error status: {err.status}", type=_Type.INTERNAL
            )
        else:
            handler_err = nexusrpc.HandlerError(
                err.message, type=kind, retryable_override=retryable
            )
    else:
        handler_err = nexusrpc.HandlerError("Internal handler error", type=_Type.INTERNAL)
    handler_err.__cause__ = err
    return handler_err


async def encode_handler_error(
    error: nexusrpc.HandlerError, converter: DataConverter, failure: Failure
) -> None:
    """Write ``error`` into ``failure`` (cause converted and encoded by ``converter``)."""
    failure.message = error.message
    if error.stack_trace:
        failure.stack_trace = error.stack_trace
    elif error.__traceback__ is not None:
        failure.stack_trace = "\n".join(traceback.format_tb(error.__traceback__))
    if error.__cause__ is not None:
        await converter.encode_failure(error.__cause__, failure.cause)
    info = failure.nexus_handler_failure_info
    info.SetInParent()
    info.type = error.type.name
    if error.retryable_override is True:
        info.retry_behavior = NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE
    elif error.retryable_override is False:
        info.retry_behavior = NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE
    else:
        info.retry_behavior = NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED


def failed_request(failure: Failure, *, temporal_failures: bool) -> RespondNexusTaskFailedRequest:
    """The ``RespondNexusTaskFailed`` request (without namespace, identity, token) for
    ``failure``: as a Temporal failure when the server takes one, else as a Nexus HandlerError."""
    if temporal_failures:
        return RespondNexusTaskFailedRequest(failure=failure)
    legacy = Failure()
    legacy.CopyFrom(failure)
    message = legacy.message
    legacy.message = ""
    details = json_format.MessageToJson(legacy, indent=None).encode()
    return RespondNexusTaskFailedRequest(
        error=HandlerErrorProto(
            error_type=failure.nexus_handler_failure_info.type,
            failure=NexusFailure(
                message=message,
                metadata={"type": "temporal.api.failure.v1.Failure"},
                details=details,
                stack_trace=failure.stack_trace,
            ),
            retry_behavior=failure.nexus_handler_failure_info.retry_behavior,
        )
    )


async def operation_error_response(
    err: nexusrpc.OperationError, converter: DataConverter
) -> StartOperationResponse:
    """The start response of an operation that failed or was cancelled by its handler."""
    outcome: ApplicationError | CancelledError
    if err.state == nexusrpc.OperationErrorState.CANCELED:
        outcome = CancelledError(err.message)
    else:
        outcome = ApplicationError(err.message, type="OperationError", non_retryable=True)
    outcome.__cause__ = err.__cause__
    response = StartOperationResponse()
    await converter.encode_failure(outcome, response.failure)
    return response
