"""A Nexus handler's failure as the exception the official SDK raises: ``nexusrpc.HandlerError``.

A caller sees it as the cause of a :py:class:`~tempyral.exceptions.NexusOperationError` when the
handler refused or could not run the operation. ``nexusrpc`` comes with workflow code that calls
Nexus operations (tempyral-replay depends on it) and with the client's ``grpc`` extra; without
it, the failure stays a generic ``FailureError`` carrying the same message.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from tempyral.api.enums.v1.nexus_pb2 import NexusHandlerErrorRetryBehavior
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common import logger

__all__ = ["read_nexus_handler_error"]

# How the official SDK names the failure it keeps as the handler error's original failure.
_FAILURE_TYPE = "temporal.api.failure.v1.Failure"
_RETRYABLE = {
    NexusHandlerErrorRetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE: True,
    NexusHandlerErrorRetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE: False,
}


def read_nexus_handler_error(failure: Failure) -> BaseException | None:
    """The ``nexusrpc.HandlerError`` of a Nexus handler failure; None for any other failure, or
    when ``nexusrpc`` is not installed."""
    if failure.WhichOneof("failure_info") != "nexus_handler_failure_info":
        return None
    if importlib.util.find_spec("nexusrpc") is None:
        return None
    import nexusrpc

    info = failure.nexus_handler_failure_info
    try:
        kind = nexusrpc.HandlerErrorType[info.type]
    except KeyError:
        logger.warning("Unknown Nexus HandlerErrorType: {}", info.type)
        kind = nexusrpc.HandlerErrorType.INTERNAL
    return nexusrpc.HandlerError(
        failure.message or "Nexus handler error",
        type=kind,
        retryable_override=_RETRYABLE.get(info.retry_behavior),
        stack_trace=failure.stack_trace or None,
        original_failure=_as_nexus_failure(failure, nexusrpc),
    )


def _as_nexus_failure(failure: Failure, nexusrpc: Any) -> Any:
    """The whole failure, message and stack trace apart, as the official SDK keeps it."""
    rest = Failure()
    rest.CopyFrom(failure)
    rest.message = ""
    rest.stack_trace = ""
    pool: Any = rest.DESCRIPTOR.file.pool  # upb's pool type differs from the one stubs name
    from google.protobuf import json_format  # only Nexus failures need it

    details = json_format.MessageToDict(rest, descriptor_pool=pool)
    return nexusrpc.Failure(
        message=failure.message,
        stack_trace=failure.stack_trace,
        metadata={"type": _FAILURE_TYPE},
        details=details,
    )
