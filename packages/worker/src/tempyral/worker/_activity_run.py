"""One activity attempt while it runs: its state, its info, and how its code is invoked.

``async def`` activities run as a task on the worker's event loop and are cancelled with
``Task.cancel()``. ``def`` activities run in the ``activity_executor``. In a thread pool,
cancelling one sets its cancelled event and, unless it opted out, raises
:py:class:`tempyral.exceptions.CancelledError` in its thread (see ``_thread_cancel``); heartbeats
from a thread are handed to the event loop, where the throttler lives. In any other executor (a
process pool), the worker's ``shared_state_manager`` supplies the cancelled and shutdown events
the other process reads and carries its heartbeats back (see ``_shared_state``); cancellation is
then only the event, which the activity must check.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tempyral.activity import ActivityCancellationDetails, Info
from tempyral.activity.runtime import (
    ActivityContext,
    ActivityDefinition,
    CancellationDetailsHolder,
    CompositeEvent,
)
from tempyral.api.dependencies.google.protobuf import duration_pb2, timestamp_pb2
from tempyral.api.workflowservice.v1.request_response_pb2 import PollActivityTaskQueueResponse
from tempyral.common import Priority, RawValue, RetryPolicy, logger
from tempyral.converter import DataConverter, PayloadConverter
from tempyral.exceptions import ApplicationError, CancelledError
from tempyral.worker._heartbeat import HeartbeatThrottler
from tempyral.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
)
from tempyral.worker._shared_state import SharedHeartbeatSender, SharedStateManager
from tempyral.worker._thread_cancel import ThreadExceptionRaiser

if TYPE_CHECKING:
    from loguru import Logger, Record

    from tempyral.worker._activity_worker import ActivityWorker

__all__ = [
    "ActivityInboundImpl",
    "ActivityOutboundImpl",
    "RunningActivity",
    "activity_logger",
    "decode_inputs",
    "info_from_task",
    "run_in_other_process",
]


@dataclass(eq=False)
class RunningActivity:
    """State of one activity attempt on this worker, from poll to reported result."""

    task_token: bytes
    is_local: bool = False
    """A local activity attempt, run for the workflow worker: no heartbeats, not reported."""
    info: Info | None = None
    task: asyncio.Task[Any] | None = None
    cancelled_event: CompositeEvent | None = None
    heartbeats: HeartbeatThrottler | None = None
    cancel_thread_raiser: ThreadExceptionRaiser | None = None
    sync: bool = False
    done: bool = False
    """The activity code has returned; a cancel can no longer interrupt anything."""
    cancelled_by_request: bool = False
    cancelled_due_to_heartbeat_error: Exception | None = None
    cancellation_details: CancellationDetailsHolder = field(
        default_factory=CancellationDetailsHolder
    )
    known_not_found: bool = False
    """The server no longer knows this attempt (timed out, not found): do not report it."""
    cancelled_for_shutdown: bool = False
    local_timeout: asyncio.Task[None] | None = None
    timeout_reset: asyncio.Event = field(default_factory=asyncio.Event)
    converter: DataConverter | None = None
    """The data converter with this attempt's serialization context."""
    log: Logger | None = None

    def prepare_for(
        self, defn: ActivityDefinition, shared: SharedStateManager | None = None
    ) -> CompositeEvent:
        """Set up cancellation for running ``defn`` (in another process when ``shared`` is
        given); return its cancelled event."""
        if defn.is_async:
            event = CompositeEvent(thread_event=threading.Event(), async_event=asyncio.Event())
        elif shared is not None:
            self.sync = True
            event = CompositeEvent(thread_event=shared.new_event(), async_event=None)
        else:
            self.sync = True
            event = CompositeEvent(thread_event=threading.Event(), async_event=None)
            if not defn.no_thread_cancel_exception:
                self.cancel_thread_raiser = ThreadExceptionRaiser()
        self.cancelled_event = event
        if self.cancellation_details.details is not None:
            # Cancelled while its arguments were being prepared.
            event.set()
        return event

    def request_cancel(self, details: ActivityCancellationDetails) -> bool:
        """Deliver a cancellation with ``details``, once; False if one was delivered already."""
        if self.cancellation_details.details is not None:
            return False
        self.cancellation_details.details = details
        self.known_not_found = self.known_not_found or details.not_found
        self.cancelled_for_shutdown = details.worker_shutdown and not details.cancel_requested
        self._cancel(by_request=details.cancel_requested or details.worker_shutdown)
        return True

    def cancel_for_heartbeat_error(self, error: Exception) -> None:
        self._cancel(heartbeat_error=error)

    def _cancel(
        self, *, by_request: bool = False, heartbeat_error: Exception | None = None
    ) -> None:
        self.cancelled_by_request = by_request
        self.cancelled_due_to_heartbeat_error = heartbeat_error
        if self.cancelled_event is not None:
            self.cancelled_event.set()
        if self.done:
            return
        if self.cancel_thread_raiser is not None:
            self.cancel_thread_raiser.raise_in_thread(CancelledError)
        if not self.sync and self.task is not None:
            self.task.cancel("Activity cancelled")


