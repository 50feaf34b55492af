"""Worker interceptors (the activity half of ``temporalio.worker``'s interceptors).

For each activity task the worker builds a chain: every :py:class:`Interceptor`'s
``intercept_activity`` wraps the next :py:class:`ActivityInboundInterceptor`, the innermost one
runs the activity. ``init`` passes an :py:class:`ActivityOutboundInterceptor` down the chain;
``activity.info()`` and ``activity.heartbeat()`` go through the outermost outbound interceptor.
Workflow interceptors (``workflow_interceptor_class``) are defined in ``tempyral.replay``, whose
engine calls them, and re-exported by ``tempyral.worker``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.replay import WorkflowInboundInterceptor, WorkflowInterceptorClassInput

if TYPE_CHECKING:
    # Annotations only: a worker without Nexus services does not import nexusrpc.
    import nexusrpc.handler

    from tempyral.activity import Info

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
    "ExecuteNexusOperationCancelInput",
    "ExecuteNexusOperationStartInput",
    "Interceptor",
    "NexusOperationInboundInterceptor",
]


class Interceptor:
    """Interceptor for workers; extend it and override what you intercept."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap the activity inbound interceptor ``next``; return it unchanged to not intercept.

        Args:
            next: The underlying inbound interceptor this interceptor should delegate to.

        Returns:
            The new interceptor that will be used for the activity.
        """
        return next

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """Class that will be instantiated and used to intercept workflows (none by default).

        Called once per worker (and per ``Replayer``); each run gets its own instance, wrapping
        the next interceptor's inbound interceptor.
        """
        return None

    def intercept_nexus_operation(
        self, next: NexusOperationInboundInterceptor
    ) -> NexusOperationInboundInterceptor:
        """Wrap the Nexus operation inbound interceptor ``next``; return it to not intercept.

        Args:
            next: The underlying inbound interceptor this interceptor should delegate to.

        Returns:
            The new interceptor that should be used for the Nexus operation.
        """
        return next


@dataclass
class ExecuteActivityInput:
    """Input for :py:meth:`ActivityInboundInterceptor.execute_activity`."""

    fn: Callable[..., Any]
    args: Sequence[Any]
    executor: concurrent.futures.Executor | None
    headers: Mapping[str, Payload]


class ActivityInboundInterceptor:
    """Inbound interceptor to wrap outbound creation and activity execution.

    This should be extended by any activity inbound interceptors.
    """

    def __init__(self, next: ActivityInboundInterceptor) -> None:
        """Create the inbound interceptor.

        Args:
            next: The next interceptor in the chain. The default implementation of all calls is
                to delegate to the next interceptor.
        """
        self.next = next

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Initialize with an outbound interceptor.

        To add a custom outbound interceptor, wrap the given interceptor before sending it to
        the next ``init`` call.
        """
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Called to invoke the activity."""
        return await self.next.execute_activity(input)


class ActivityOutboundInterceptor:
    """Outbound interceptor to wrap calls made from within activities.

    This should be extended by any activity outbound interceptors.
    """

    def __init__(self, next: ActivityOutboundInterceptor) -> None:
        """Create the outbound interceptor.

        Args:
            next: The next interceptor in the chain. The default implementation of all calls is
                to delegate to the next interceptor.
        """
        self.next = next

    def info(self) -> Info:
        """Called for every :py:func:`tempyral.activity.info` call."""
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        """Called for every :py:func:`tempyral.activity.heartbeat` call."""
        self.next.heartbeat(*details)


@dataclass
class ExecuteNexusOperationStartInput:
    """Input for :py:meth:`NexusOperationInboundInterceptor.execute_nexus_operation_start`."""

    ctx: nexusrpc.handler.StartOperationContext
    input: Any


@dataclass
class ExecuteNexusOperationCancelInput:
    """Input for :py:meth:`NexusOperationInboundInterceptor.execute_nexus_operation_cancel`."""

    ctx: nexusrpc.handler.CancelOperationContext
    token: str


class NexusOperationInboundInterceptor:
    """Inbound interceptor to wrap Nexus operation starting and cancelling.

    This should be extended by any Nexus operation inbound interceptors.
    """

    def __init__(self, next: NexusOperationInboundInterceptor) -> None:
        """Create the inbound interceptor.

        Args:
            next: The next interceptor in the chain. The default implementation of all calls is
                to delegate to the next interceptor.
        """
        self.next = next

    async def execute_nexus_operation_start(
        self, input: ExecuteNexusOperationStartInput
    ) -> nexusrpc.handler.StartOperationResultSync[Any] | (
        nexusrpc.handler.StartOperationResultAsync
    ):
        """Called to start a Nexus operation"""
        return await self.next.execute_nexus_operation_start(input)

    async def execute_nexus_operation_cancel(self, input: ExecuteNexusOperationCancelInput) -> None:
        """Called to cancel a Nexus operation"""
        return await self.next.execute_nexus_operation_cancel(input)
