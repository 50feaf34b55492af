"""The Nexus half of a worker: poll Nexus tasks, run operation handlers, report their outcomes.

Tasks come from long polls (``PollNexusTaskQueue``, ``_poller``), each holding a Nexus slot.
A task asks to start or to cancel an operation; it runs as its own asyncio task through a
``nexusrpc`` :py:class:`~nexusrpc.handler.Handler` over the worker's service handlers (its
middleware runs the worker interceptors' ``intercept_nexus_operation`` chain). Inside, the
``tempyral.nexus`` functions see the operation (:py:class:`~tempyral.nexus._context.OperationScope`)
and workflow starts carry the caller's callback and links (``tempyral.nexus._start``).

The outcome is reported as Temporal's core SDK does (``_nexus_errors``): a response with
``RespondNexusTaskCompleted`` (a sync result, an async operation token with links, or an
operation error), a handler error with ``RespondNexusTaskFailed``. A task that is cancelled
(its ``request-timeout`` header elapsed, or the worker shut down past its graceful timeout) is
told through ``ctx.task_cancellation`` and its handler cancelled; nothing is reported, since
the server has timed the request out or will retry it elsewhere. Nothing a handler raises
stops the worker, except a broken ``nexus_task_executor``, which is fatal as in the official SDK.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import nexusrpc
import nexusrpc.handler
from nexusrpc.handler import CancelOperationContext, StartOperationContext

from tempyral.activity.runtime import CompositeEvent
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_NORMAL
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.nexus.v1 import message_pb2 as nexus_pb
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollNexusTaskQueueRequest,
    PollNexusTaskQueueResponse,
    RespondNexusTaskCompletedRequest,
    RespondNexusTaskFailedRequest,
)
from tempyral.client import Client
from tempyral.client.nexus_hooks import start_workflow_hook
from tempyral.common import logger
from tempyral.converter import DataConverter, NexusSerializationContext
from tempyral.nexus._context import Info, OperationScope, enter_scope
from tempyral.nexus._start import OperationStartHook
from tempyral.service import RPCError, RPCStatusCode
from tempyral.worker._client import worker_workflow_service
from tempyral.worker._config import PollerBehavior
from tempyral.worker._interceptor import (
    Interceptor,
)
from tempyral.worker._metrics import runtime_meter, worker_metrics
from tempyral.worker._nexus_errors import (
    encode_handler_error,
    failed_request,
    handler_error_from,
    operation_error_response,
)
from tempyral.worker._nexus_handler import PayloadInput, build_handler
from tempyral.worker._poller import TaskPoller
from tempyral.worker._poller_scaling import PollerScaler
from tempyral.worker._slots import NexusSlot, SlotPermit, SlotPool
from tempyral.worker._versioning import VersioningStrategy

__all__ = ["NexusWorker", "NexusWorkerOptions"]

_REQUEST_TIMEOUT_HEADER = "request-timeout"
_TIMEOUT = re.compile(r"^\s*(?P<value>[0-9.]+)\s*(?P<unit>ms|s|m)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class NexusWorkerOptions:
    """The worker options the Nexus half uses."""

    task_queue: str
    identity: str
    worker_instance_key: str
    pollers: PollerBehavior
    slots: SlotPool
    graceful_shutdown_timeout: timedelta = timedelta()


def parse_request_timeout(value: str) -> timedelta | None:
    """The ``request-timeout`` header (``"10s"``, ``"500ms"``, ``"1.5m"``); None if unreadable."""
    match = _TIMEOUT.match(value)
    if match is None:
        return None
    try:
        return timedelta(seconds=float(match["value"]) * _UNIT_SECONDS[match["unit"]])
    except ValueError:
        return None


class TaskCancellation(nexusrpc.handler.OperationTaskCancellation):
    """Cancellation of one Nexus task, readable from its handler's thread or coroutine."""

    def __init__(self) -> None:
        self._thread_event = threading.Event()
        self._async_event = asyncio.Event()
        self._lock = threading.Lock()
        self._reason: str | None = None

    def is_cancelled(self) -> bool:
        return self._thread_event.is_set()

    def cancellation_reason(self) -> str | None:
        with self._lock:
            return self._reason

    def wait_until_cancelled_sync(self, timeout: float | None = None) -> bool:
        return self._thread_event.wait(timeout)

    async def wait_until_cancelled(self) -> None:
        await self._async_event.wait()

    def cancel(self, reason: str) -> bool:
        with self._lock:
            if self._thread_event.is_set():
                return False
            self._reason = reason
            self._thread_event.set()
            self._async_event.set()
            return True