def _to_datetime(ts: timestamp_pb2.Timestamp) -> datetime:
    # Protobuf gives naive datetimes; activity times are UTC.
    return ts.ToDatetime().replace(tzinfo=timezone.utc)


def _to_timeout(task: PollActivityTaskQueueResponse, name: str) -> timedelta | None:
    if not task.HasField(name):
        return None
    duration: duration_pb2.Duration = getattr(task, name)
    if duration.seconds == 0 and duration.nanos == 0:
        return None
    return duration.ToTimedelta()


def info_from_task(
    task: PollActivityTaskQueueResponse,
    *,
    namespace: str,
    task_queue: str,
    heartbeat_details: Sequence[Any],
    is_local: bool = False,
) -> Info:
    """The :py:class:`Info` of the attempt ``task`` starts."""
    in_workflow = bool(task.workflow_execution.workflow_id)
    return Info(
        activity_id=task.activity_id,
        activity_type=task.activity_type.name,
        attempt=task.attempt,
        current_attempt_scheduled_time=_to_datetime(task.current_attempt_scheduled_time),
        heartbeat_details=heartbeat_details,
        heartbeat_timeout=_to_timeout(task, "heartbeat_timeout"),
        is_local=is_local,
        namespace=task.workflow_namespace or namespace,
        schedule_to_close_timeout=_to_timeout(task, "schedule_to_close_timeout"),
        scheduled_time=_to_datetime(task.scheduled_time),
        start_to_close_timeout=_to_timeout(task, "start_to_close_timeout"),
        started_time=_to_datetime(task.started_time),
        task_queue=task_queue,
        task_token=task.task_token,
        workflow_id=task.workflow_execution.workflow_id or None,
        workflow_namespace=task.workflow_namespace or None,
        workflow_run_id=task.workflow_execution.run_id or None,
        workflow_type=task.workflow_type.name or None,
        priority=Priority._from_proto(task.priority),
        retry_policy=(
            RetryPolicy.from_proto(task.retry_policy) if task.HasField("retry_policy") else None
        ),
        activity_run_id=None if in_workflow else (task.activity_run_id or None),
    )


async def decode_inputs(
    task: PollActivityTaskQueueResponse, defn: ActivityDefinition, converter: DataConverter
) -> tuple[list[Any], list[Any]]:
    """The activity's arguments (by its type hints) and the last attempt's heartbeat details.

    Type hints are used only when their number matches the arguments sent; the dynamic activity
    gets one list of :py:class:`tempyral.common.RawValue`.
    """
    inputs = list(task.input.payloads)
    arg_types = defn.arg_types
    if defn.name is None:
        arg_types = [RawValue] * len(inputs)
    elif arg_types is not None and len(arg_types) != len(inputs):
        arg_types = None
    try:
        args = await converter.decode(inputs, type_hints=arg_types) if inputs else []
    except Exception as err:
        raise ApplicationError("Failed decoding arguments") from err
    if defn.name is None:
        args = [args]
    details = list(task.heartbeat_details.payloads)
    try:
        heartbeat_details = await converter.decode(details) if details else []
    except Exception as err:
        raise ApplicationError("Failed decoding heartbeat details", non_retryable=True) from err
    return args, heartbeat_details


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    call = getattr(fn, "__call__", None)  # noqa: B004 - an async __call__ makes it async
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


