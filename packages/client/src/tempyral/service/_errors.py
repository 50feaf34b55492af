"""RPC errors, and the one place where gRPC's errors become them.

The error tree::

    TemporalError (tempyral.exceptions)
    └── RPCError            a call failed: status code, message, raw ``google.rpc.Status``

Every failed call, on either transport (``grpc.aio`` or the thread-backed fallback used in forked
children), goes through :func:`rpc_error_from_grpc`. Connection failures whose message shows a
TLS or protocol mismatch get a sentence saying what to change (see ``_tls.diagnose``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Protocol

import grpc

from tempyral.api.common.v1.grpc_status_pb2 import GrpcStatus
from tempyral.exceptions import TemporalError
from tempyral.service._tls import TLSFacts, diagnose

__all__ = ["RPCError", "RPCStatusCode", "rpc_error_from_grpc"]

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class RPCStatusCode(IntEnum):
    """Status code for :py:class:`RPCError` (the gRPC status codes)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class RPCError(TemporalError):
    """Error during an RPC call.

    ``grpc_status.details`` holds the server's error details as ``Any`` messages; unpack them
    into ``tempyral.api.errordetails.v1`` classes, e.g.
    ``err.grpc_status.details[0].Unpack(WorkflowExecutionAlreadyStartedFailure())``.
    """

    def __init__(self, message: str, status: RPCStatusCode, raw_grpc_status: bytes) -> None:
        """Initialize RPC error."""
        super().__init__(message)
        self._message = message
        self._status = status
        self._raw_grpc_status = raw_grpc_status
        self._grpc_status: GrpcStatus | None = None

    @property
    def message(self) -> str:
        """Message for the error."""
        return self._message

    @property
    def status(self) -> RPCStatusCode:
        """Status code for the error."""
        return self._status

    @property
    def raw_grpc_status(self) -> bytes:
        """Raw gRPC status bytes (a serialized ``google.rpc.Status``; empty when none was sent)."""
        return self._raw_grpc_status

    @property
    def grpc_status(self) -> GrpcStatus:
        """Status of the gRPC call with details."""
        if self._grpc_status is None:
            status = GrpcStatus()
            status.ParseFromString(self._raw_grpc_status)
            self._grpc_status = status
        return self._grpc_status


class _GrpcFailure(Protocol):
    """What both gRPC stacks' call errors offer (``grpc.aio.AioRpcError`` and ``grpc.Call``)."""

    def code(self) -> grpc.StatusCode: ...

    def details(self) -> str | None: ...

    def trailing_metadata(self) -> object: ...


def _status_details(trailing: object) -> bytes:
    """The ``grpc-status-details-bin`` trailer, or b"" when absent."""
    if not trailing or not isinstance(trailing, Iterable):
        return b""
    for item in list(trailing):
        key, value = item if isinstance(item, tuple) else (item.key, item.value)
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            return value
    return b""


def rpc_error_from_grpc(err: _GrpcFailure, facts: TLSFacts | None = None) -> RPCError:
    """Translate a failed gRPC call into an :py:class:`RPCError`.

    With ``facts`` about the connection, a failure that shows a TLS or protocol mismatch gets a
    sentence appended saying which setting to change.
    """
    code = err.code()
    status = RPCStatusCode(code.value[0]) if code is not None else RPCStatusCode.UNKNOWN
    message = err.details() or ""
    hint = diagnose(code, message, facts) if facts is not None else None
    if hint:
        message = f"{message} ({hint})" if message else hint
    return RPCError(message, status, _status_details(err.trailing_metadata()))
