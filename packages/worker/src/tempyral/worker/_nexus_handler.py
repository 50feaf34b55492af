"""What runs a Nexus task's operation: the ``nexusrpc`` handler, its input and interceptors.

:py:func:`build_handler` makes the ``nexusrpc.handler.Handler`` over the worker's service
handlers: sync operations run in ``nexus_task_executor`` with the task's context variables, and
every operation goes through the worker interceptors' ``intercept_nexus_operation`` chain (the
first interceptor given is the outermost). :py:class:`PayloadInput` reads a start request's
payload into the operation's input type, failing as the official SDK does: a codec or storage
failure is an INTERNAL handler error, input the converter cannot read a BAD_REQUEST.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, ParamSpec, TypeAlias, TypeVar

import nexusrpc
import nexusrpc.handler
from nexusrpc.handler import CancelOperationContext, StartOperationContext

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter import DataConverter
from tempyral.exceptions import ApplicationError
from tempyral.worker._interceptor import (
    ExecuteNexusOperationCancelInput,
    ExecuteNexusOperationStartInput,
    Interceptor,
    NexusOperationInboundInterceptor,
)

__all__ = ["PayloadInput", "build_handler"]

# A data converter's way of saying it read the input and finds it invalid (the caller's fault).
_PAYLOAD_VALIDATION_ERROR_TYPE = "PayloadValidationError"

StartResult: TypeAlias = (
    nexusrpc.handler.StartOperationResultSync[Any] | nexusrpc.handler.StartOperationResultAsync
)


def build_handler(
    service_handlers: Sequence[Any],
    executor: concurrent.futures.ThreadPoolExecutor | None,
    interceptors: Sequence[Interceptor],
) -> nexusrpc.handler.Handler:
    """The handler of the worker's Nexus services (raises for invalid service handlers)."""
    return nexusrpc.handler.Handler(
        service_handlers,
        _ContextCopyingExecutor(executor) if executor is not None else None,
        middleware=[_InterceptorMiddleware(interceptors)],
    )


def _is_payload_validation_error(err: BaseException) -> bool:
    return (
        isinstance(err, ApplicationError)
        and err.non_retryable
        and err.type == _PAYLOAD_VALIDATION_ERROR_TYPE
    )


@dataclass
class PayloadInput:
    """Reads a start request's payload into the operation's input type (``nexusrpc.Serializer``)."""

    converter: DataConverter
    payload: Payload

    async def serialize(self, value: Any) -> nexusrpc.Content:
        raise NotImplementedError("Nexus handlers read inputs; they never serialize through this")

    async def deserialize(self, content: nexusrpc.Content, as_type: type[Any] | None = None) -> Any:
        converter = self.converter
        try:
            retrieved = await converter._external_retrieve_payload_sequence([self.payload])
        except Exception as err:
            raise nexusrpc.HandlerError(
                "Failed to retrieve Nexus operation input from external storage",
                type=nexusrpc.HandlerErrorType.INTERNAL,
                retryable_override=True,
            ) from err
        try:
            [decoded] = await converter._decode_payload_sequence(retrieved)
        except Exception as err:
            if _is_payload_validation_error(err):
                raise nexusrpc.HandlerError(
                    "Invalid operation input",
                    type=nexusrpc.HandlerErrorType.BAD_REQUEST,
                    retryable_override=False,
                ) from err
            raise nexusrpc.HandlerError(
                "Payload codec failed to decode Nexus operation input",
                type=nexusrpc.HandlerErrorType.INTERNAL,
            ) from err
        try:
            [value] = converter.payload_converter.from_payloads(
                [decoded], [as_type] if as_type is not None else None
            )
        except Exception as err:
            message = (
                "Invalid operation input"
                if _is_payload_validation_error(err)
                else "Payload converter failed to decode Nexus operation input"
            )
            raise nexusrpc.HandlerError(
                message, type=nexusrpc.HandlerErrorType.BAD_REQUEST, retryable_override=False
            ) from err
        return value


class _InterceptorAsHandler(nexusrpc.handler.MiddlewareSafeOperationHandler):
    """The outermost interceptor, seen by nexusrpc as an operation handler."""

    def __init__(self, interceptor: NexusOperationInboundInterceptor) -> None:
        self._interceptor = interceptor

    async def start(self, ctx: StartOperationContext, input: Any) -> StartResult:
        return await self._interceptor.execute_nexus_operation_start(
            ExecuteNexusOperationStartInput(ctx, input)
        )

    async def cancel(self, ctx: CancelOperationContext, token: str) -> None:
        await self._interceptor.execute_nexus_operation_cancel(
            ExecuteNexusOperationCancelInput(ctx, token)
        )


class _HandlerAsInterceptor(NexusOperationInboundInterceptor):
    """The innermost interceptor: calls the user's operation handler."""

    def __init__(self, handler: nexusrpc.handler.MiddlewareSafeOperationHandler) -> None:
        # No next interceptor: this is the end of the chain.
        self._handler = handler

    async def execute_nexus_operation_start(
        self, input: ExecuteNexusOperationStartInput
    ) -> StartResult:
        return await self._handler.start(input.ctx, input.input)

    async def execute_nexus_operation_cancel(self, input: ExecuteNexusOperationCancelInput) -> None:
        await self._handler.cancel(input.ctx, input.token)


class _InterceptorMiddleware(nexusrpc.handler.OperationHandlerMiddleware):
    """Runs each operation through the worker interceptors' ``intercept_nexus_operation``."""

    def __init__(self, interceptors: Sequence[Interceptor]) -> None:
        self._interceptors = list(interceptors)

    def intercept(
        self,
        ctx: nexusrpc.handler.OperationContext,
        next: nexusrpc.handler.MiddlewareSafeOperationHandler,
    ) -> nexusrpc.handler.MiddlewareSafeOperationHandler:
        # The first interceptor given is the outermost, as for activities.
        innermost: NexusOperationInboundInterceptor = _HandlerAsInterceptor(next)
        chain = reduce(
            lambda inner, interceptor: interceptor.intercept_nexus_operation(inner),
            reversed(self._interceptors),
            innermost,
        )
        return _InterceptorAsHandler(chain)


_P = ParamSpec("_P")
_T = TypeVar("_T")


class _ContextCopyingExecutor(concurrent.futures.Executor):
    """Runs sync handlers in ``nexus_task_executor`` with the task's context variables (so
    ``tempyral.nexus.info()`` and friends work there)."""

    def __init__(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        self._executor = executor

    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> concurrent.futures.Future[_T]:
        context = contextvars.copy_context()

        def in_context() -> _T:
            return context.run(fn, *args, **kwargs)

        return self._executor.submit(in_context)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=cancel_futures)
