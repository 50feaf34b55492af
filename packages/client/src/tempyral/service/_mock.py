"""A transport that answers calls from a function instead of a server (``httpx.MockTransport``'s
idea): for tests of code that talks to Temporal, with no network and no server.

::

    def handler(rpc: str, request: Message) -> Message:
        if rpc == "GetSystemInfo":
            return GetSystemInfoResponse()
        if rpc == "DescribeNamespace":
            raise RPCError("no such namespace", RPCStatusCode.NOT_FOUND, b"")
        ...

    service = await ServiceClient.connect(config, transport=MockTransport(handler))
    client = Client(service, namespace="default")

The handler gets the RPC's name as in the service definition (``RespondWorkflowTaskCompleted``)
and the request message, and returns the response message (or an awaitable of it), or raises an
:py:class:`RPCError`. Failures take the same road as a real server's: the client's one
translation point, and retries when the call asked for them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from tempyral.service._errors import RPCError
from tempyral.service._transport import ChannelSettings, Metadata, ResponseT, Transport

__all__ = ["MockHandler", "MockTransport"]

MockHandler = Callable[[str, Message], "Message | Awaitable[Message]"]
"""``handler(rpc, request)``: the response (or an awaitable of it), or raises ``RPCError``."""


class MockTransport(Transport):
    """Answers every call with ``handler(rpc, request)``; records nothing, sends nothing."""

    def __init__(self, handler: MockHandler) -> None:
        if not callable(handler):
            raise TypeError(
                f"MockTransport takes a function handler(rpc, request) -> response, not "
                f"{type(handler).__name__}"
            )
        super().__init__(ChannelSettings(target="mock", tls=None))
        self._handler = handler

    async def unary(
        self,
        path: str,
        request: Message,
        response_type: type[ResponseT],
        *,
        timeout: float,
        metadata: Metadata,
    ) -> ResponseT:
        rpc = path.rsplit("/", 1)[-1]
        try:
            response: Any = self._handler(rpc, request)
            if inspect.isawaitable(response):
                response = await response
        except RPCError as err:
            raise _HandlerRpcError(err) from err
        if not isinstance(response, response_type):
            raise TypeError(
                f"the MockTransport handler answered {rpc} with a "
                f"{type(response).__module__}.{type(response).__qualname__}; it must return a "
                f"{response_type.__module__}.{response_type.__qualname__} or raise RPCError"
            )
        return response


class _HandlerRpcError(grpc.RpcError):
    """An ``RPCError`` raised by a handler, shaped as a failed gRPC call for the translation."""

    def __init__(self, error: RPCError) -> None:
        super().__init__(error.message)
        self._error = error

    def code(self) -> grpc.StatusCode:
        status = self._error.status
        return next(code for code in grpc.StatusCode if code.value[0] == status.value)

    def details(self) -> str:
        return self._error.message

    def trailing_metadata(self) -> Any:  # grpc's stubs type it with a class of theirs only
        raw = self._error.raw_grpc_status
        return (("grpc-status-details-bin", raw),) if raw else ()
