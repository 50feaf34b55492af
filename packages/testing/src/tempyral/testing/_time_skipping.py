"""The time-skipping environment: the Java test server, and a client that unlocks its clock.

The test server's virtual clock only runs ahead of real time while time skipping is *unlocked*.
Like the official SDK, the environment keeps it locked and unlocks it for exactly as long as a
test waits on a workflow's result; ``env.sleep()`` unlocks it for a stretch of virtual time
(``UnlockTimeSkippingWithSleep``). A result wait is recognised at the client's interceptor layer:
it is the long poll of history for the close event (``wait_new_event`` with the close-event
filter), which ``WorkflowHandle.result()`` makes for every run it follows, whichever way the
handle was obtained.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tempyral.api.dependencies.google.protobuf import empty_pb2
from tempyral.api.testservice.v1 import request_response_pb2 as test_api
from tempyral.client import (
    Client,
    FetchWorkflowHistoryEventsInput,
    Interceptor,
    OutboundInterceptor,
    WorkflowHistoryEventAsyncIterator,
    WorkflowHistoryEventFilterType,
)
from tempyral.common import QueryRejectCondition
from tempyral.converter import DataConverter
from tempyral.service import RetryConfig
from tempyral.testing._test_server import TestServer
from tempyral.testing._workflow_env import WorkflowEnvironment

if TYPE_CHECKING:
    from tempyral.client import WorkflowHandle

__all__ = ["start_time_skipping_environment"]


async def start_time_skipping_environment(
    *,
    data_converter: DataConverter,
    interceptors: Sequence[Interceptor],
    default_workflow_query_reject_condition: QueryRejectCondition | None,
    retry_config: RetryConfig | None,
    rpc_metadata: Mapping[str, str | bytes],
    identity: str | None,
    port: int | None,
    existing_path: str | None,
    extra_args: Sequence[str],
    startup_timeout: timedelta | None,
    plugins: Sequence[Any],
    runtime: Any,
) -> WorkflowEnvironment:
    """Start the test server and return the environment around it (see ``start_time_skipping``)."""
    server = TestServer(
        port=port,
        extra_args=extra_args,
        startup_timeout=startup_timeout.total_seconds() if startup_timeout is not None else 30.0,
        binary=existing_path,
    )
    await server.start_async()
    try:
        unlocker = _ResultWaitUnlocker()
        client = await Client.connect(
            server.target,
            data_converter=data_converter,
            interceptors=[*interceptors, unlocker],
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            retry_config=retry_config,
            rpc_metadata=rpc_metadata,
            identity=identity,
            plugins=plugins,
            runtime=runtime,
        )
    except BaseException:
        server.stop()
        raise
    environment = _TimeSkippingEnvironment(client, server)
    unlocker.environment = environment
    return environment


class _TimeSkippingEnvironment(WorkflowEnvironment):
    """A test server with one virtual clock, unlocked while results are awaited."""

    def __init__(self, client: Client, server: TestServer) -> None:
        super().__init__(client)
        self._server = server
        self._auto_time_skipping = True

    @property
    def test_server(self) -> TestServer:
        """The running test server (its ``target``, ``pid``, ``log_tail()``)."""
        return self._server

    async def shutdown(self) -> None:
        await asyncio.to_thread(self._server.stop)

    async def sleep(self, duration: timedelta | float) -> None:
        """Move the virtual clock ``duration`` ahead, firing the timers due meanwhile."""
        if not isinstance(duration, timedelta):
            duration = timedelta(seconds=duration)
        request = test_api.SleepRequest()
        request.duration.FromTimedelta(duration)
        await self._client.test_service.unlock_time_skipping_with_sleep(request)

    async def get_current_time(self, handle: WorkflowHandle[Any, Any] | None = None) -> datetime:
        """The test server's virtual time (``handle`` is ignored: one clock for all)."""
        response = await self._client.test_service.get_current_time(empty_pb2.Empty())
        return response.time.ToDatetime().replace(tzinfo=timezone.utc)

    @property
    def supports_time_skipping_v1(self) -> bool:
        return True

    @contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Inside the block, awaiting a workflow result lets time pass at its real pace."""
        was_enabled = self._auto_time_skipping
        self._auto_time_skipping = False
        try:
            yield None
        finally:
            self._auto_time_skipping = was_enabled

    @asynccontextmanager
    async def time_skipping_unlocked(self) -> AsyncIterator[None]:
        """Unlock time skipping for the block (unless auto time skipping is disabled)."""
        if not self._auto_time_skipping:
            yield None
            return
        test_service = self._client.test_service
        await test_service.unlock_time_skipping(test_api.UnlockTimeSkippingRequest())
        try:
            yield None
        finally:
            # Re-locked whatever happened, so the next wait starts from a locked clock again.
            await test_service.lock_time_skipping(test_api.LockTimeSkippingRequest())


class _ResultWaitUnlocker(Interceptor):
    """Client interceptor that unlocks time skipping around each result wait."""

    def __init__(self) -> None:
        super().__init__()
        self.environment: _TimeSkippingEnvironment | None = None

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _ResultWaitOutbound(next, self)


class _ResultWaitOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, unlocker: _ResultWaitUnlocker) -> None:
        super().__init__(next)
        self._unlocker = unlocker

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        environment = self._unlocker.environment
        waits_for_close = (
            input.wait_new_event
            and input.event_filter_type == WorkflowHistoryEventFilterType.CLOSE_EVENT
        )
        if environment is None or not waits_for_close:
            return self.next.fetch_workflow_history_events(input)
        return _UnlockedWhileWaiting(environment, input)


class _UnlockedWhileWaiting(WorkflowHistoryEventAsyncIterator):
    """The close-event long poll, with time skipping unlocked while each page is awaited.

    The interceptor is the innermost one (added last), so this replaces only the client's own
    history iterator, whose page fetch it reuses.
    """

    def __init__(
        self, environment: _TimeSkippingEnvironment, input: FetchWorkflowHistoryEventsInput
    ) -> None:
        super().__init__(environment.client, input)
        self._environment = environment

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        async with self._environment.time_skipping_unlocked():
            await super().fetch_next_page(page_size=page_size)