class ActivityInboundImpl(ActivityInboundInterceptor):
    """The innermost inbound interceptor: runs the activity function."""

    def __init__(self, worker: ActivityWorker, running: RunningActivity) -> None:
        # The chain ends here: there is no next interceptor to pass to the base class.
        self._worker = worker
        self._running = running

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        # Update the context in place: interceptors may hold a reference to it.
        context = ActivityContext.current()
        context.info = outbound.info
        context.heartbeat = outbound.heartbeat

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if _is_async_callable(input.fn):
            return await input.fn(*input.args)
        context = ActivityContext.current()
        loop = asyncio.get_running_loop()
        loop_heartbeat = context.heartbeat
        assert loop_heartbeat is not None
        # The activity's context, with which heartbeats from the thread run on the loop.
        loop_context = contextvars.copy_context()

        def heartbeat_from_thread(*details: Any) -> None:
            loop.call_soon_threadsafe(loop_heartbeat, *details, context=loop_context)

        if not isinstance(input.executor, concurrent.futures.ThreadPoolExecutor):
            return await self._execute_in_process(input, context, heartbeat_from_thread)

        thread_context = ActivityContext(
            info=context.info,
            heartbeat=heartbeat_from_thread,
            cancelled_event=CompositeEvent(
                thread_event=self._cancelled_event().thread_event, async_event=None
            ),
            worker_shutdown_event=CompositeEvent(
                thread_event=context.worker_shutdown_event.thread_event, async_event=None
            ),
            shield_thread_cancel_exception=context.shield_thread_cancel_exception,
            payload_converter_instance=context.payload_converter_instance,
            runtime_metric_meter=context.runtime_metric_meter,
            client=None,
            cancellation_details=context.cancellation_details,
        )
        raiser = self._running.cancel_thread_raiser

        def run_in_thread() -> Any:
            ActivityContext.set(thread_context)
            if raiser is None:
                return input.fn(*input.args)
            with raiser.active_thread():
                return input.fn(*input.args)

        # Executor threads do not inherit context variables; give them a copy of ours.
        thread_vars = contextvars.copy_context()
        return await loop.run_in_executor(input.executor, thread_vars.run, run_in_thread)

    async def _execute_in_process(
        self,
        input: ExecuteActivityInput,
        context: ActivityContext,
        heartbeat_from_thread: Callable[..., None],
    ) -> Any:
        shared = self._worker.shared_state_manager
        assert shared is not None  # checked when the worker was created
        info = context.info()
        sender = await shared.register_heartbeater(info.task_token, heartbeat_from_thread)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                input.executor,
                run_in_other_process,
                info,
                sender,
                self._cancelled_event().thread_event,
                context.worker_shutdown_event.thread_event,
                self._worker.payload_converter_class,
                context.cancellation_details,
                input.fn,
                *input.args,
            )
        finally:
            await shared.unregister_heartbeater(info.task_token)

    def _cancelled_event(self) -> CompositeEvent:
        event = self._running.cancelled_event
        assert event is not None
        return event


def run_in_other_process(
    info: Info,
    heartbeat: SharedHeartbeatSender,
    cancelled_event: threading.Event,
    worker_shutdown_event: threading.Event,
    payload_converter_class: type[PayloadConverter],
    cancellation_details: CancellationDetailsHolder,
    fn: Callable[..., Any],
    *args: Any,
) -> Any:
    """Run a ``def`` activity in a process of an executor's (module level: it is pickled)."""

    def send_heartbeat(*details: Any) -> None:
        heartbeat.send_heartbeat(info.task_token, *details)

    ActivityContext.set(
        ActivityContext(
            info=lambda: info,
            heartbeat=send_heartbeat,
            cancelled_event=CompositeEvent(thread_event=cancelled_event, async_event=None),
            worker_shutdown_event=CompositeEvent(
                thread_event=worker_shutdown_event, async_event=None
            ),
            shield_thread_cancel_exception=None,
            payload_converter_instance=payload_converter_class(),
            runtime_metric_meter=None,
            client=None,
            cancellation_details=cancellation_details,
        )
    )
    return fn(*args)


class ActivityOutboundImpl(ActivityOutboundInterceptor):
    """The innermost outbound interceptor: the activity's info and its heartbeats."""

    def __init__(self, worker: ActivityWorker, info: Info) -> None:
        # The chain ends here: there is no next interceptor to pass to the base class.
        self._worker = worker
        self._info = info

    def info(self) -> Info:
        return self._info

    def heartbeat(self, *details: Any) -> None:
        self._worker.record_heartbeat(self._info.task_token, details)


def activity_logger(
    task: PollActivityTaskQueueResponse, *, namespace: str, task_queue: str
) -> Logger:
    """The worker's loguru logger for one attempt: its details in ``extra`` and the message."""
    details = {
        "activity_id": task.activity_id,
        "activity_type": task.activity_type.name,
        "attempt": task.attempt,
        "namespace": task.workflow_namespace or namespace,
        "task_queue": task_queue,
        "workflow_id": task.workflow_execution.workflow_id or None,
        "workflow_run_id": task.workflow_execution.run_id or None,
        "workflow_type": task.workflow_type.name or None,
    }
    suffix = " (" + ", ".join(f"{k}={v}" for k, v in details.items() if v is not None) + ")"

    def add_details(record: Record) -> None:
        record["message"] += suffix

    return logger.bind(temporal_activity=details).patch(add_details)