@dataclass
class _RunningTask:
    task: asyncio.Task[None]
    cancellation: TaskCancellation

    def cancel(self, reason: str) -> None:
        self.cancellation.cancel(reason)
        self.task.cancel()


class NexusWorker:
    """Polls one task queue for Nexus tasks and runs the service handlers on them."""

    def __init__(
        self,
        *,
        client: Client,
        service_handlers: Sequence[Any],
        executor: concurrent.futures.ThreadPoolExecutor | None,
        interceptors: Sequence[Interceptor],
        options: NexusWorkerOptions,
        versioning: VersioningStrategy,
    ) -> None:
        self.client = client
        self._options = options
        self._versioning = versioning
        self._handler = build_handler(service_handlers, executor, interceptors)
        self._running: dict[bytes, _RunningTask] = {}
        self._poller: TaskPoller[PollNexusTaskQueueResponse] | None = None
        self._shutdown_event = CompositeEvent(
            thread_event=threading.Event(), async_event=asyncio.Event()
        )
        self._fatal: asyncio.Future[BaseException] | None = None
        self._grace_task: asyncio.Task[None] | None = None
        self._shutting_down = False
        self._grace_elapsed = False

    async def run(self) -> None:
        """Poll and run Nexus tasks until :py:meth:`initiate_shutdown`; raise on a fatal error."""
        self._fatal = asyncio.get_running_loop().create_future()
        self._poller = TaskPoller(
            name="nexus",
            scaler=PollerScaler.for_behavior(self._options.pollers),
            slots=self._options.slots,
            poll=self._poll,
            has_task=lambda task: bool(task.task_token),
            on_task=self._start_task,
        )
        metrics = worker_metrics(self.client, self._options.task_queue)
        metrics.watch_slots(self._options.slots, "NexusWorker")
        metrics.gauge("num_pollers", self._poller.scaler.target, {"poller_type": "nexus_task"})
        self._poller.on_scaled = lambda count: metrics.gauge(
            "num_pollers", count, {"poller_type": "nexus_task"}
        )
        if self._shutting_down:
            self._poller.initiate_shutdown()
        polling = asyncio.create_task(self._poller.run(), name="nexus polling")
        try:
            waiters: set[asyncio.Future[Any]] = {polling, self._fatal}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            polling.cancel()
            raise
        if self._fatal.done():
            self._poller.initiate_shutdown()
            await asyncio.gather(polling, return_exceptions=True)
            raise RuntimeError("Nexus worker failed") from self._fatal.result()
        try:
            polling.result()
        except Exception as err:
            raise RuntimeError(f"Nexus worker failed: {err}") from err

    def initiate_shutdown(self, *, drain_poll_seconds: float = 0.0) -> None:
        """Stop polling, tell handlers the worker is shutting down, start the grace period."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._shutdown_event.set()
        if self._poller is not None:
            self._poller.initiate_shutdown(drain_seconds=drain_poll_seconds)
        self._grace_task = asyncio.create_task(self._cancel_after_grace(), name="nexus grace")

    async def _cancel_after_grace(self) -> None:
        await asyncio.sleep(self._options.graceful_shutdown_timeout.total_seconds())
        self._grace_elapsed = True
        for running in list(self._running.values()):
            running.cancel("WORKER_SHUTDOWN")

    async def wait_all_completed(self) -> None:
        """Wait until every started task has finished (reported, or cancelled). Never raises."""
        while self._running:
            await asyncio.gather(
                *(running.task for running in list(self._running.values())),
                return_exceptions=True,
            )
        if self._grace_task is not None:
            self._grace_task.cancel()

    # -- polling -------------------------------------------------------------------------------

    async def _poll(self) -> PollNexusTaskQueueResponse:
        request = PollNexusTaskQueueRequest(
            namespace=self.client.namespace,
            task_queue=TaskQueue(name=self._options.task_queue, kind=TASK_QUEUE_KIND_NORMAL),
            identity=self._options.identity,
            worker_instance_key=self._options.worker_instance_key,
        )
        self._versioning.apply_to_poll(request)
        service = worker_workflow_service(self.client)
        response = await service.poll_nexus_task_queue(request, retry=True)
        worker_metrics(self.client, self._options.task_queue).nexus_poll_returned(response)
        return response

    def _start_task(self, task: PollNexusTaskQueueResponse, permit: SlotPermit) -> None:
        request = task.request
        # HTTP header names are case-insensitive: handlers see them lower-cased, as core does.
        headers = {key.lower(): value for key, value in request.header.items()}
        kind = request.WhichOneof("variant")
        target = request.start_operation if kind == "start_operation" else request.cancel_operation
        permit.mark_used(NexusSlot(service=target.service, operation=target.operation))
        deadline: datetime | None = None
        timeout: timedelta | None = None
        if _REQUEST_TIMEOUT_HEADER in headers:
            timeout = parse_request_timeout(headers[_REQUEST_TIMEOUT_HEADER])
            if timeout is None:
                logger.warning(
                    "Failed to parse Nexus request-timeout header value {!r}",
                    headers[_REQUEST_TIMEOUT_HEADER],
                )
            else:
                deadline = datetime.now(timezone.utc) + timeout
        cancellation = TaskCancellation()
        handle = asyncio.create_task(
            self._handle(task, headers, cancellation, deadline), name="nexus task"
        )
        token = task.task_token
        running = _RunningTask(handle, cancellation)
        self._running[token] = running
        timer = None
        if timeout is not None:
            timer = asyncio.get_running_loop().call_later(
                timeout.total_seconds(), running.cancel, "TIMED_OUT"
            )

        def finished(_: asyncio.Task[None]) -> None:
            if timer is not None:
                timer.cancel()
            self._running.pop(token, None)
            permit.release()

        handle.add_done_callback(finished)
        if self._grace_elapsed:
            running.cancel("WORKER_SHUTDOWN")

    # -- running -------------------------------------------------------------------------------

    def _converter(self, endpoint: str, service: str, operation: str) -> DataConverter:
        return self.client.data_converter.with_context(
            NexusSerializationContext(endpoint=endpoint, service=service, operation=operation)
        )

    def _scope(self, endpoint: str, ctx: nexusrpc.handler.OperationContext) -> OperationScope:
        info = Info(
            endpoint=endpoint,
            namespace=self.client.namespace,
            task_queue=self._options.task_queue,
        )
        return OperationScope(
            client=self.client,
            info=lambda: info,
            nexus_context=ctx,
            runtime_metric_meter=runtime_meter(self.client),
            worker_shutdown_event=self._shutdown_event,
        )

    async def _handle(
        self,
        task: PollNexusTaskQueueResponse,
        headers: Mapping[str, str],
        cancellation: TaskCancellation,
        deadline: datetime | None,
    ) -> None:
        request = task.request
        start = request.WhichOneof("variant") == "start_operation"
        target = request.start_operation if start else request.cancel_operation
        converter = self._converter(request.endpoint, target.service, target.operation)
        began = time.monotonic()
        metrics = worker_metrics(self.client, self._options.task_queue)
        outcome: RespondNexusTaskCompletedRequest | RespondNexusTaskFailedRequest | None
        try:
            if start:
                response = await self._start(request, headers, cancellation, deadline, converter)
            else:
                response = await self._cancel(request, headers, cancellation, deadline)
        except asyncio.CancelledError:
            outcome = None
        except BaseException as err:  # nothing a handler raises may stop the worker
            kind = "start" if start else "cancel"
            logger.opt(exception=err).warning("Failed to execute Nexus {} operation method", kind)
            broken = isinstance(err, concurrent.futures.BrokenExecutor)
            if broken and self._fatal is not None and not self._fatal.done():
                self._fatal.set_result(err)
            outcome = await self._failed_request(task, err, converter)
        else:
            outcome = RespondNexusTaskCompletedRequest(response=response)
        if outcome is None:
            # Timed out or shut down: the server retries the request; nothing to report.
            metrics.nexus_task_done(
                task, seconds=time.monotonic() - began, failure_reason="timeout", reported=False
            )
            return
        outcome.namespace = self.client.namespace
        outcome.identity = self._options.identity
        outcome.task_token = task.task_token
        reported = await self._send(outcome)
        metrics.nexus_task_done(
            task,
            seconds=time.monotonic() - began,
            failure_reason=_failure_reason(outcome),
            reported=reported,
        )

    async def _start(
        self,
        request: nexus_pb.Request,
        headers: Mapping[str, str],
        cancellation: TaskCancellation,
        deadline: datetime | None,
        converter: DataConverter,
    ) -> nexus_pb.Response:
        start = request.start_operation
        ctx = StartOperationContext(
            service=start.service,
            operation=start.operation,
            headers=headers,
            request_id=start.request_id,
            callback_url=start.callback,
            inbound_links=[nexusrpc.Link(url=link.url, type=link.type) for link in start.links],
            callback_headers={key.lower(): value for key, value in start.callback_header.items()},
            task_cancellation=cancellation,
            request_deadline=deadline,
        )
        scope = self._scope(request.endpoint, ctx)
        enter_scope(scope)
        start_workflow_hook.set(OperationStartHook(scope, ctx))
        payload_input = nexusrpc.LazyValue(
            serializer=PayloadInput(converter, start.payload), headers={}, stream=None
        )
        try:
            result = await self._handler.start_operation(ctx, payload_input)
        except nexusrpc.OperationError as err:
            return nexus_pb.Response(start_operation=await operation_error_response(err, converter))
        links = [nexus_pb.Link(url=link.url, type=link.type) for link in ctx.outbound_links]
        if isinstance(result, nexusrpc.handler.StartOperationResultAsync):
            answer = nexus_pb.StartOperationResponse(
                async_success=nexus_pb.StartOperationResponse.Async(
                    operation_token=result.token, links=links
                )
            )
        elif isinstance(result, nexusrpc.handler.StartOperationResultSync):
            [payload] = await converter.encode([result.value])
            answer = nexus_pb.StartOperationResponse(
                sync_success=nexus_pb.StartOperationResponse.Sync(payload=payload, links=links)
            )
        else:
            raise handler_error_from(
                TypeError(
                    "Operation start method must return either "
                    "nexusrpc.handler.StartOperationResultSync or "
                    f"nexusrpc.handler.StartOperationResultAsync, got {type(result).__name__}"
                )
            )
        return nexus_pb.Response(start_operation=answer)

    async def _cancel(
        self,
        request: nexus_pb.Request,
        headers: Mapping[str, str],
        cancellation: TaskCancellation,
        deadline: datetime | None,
    ) -> nexus_pb.Response:
        cancel = request.cancel_operation
        ctx = CancelOperationContext(
            service=cancel.service,
            operation=cancel.operation,
            headers=headers,
            task_cancellation=cancellation,
            request_deadline=deadline,
        )
        enter_scope(self._scope(request.endpoint, ctx))
        await self._handler.cancel_operation(ctx, cancel.operation_token)
        return nexus_pb.Response(cancel_operation=nexus_pb.CancelOperationResponse())

    async def _failed_request(
        self, task: PollNexusTaskQueueResponse, err: BaseException, converter: DataConverter
    ) -> RespondNexusTaskFailedRequest | None:
        """The report of a handler that raised ``err`` (None: cancelled meanwhile)."""
        failure = Failure()
        try:
            await encode_handler_error(handler_error_from(err), converter, failure)
        except asyncio.CancelledError:
            return None
        except Exception as inner:
            # The failure itself cannot be built (a failing codec or converter): still answer,
            # or the caller waits for its timeout.
            logger.opt(exception=inner).error("Failed building Nexus failure for: {}", err)
            failure = Failure(message=f"Failed building exception result: {inner}")
            failure.nexus_handler_failure_info.type = nexusrpc.HandlerErrorType.INTERNAL.name
        return failed_request(
            failure,
            temporal_failures=task.request.capabilities.temporal_failure_responses,
        )

    async def _send(
        self, request: RespondNexusTaskCompletedRequest | RespondNexusTaskFailedRequest
    ) -> bool:
        """Send the report; whether the server took it."""
        service = worker_workflow_service(self.client)
        try:
            # Shielded: a response being sent is sent even if the task is cancelled meanwhile.
            if isinstance(request, RespondNexusTaskCompletedRequest):
                await asyncio.shield(service.respond_nexus_task_completed(request, retry=True))
            else:
                await asyncio.shield(service.respond_nexus_task_failed(request, retry=True))
            return True
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                logger.warning(
                    "Nexus task not found on completion; the operation may have been cancelled "
                    "or timed out meanwhile: {}",
                    err,
                )
            else:
                logger.warning("Failed to send Nexus task completion: {}", err)
        except Exception as err:
            logger.opt(exception=err).warning("Failed to send Nexus task completion")
        return False


def _failure_reason(
    outcome: RespondNexusTaskCompletedRequest | RespondNexusTaskFailedRequest,
) -> str | None:
    """The ``failure_reason`` label core gives a reported task, None when it succeeded."""
    if isinstance(outcome, RespondNexusTaskFailedRequest):
        kind = (
            outcome.failure.nexus_handler_failure_info.type
            if outcome.HasField("failure")
            else outcome.error.error_type
        )
        return f"handler_error_{kind}"
    start = outcome.response.start_operation
    if outcome.response.HasField("start_operation") and start.HasField("failure"):
        cancelled = start.failure.HasField("canceled_failure_info")
        return "operation_canceled" if cancelled else "operation_failed"
    return None
