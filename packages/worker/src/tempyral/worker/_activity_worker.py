"""The activity half of a worker: poll activity tasks, run them, report their outcomes.

Tasks come from long polls on the task queue (``_poller``) or, eagerly, from the workflow worker
(:py:meth:`ActivityWorker.try_reserve_eager_slot` / :py:meth:`ActivityWorker.dispatch_eager`),
which also runs local activity attempts here (:py:meth:`ActivityWorker.run_local_attempt`).
Each runs as its own asyncio task: decode the arguments by the function's type hints, build the
:py:class:`tempyral.activity.Info` and context, run the interceptor chain and the function, then
report (``_activity_report``). Heartbeats are throttled per attempt (``_heartbeat``); their
responses carry cancellation, pause and reset requests.

Like Temporal's core SDK, the worker also times an attempt out locally, 5 s after its heartbeat
timeout (reset by each heartbeat sent) or its start-to-close timeout, whichever is shorter: the
activity is cancelled and nothing is reported, since the server has already timed it out.

Shutdown: polling stops and ``activity.is_worker_shutdown()`` becomes true; running attempts get
``graceful_shutdown_timeout`` to finish, then are cancelled and reported as retryable
``WorkerShutdown`` failures, so the server retries them at once on another worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.activity import ActivityCancellationDetails
from tempyral.activity.runtime import ActivityContext, CompositeEvent
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_NORMAL
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollActivityTaskQueueRequest,
    PollActivityTaskQueueResponse,
    RecordActivityTaskHeartbeatRequest,
    RecordActivityTaskHeartbeatResponse,
)
from tempyral.client import Client
from tempyral.converter import ActivitySerializationContext, DataConverter, PayloadConverter
from tempyral.exceptions import ApplicationError
from tempyral.worker._activity_registry import ActivityRegistry
from tempyral.worker._activity_report import Outcome, outcome_from_error, send_outcome
from tempyral.worker._activity_run import (
    ActivityInboundImpl,
    ActivityOutboundImpl,
    RunningActivity,
    activity_logger,
    decode_inputs,
    info_from_task,
)
from tempyral.worker._activity_watch import arm_local_timeout, heartbeat_failed, new_throttler
from tempyral.worker._client import worker_workflow_service
from tempyral.worker._config import PollerBehavior, PollerBehaviorSimpleMaximum
from tempyral.worker._interceptor import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)
from tempyral.worker._metrics import activity_labels, runtime_meter, worker_metrics
from tempyral.worker._payload_errors import PayloadErrorLimits, PayloadsTooLargeError
from tempyral.worker._poller import TaskPoller
from tempyral.worker._poller_scaling import PollerScaler
from tempyral.worker._shared_state import SharedStateManager
from tempyral.worker._slots import ActivitySlot, RateLimiter, SlotPermit, SlotPool, SlotSupplier
from tempyral.worker._versioning import VersioningStrategy

if TYPE_CHECKING:
    from loguru import Logger

__all__ = ["ActivityWorker", "ActivityWorkerOptions"]


@dataclass(frozen=True)
class ActivityWorkerOptions:
    """The worker options the activity half uses."""

    task_queue: str
    identity: str
    worker_instance_key: str
    max_concurrent_activities: int = 100
    max_concurrent_local_activities: int = 100
    max_pollers: int = 5
    pollers: PollerBehavior | None = None
    """How many polls run (None: ``max_pollers`` of them)."""
    slots: SlotPool | None = None
    """Activity slots (None: fixed, ``max_concurrent_activities`` of them)."""
    local_slots: SlotPool | None = None
    """Local activity slots (None: fixed, ``max_concurrent_local_activities`` of them)."""
    max_activities_per_second: float | None = None
    max_task_queue_activities_per_second: float | None = None
    default_heartbeat_throttle_interval: timedelta = timedelta(seconds=30)
    max_heartbeat_throttle_interval: timedelta = timedelta(seconds=60)
    graceful_shutdown_timeout: timedelta = timedelta()
    local_timeout_buffer: timedelta = timedelta(seconds=5)
    disable_eager_activity_execution: bool = False
    encode_headers: bool = False


class ActivityWorker:
    """Polls one task queue for activity tasks and runs them."""

    def __init__(
        self,
        *,
        client: Client,
        activities: Sequence[Callable[..., Any]],
        activity_executor: concurrent.futures.Executor | None,
        interceptors: Sequence[Interceptor],
        options: ActivityWorkerOptions,
        versioning: VersioningStrategy,
        shared_state_manager: SharedStateManager | None = None,
        payload_errors: PayloadErrorLimits | None = None,
    ) -> None:
        self._payload_errors = payload_errors or PayloadErrorLimits()
        self.registry = ActivityRegistry(
            activities,
            activity_executor=activity_executor,
            shared_state_manager=shared_state_manager,
        )
        self.client = client
        self._executor = activity_executor
        # Set (and checked) when ``def`` activities run in an executor other than a thread pool.
        self.shared_state_manager = (
            None
            if isinstance(activity_executor, concurrent.futures.ThreadPoolExecutor)
            else shared_state_manager
        )
        self._shutdown_event_crosses_processes = False
        self._interceptors = list(interceptors)
        self._options = options
        self._versioning = versioning
        self._running: dict[bytes, RunningActivity] = {}
        self._local_running: set[RunningActivity] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._slots: SlotPool = options.slots or SlotSupplier(
            "activity", options.max_concurrent_activities
        )
        self.local_slots: SlotPool = options.local_slots or SlotSupplier(
            "local activity", options.max_concurrent_local_activities
        )
        self._poller: TaskPoller[PollActivityTaskQueueResponse] | None = None
        self._worker_shutdown_event: CompositeEvent | None = None
        self._fatal: asyncio.Future[BaseException] | None = None
        self._grace_task: asyncio.Task[None] | None = None
        self._shutting_down = False
        self._grace_elapsed = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        return self.client.namespace

    @property
    def payload_converter_class(self) -> type[PayloadConverter]:
        """What ``def`` activities in other processes build their payload converter from."""
        converter_class: type[PayloadConverter] = self.client.data_converter.payload_converter_class
        return converter_class

    @property
    def slots(self) -> SlotPool:
        return self._slots

    def _ensure_loop_state(self) -> None:
        if self._worker_shutdown_event is None:
            self._worker_shutdown_event = CompositeEvent(
                thread_event=threading.Event(), async_event=asyncio.Event()
            )
        if self._fatal is None:
            self._fatal = asyncio.get_running_loop().create_future()

    async def run(self) -> None:
        """Poll and run activities until :py:meth:`initiate_shutdown`; raise on a fatal error."""
        self._ensure_loop_state()
        assert self._fatal is not None
        rate = self._options.max_activities_per_second
        self._poller = TaskPoller(
            name="activity",
            scaler=PollerScaler.for_behavior(
                self._options.pollers or PollerBehaviorSimpleMaximum(self._options.max_pollers)
            ),
            slots=self._slots,
            poll=self._poll,
            has_task=lambda task: bool(task.task_token),
            on_task=self._start_task,
            rate_limiter=RateLimiter(rate) if rate is not None else None,
        )
        metrics = worker_metrics(self.client, self._options.task_queue)
        metrics.watch_activity_worker(self._slots, self.local_slots, self._poller.scaler.target)
        self._poller.on_scaled = lambda count: metrics.gauge(
            "num_pollers", count, {"poller_type": "activity_task"}
        )
        if self._shutting_down:
            self._poller.initiate_shutdown()
        polling = asyncio.create_task(self._poller.run(), name="activity polling")
        try:
            await self._poll_until_done(polling)
        finally:
            if polling.done():
                # The poller's poll and on_task are this worker's bound methods: dropped once
                # it has stopped, a stopped worker is freed by reference counting.
                self._poller = None

    async def _poll_until_done(self, polling: asyncio.Task[None]) -> None:
        assert self._fatal is not None
        assert self._poller is not None
        waiters: set[asyncio.Future[Any]] = {polling, self._fatal}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            polling.cancel()
            raise
        if self._fatal.done():
            self._poller.initiate_shutdown()
            await asyncio.gather(polling, return_exceptions=True)
            raise RuntimeError("Activity worker failed") from self._fatal.result()
        try:
            polling.result()
        except Exception as err:
            raise RuntimeError(f"Activity worker failed: {err}") from err

    def initiate_shutdown(self, *, drain_poll_seconds: float = 0.0) -> None:
        """Stop polling, tell activities the worker is shutting down, start the grace period."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._ensure_loop_state()
        assert self._worker_shutdown_event is not None
        self._worker_shutdown_event.set()
        if self._poller is not None:
            self._poller.initiate_shutdown(drain_seconds=drain_poll_seconds)
        self._grace_task = asyncio.create_task(self._cancel_after_grace(), name="activity grace")

    async def _cancel_after_grace(self) -> None:
        await asyncio.sleep(self._options.graceful_shutdown_timeout.total_seconds())
        self._grace_elapsed = True
        for running in [*self._running.values(), *self._local_running]:
            running.request_cancel(ActivityCancellationDetails(worker_shutdown=True))

    async def wait_all_completed(self) -> None:
        """Wait until every started attempt has finished and been reported. Never raises."""
        while self._handlers:
            await asyncio.gather(*list(self._handlers), return_exceptions=True)
        if self._grace_task is not None:
            self._grace_task.cancel()

    # -- eager activities (called by the workflow worker) -----------------------------------

    @property
    def eager_enabled(self) -> bool:
        """Whether workflow tasks may request eager execution of activities on this worker."""
        return (
            not self._options.disable_eager_activity_execution
            and self._options.max_task_queue_activities_per_second is None
            and not self._shutting_down
        )

    def try_reserve_eager_slot(self) -> SlotPermit | None:
        """A slot for an activity the workflow worker asks to run eagerly, or None."""
        return self._slots.try_reserve() if self.eager_enabled else None

    def dispatch_eager(self, task: PollActivityTaskQueueResponse, permit: SlotPermit) -> None:
        """Run an activity task the server returned with a workflow task completion."""
        if not task.task_token:
            permit.release()
            return
        metrics = worker_metrics(self.client, self._options.task_queue)
        metrics.poll_returned("activity", True, task)
        metrics.count("activity_task_received", activity_labels(task, eager=True))
        self._start_task(task, permit)

    # -- local activities (called by the workflow worker) ------------------------------------

    @property
    def grace_elapsed(self) -> bool:
        """Shutting down and the grace period is over: attempts are being cancelled."""
        return self._grace_elapsed

    def start_local_attempt(
        self, task: PollActivityTaskQueueResponse, running: RunningActivity
    ) -> asyncio.Task[Outcome]:
        """Run one attempt of a local activity described by ``task`` (its ``task_token`` any
        unique bytes); the caller holds a local activity slot and owns timeouts, retries and
        markers. The attempt runs like any activity (``info().is_local`` is true, heartbeats are
        ignored); the returned task resolves with its outcome (never raises), not reported.
        """
        running.is_local = True
        attempt = asyncio.create_task(self._run_local(task, running), name="local activity")
        running.task = attempt
        self._handlers.add(attempt)
        self._local_running.add(running)
        attempt.add_done_callback(self._handlers.discard)
        attempt.add_done_callback(lambda _: self._local_running.discard(running))
        if self._grace_elapsed:
            running.request_cancel(ActivityCancellationDetails(worker_shutdown=True))
        return attempt

    async def _run_local(
        self, task: PollActivityTaskQueueResponse, running: RunningActivity
    ) -> Outcome:
        activity_log = activity_logger(
            task, namespace=self.namespace, task_queue=self._options.task_queue
        )
        converter = self.client.data_converter.with_context(
            self._serialization(task, is_local=True)
        )
        return await self._run_attempt(task, running, converter, activity_log)

    # -- polling and running -----------------------------------------------------------------

    async def _poll(self) -> PollActivityTaskQueueResponse:
        request = PollActivityTaskQueueRequest(
            namespace=self.namespace,
            task_queue=TaskQueue(name=self._options.task_queue, kind=TASK_QUEUE_KIND_NORMAL),
            identity=self._options.identity,
            worker_instance_key=self._options.worker_instance_key,
        )
        per_second = self._options.max_task_queue_activities_per_second
        if per_second is not None:
            request.task_queue_metadata.max_tasks_per_second.value = per_second
        self._versioning.apply_to_poll(request)
        response = await worker_workflow_service(self.client).poll_activity_task_queue(
            request, retry=True
        )
        metrics = worker_metrics(self.client, self._options.task_queue)
        metrics.poll_returned("activity", bool(response.task_token), response)
        if response.task_token:
            metrics.count("activity_task_received", activity_labels(response, eager=False))
        return response

    def _start_task(self, task: PollActivityTaskQueueResponse, permit: SlotPermit) -> None:
        permit.mark_used(ActivitySlot(activity_type=task.activity_type.name))
        running = RunningActivity(task_token=task.task_token)
        self._running[task.task_token] = running
        handler = asyncio.create_task(self._handle(task, running, permit), name="activity")
        running.task = handler
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        if self._grace_elapsed:
            running.request_cancel(ActivityCancellationDetails(worker_shutdown=True))

    async def _handle(
        self, task: PollActivityTaskQueueResponse, running: RunningActivity, permit: SlotPermit
    ) -> None:
        activity_log = activity_logger(
            task, namespace=self.namespace, task_queue=self._options.task_queue
        )
        received = time.monotonic()
        try:
            activity_log.debug("Running activity")
            converter = self.client.data_converter.with_context(self._serialization(task))
            running.local_timeout = arm_local_timeout(
                task, running, activity_log, buffer=self._options.local_timeout_buffer
            )
            outcome = await self._run_attempt(task, running, converter, activity_log)
            # Not kept once cancelled: its CancelledError's traceback holds the timer's frame,
            # which refers to ``running`` (a cycle left to the cycle collector).
            local_timeout, running.local_timeout = running.local_timeout, None
            if local_timeout is not None:
                local_timeout.cancel()
            if running.heartbeats is not None:
                await running.heartbeats.close(
                    flush=outcome.flushes_heartbeat and not running.known_not_found
                )
                # Closed, it takes no more heartbeats; its sender refers to ``running`` (a cycle).
                running.heartbeats = None
            if running.known_not_found or outcome.kind == "async":
                return
            await send_outcome(
                worker_workflow_service(self.client),
                outcome,
                task_token=task.task_token,
                namespace=self.namespace,
                identity=self._options.identity,
                versioning=self._versioning,
                give_up_at=received + self._report_horizon(task),
                activity_log=activity_log,
                payload_errors=self._payload_errors,
            )
        except Exception:
            activity_log.exception("Failed completing activity task")
        finally:
            local_timeout, running.local_timeout = running.local_timeout, None
            if local_timeout is not None:
                local_timeout.cancel()
            self._running.pop(task.task_token, None)
            permit.release()

    def _report_horizon(self, task: PollActivityTaskQueueResponse) -> float:
        """Seconds after receipt during which reporting the outcome is still worth retrying."""
        for name in ("start_to_close_timeout", "schedule_to_close_timeout"):
            if task.HasField(name):
                seconds = float(getattr(task, name).ToTimedelta().total_seconds())
                if seconds > 0:
                    return seconds + self._options.local_timeout_buffer.total_seconds()
        return 300.0

    def _serialization(
        self, task: PollActivityTaskQueueResponse, *, is_local: bool = False
    ) -> ActivitySerializationContext:
        return ActivitySerializationContext(
            namespace=task.workflow_namespace or self.namespace,
            activity_id=task.activity_id or None,
            activity_type=task.activity_type.name or None,
            activity_task_queue=self._options.task_queue,
            workflow_id=task.workflow_execution.workflow_id or None,
            workflow_type=task.workflow_type.name or None,
            is_local=is_local,
        )

    async def _run_attempt(
        self,
        task: PollActivityTaskQueueResponse,
        running: RunningActivity,
        converter: DataConverter,
        activity_log: Logger,
    ) -> Outcome:
        started = time.monotonic()
        outcome = await self._attempt_outcome(task, running, converter, activity_log)
        worker_metrics(self.client, self._options.task_queue).activity_attempt(
            outcome.kind,
            local=running.is_local,
            seconds=time.monotonic() - started,
            scheduled=task.scheduled_time if task.HasField("scheduled_time") else None,
            attributes=activity_labels(task),
        )
        return outcome

    async def _attempt_outcome(
        self,
        task: PollActivityTaskQueueResponse,
        running: RunningActivity,
        converter: DataConverter,
        activity_log: Logger,
    ) -> Outcome:
        try:
            try:
                result = await self._execute(task, running, converter, activity_log)
            finally:
                # From here on a cancel must not interrupt reporting the outcome.
                running.done = True
            [payload] = await converter.encode([result])
            return Outcome("completed", result=payload)
        except BaseException as err:
            try:
                outcome, broken = await outcome_from_error(err, running, converter, activity_log)
            except Exception as inner:
                activity_log.exception("Exception handling failed, original error: {}", err)
                failure = Failure(
                    message=f"Failed building exception result: {inner}",
                    application_failure_info=ApplicationFailureInfo(),
                )
                return Outcome("failed", failure=failure)
            if broken is not None and self._fatal is not None and not self._fatal.done():
                self._fatal.set_result(broken)
            return outcome

    async def _execute(
        self,
        task: PollActivityTaskQueueResponse,
        running: RunningActivity,
        converter: DataConverter,
        activity_log: Logger,
    ) -> Any:
        activity_type = task.activity_type.name
        defn = self.registry.find(activity_type)
        if defn is None:
            raise ApplicationError(
                f"Activity function {activity_type} for workflow "
                f"{task.workflow_execution.workflow_id} is not registered on this worker, "
                f"available activities: {self.registry.names_text()}",
                type="NotFoundError",
            )
        self._ensure_loop_state()
        shared = None if defn.is_async else self.shared_state_manager
        cancelled_event = running.prepare_for(defn, shared)
        if shared is not None and not self._shutdown_event_crosses_processes:
            # The first attempt in another process: the shutdown flag must reach it too.
            assert self._worker_shutdown_event is not None
            self._worker_shutdown_event.thread_event = shared.new_event()
            self._shutdown_event_crosses_processes = True
        args, heartbeat_details = await decode_inputs(task, defn, converter)
        info = info_from_task(
            task,
            namespace=self.namespace,
            task_queue=self._options.task_queue,
            heartbeat_details=heartbeat_details,
            is_local=running.is_local,
        )
        running.info = info
        running.converter = converter
        running.log = activity_log
        if not running.is_local:
            running.heartbeats = new_throttler(
                running,
                send=self._record_heartbeat_rpc,
                namespace=self.namespace,
                identity=self._options.identity,
                default_interval=self._options.default_heartbeat_throttle_interval,
                max_interval=self._options.max_heartbeat_throttle_interval,
            )
        headers: dict[str, Payload] = dict(task.header.fields)
        if self._options.encode_headers:
            for key, payload in headers.items():
                headers[key] = await converter._transform_inbound_payload(payload)
        raiser = running.cancel_thread_raiser
        assert self._worker_shutdown_event is not None
        ActivityContext.set(
            ActivityContext(
                info=lambda: info,
                heartbeat=None,
                cancelled_event=cancelled_event,
                worker_shutdown_event=self._worker_shutdown_event,
                shield_thread_cancel_exception=raiser.shielded if raiser is not None else None,
                payload_converter_instance=converter.payload_converter,
                runtime_metric_meter=runtime_meter(self.client),
                client=self.client if defn.is_async else None,
                cancellation_details=running.cancellation_details,
            )
        )
        impl: ActivityInboundInterceptor = ActivityInboundImpl(self, running)
        for interceptor in reversed(self._interceptors):
            impl = interceptor.intercept_activity(impl)
        impl.init(ActivityOutboundImpl(self, info))
        return await impl.execute_activity(
            ExecuteActivityInput(
                fn=defn.fn,
                args=args,
                executor=self._executor if running.sync else None,
                headers=headers,
            )
        )

    # -- heartbeats ---------------------------------------------------------------------------

    def record_heartbeat(self, task_token: bytes, details: Sequence[Any]) -> None:
        """``activity.heartbeat(*details)`` of the attempt ``task_token`` (on the loop thread)."""
        running = self._running.get(task_token)
        if running is None or running.done or running.heartbeats is None:
            return
        assert running.converter is not None
        try:
            payloads = running.converter.payload_converter.to_payloads(details)
        except Exception as err:
            heartbeat_failed(running, err)
            return
        running.heartbeats.record(payloads)

    async def _record_heartbeat_rpc(
        self, request: RecordActivityTaskHeartbeatRequest
    ) -> RecordActivityTaskHeartbeatResponse:
        too_large = self._payload_errors.violation(request)
        if too_large is not None:  # the attempt fails with it, as for unconvertible details
            raise PayloadsTooLargeError(too_large)
        service = worker_workflow_service(self.client)
        return await service.record_activity_task_heartbeat(request, retry=True)
