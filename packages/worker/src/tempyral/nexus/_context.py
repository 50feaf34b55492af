"""What a Nexus operation handler can ask about the operation it runs, and the contexts it gets.

The Nexus worker (``tempyral.worker._nexus_worker``) builds the ``nexusrpc`` start or cancel
context of each task and, in the task's own context variables, a :py:class:`OperationScope`:
the client, the :py:class:`Info`, the metric meter and the worker-shutdown flag. The module
functions (:py:func:`info`, :py:func:`client`, ...) read it, and raise ``RuntimeError`` outside
a handler, as the official SDK's do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from nexusrpc.handler import CancelOperationContext, OperationContext, StartOperationContext

from tempyral.activity.runtime import CompositeEvent
from tempyral.client import Callback
from tempyral.common import MetricMeter

if TYPE_CHECKING:
    from typing_extensions import Self

    from tempyral.client import Client

__all__ = [
    "Info",
    "LoggerAdapter",
    "NexusCallback",
    "OperationScope",
    "TemporalCancelOperationContext",
    "TemporalStartOperationContext",
    "client",
    "in_operation",
    "info",
    "is_worker_shutdown",
    "logger",
    "metric_meter",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
]

NexusCallback = Callback
"""Nexus callback to attach to events such as workflow completion (``tempyral.client.Callback``)."""


@dataclass(frozen=True)
class Info:
    """Information about the running Nexus operation.

    Retrieved inside a Nexus operation handler via :py:func:`info`.
    """

    endpoint: str
    """The endpoint this Nexus request was addressed to."""

    namespace: str
    """The namespace of the worker handling this Nexus operation."""

    task_queue: str
    """The task queue of the worker handling this Nexus operation."""


@dataclass(kw_only=True)
class OperationScope:
    """What the worker knows about one Nexus task, for the handler running it."""

    client: Client
    info: Callable[[], Info]
    nexus_context: OperationContext
    runtime_metric_meter: MetricMeter
    worker_shutdown_event: CompositeEvent
    _metric_meter: MetricMeter | None = field(default=None, repr=False)

    @property
    def metric_meter(self) -> MetricMeter:
        if self._metric_meter is None:
            self._metric_meter = self.runtime_metric_meter.with_additional_attributes(
                {
                    "nexus_service": self.nexus_context.service,
                    "nexus_operation": self.nexus_context.operation,
                    "task_queue": self.info().task_queue,
                }
            )
        return self._metric_meter

    @property
    def start_context(self) -> StartOperationContext | None:
        ctx = self.nexus_context
        return ctx if isinstance(ctx, StartOperationContext) else None


_current_scope: ContextVar[OperationScope | None] = ContextVar(
    "tempyral_nexus_operation", default=None
)


def enter_scope(scope: OperationScope) -> None:
    """Make ``scope`` the current operation's (in the task the worker runs the handler in)."""
    _current_scope.set(scope)


def current_scope() -> OperationScope:
    scope = _current_scope.get()
    if scope is None:
        raise RuntimeError("Not in Nexus operation context.")
    return scope


def in_operation() -> bool:
    """Whether the current code is inside a Nexus operation."""
    return _current_scope.get() is not None


def info() -> Info:
    """Get the current Nexus operation information."""
    return current_scope().info()


def client() -> Client:
    """Get the Temporal client used by the worker handling the current Nexus operation."""
    return current_scope().client


def metric_meter() -> MetricMeter:
    """Get the metric meter for the current Nexus operation."""
    return current_scope().metric_meter


def is_worker_shutdown() -> bool:
    """Whether shutdown has been invoked on the worker.

    Raises:
        RuntimeError: When not in a Nexus operation.
    """
    return current_scope().worker_shutdown_event.is_set()


async def wait_for_worker_shutdown() -> None:
    """Asynchronously wait for shutdown to be called on the worker.

    Raises:
        RuntimeError: When not in a Nexus operation.
    """
    await current_scope().worker_shutdown_event.wait()


def wait_for_worker_shutdown_sync(timeout: timedelta | float | None = None) -> None:
    """Synchronously block while waiting for shutdown to be called on the worker.

    Args:
        timeout: Max amount of time to wait for shutdown to be called on the worker.

    Raises:
        RuntimeError: When not in a Nexus operation.
    """
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    current_scope().worker_shutdown_event.wait_sync(seconds)


def _copy_fields(ctx: OperationContext) -> dict[str, Any]:
    return {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}


class TemporalStartOperationContext(StartOperationContext):
    """Context received by a Temporal Nexus operation when it is started.

    .. warning::
       This API is experimental and unstable.
    """

    @classmethod
    def _from_start_operation_context(cls, ctx: StartOperationContext) -> Self:
        # The same outbound_links list: links added here reach the worker's response.
        return cls(**_copy_fields(ctx))


class TemporalCancelOperationContext(CancelOperationContext):
    """Context received by a Temporal Nexus operation when it is canceled.

    .. warning::
       This API is experimental and unstable.
    """

    @classmethod
    def _from_cancel_operation_context(cls, ctx: CancelOperationContext) -> Self:
        return cls(**_copy_fields(ctx))


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logger adapter that adds Nexus operation context information."""

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        """Initialize the logger adapter."""
        super().__init__(logger, extra or {})

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Process log records to add Nexus operation context."""
        extra = dict(cast(Mapping[str, Any], self.extra or {}))
        scope = _current_scope.get()
        if scope is not None:
            extra["service"] = scope.nexus_context.service
            extra["operation"] = scope.nexus_context.operation
            extra["task_queue"] = scope.info().task_queue
        kwargs["extra"] = extra | dict(kwargs.get("extra") or {})
        return msg, kwargs


logger = LoggerAdapter(logging.getLogger("tempyral.nexus"), None)
"""Logger that emits additional data describing the current Nexus operation."""
