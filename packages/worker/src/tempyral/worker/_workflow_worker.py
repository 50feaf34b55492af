"""The workflow half of a worker: poll workflow tasks, run them on the engine, shut down cleanly.

Created by :py:class:`~tempyral.worker.Worker` when given ``workflows=`` (the contract is in
``_worker``'s docstring): ``_WorkflowWorker(setup)``, ``await run()``, ``notify_shutdown()``.

Polls go to the task queue and, when the worker caches workflows (``max_cached_workflows > 0``),
to a sticky queue of its own (``<identity>-<uuid>``) that the server routes a cached run's next
tasks to. ``max_concurrent_workflow_task_polls`` poll loops (at least two with a sticky queue)
share both queues: before each poll a loop asks ``_poll_balance`` where to send it, so the polls
follow the queues' backlogs and rest at ``nonsticky_to_sticky_poll_ratio`` on the task queue.
A poll holds one of ``max_concurrent_workflow_tasks`` slots, and its task keeps the slot until it
is answered. Each task is handled by ``_workflow_task``.

Shutdown: polling stops (the worker's ``ShutdownWorker`` call also moves this worker's sticky
tasks back to the task queue), tasks in flight finish and are answered, then every cached run is
evicted. A workflow with a pending task is therefore never lost: the server hands the task to
the next worker, which replays the run from its history.

Eager workflow start: while this worker runs, the client it was given reports that the worker can
take the first workflow task of a workflow started on its task queue
(``Client._eager_workflow_start_hook``), and tasks the server returns with such a start are run
here (``Client._eager_workflow_task_hook``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_KIND_STICKY
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollWorkflowTaskQueueRequest,
    PollWorkflowTaskQueueResponse,
)
from tempyral.client import Client
from tempyral.common import logger
from tempyral.replay import Replayer
from tempyral.worker._client import worker_workflow_service
from tempyral.worker._config import PollerBehaviorAutoscaling, poller_behavior
from tempyral.worker._metrics import runtime_meter, worker_metrics
from tempyral.worker._poll_balance import StickyPollBalance
from tempyral.worker._poller import StickyPolls, TaskPoller
from tempyral.worker._poller_scaling import PollerScaler
from tempyral.worker._slots import SlotPermit, SlotPool, SlotSupplier, WorkflowSlot
from tempyral.worker._workflow_activation import ActivationRunner
from tempyral.worker._workflow_cache import WorkflowCache
from tempyral.worker._workflow_task import TaskSettings, WorkflowTaskHandler, task_logger
from tempyral.worker._workflow_threads import WorkflowThreads

__all__: list[str] = []

_DEFAULT_WORKFLOW_SLOTS = 100


@functools.cache
def _sdk_version() -> str:
    # Imported here: importlib.metadata is slow to import and is needed once a worker runs.
    # Cached: reading the installed metadata costs about a millisecond, on every worker start
    # (a test suite starts one per test).
    from importlib import metadata

    try:
        return metadata.version("tempyral-worker")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return ""


class _WorkflowWorker:
    """Polls workflow tasks of one task queue (and its sticky queue) and runs them."""

    def __init__(self, setup: Any) -> None:
        config = setup.config
        client: Client = setup.client
        self._setup = setup
        self._task_queue: str = setup.task_queue
        debug = bool(config.get("debug_mode"))
        replayer = Replayer(
            workflows=config["workflows"],
            namespace=client.namespace,
            data_converter=client.data_converter,
            workflow_failure_exception_types=config.get("workflow_failure_exception_types", ()),
            debug_mode=debug,
            header_codec_behavior=client.config()["header_codec_behavior"],
            interceptors=setup.interceptors,
            workflow_runner=config.get("workflow_runner"),
            unsandboxed_workflow_runner=config.get("unsandboxed_workflow_runner"),
        )
        replayer.metric_meter = runtime_meter(client)
        replayer.patch_activation_callback = config.get("patch_activation_callback")
        given: SlotPool | None = getattr(setup, "slots", None)
        self._slots: SlotPool = given or SlotSupplier(
            "workflow task", config.get("max_concurrent_workflow_tasks") or _DEFAULT_WORKFLOW_SLOTS
        )
        max_cached = config.get("max_cached_workflows", 1000)
        # A sticky queue needs a poll of its own besides the task queue's, so at least two slots.
        self.sticky_task_queue = (
            f"{setup.identity}-{uuid.uuid4().hex}"
            if max_cached > 0 and (self._slots.size or 2) > 1
            else ""
        )
        executor: concurrent.futures.ThreadPoolExecutor | None = config.get(
            "workflow_task_executor"
        )
        self._own_threads: WorkflowThreads | None = None
        if executor is None and not debug:
            self._own_threads = WorkflowThreads(
                self._slots.size or _DEFAULT_WORKFLOW_SLOTS, name_prefix="tempyral_workflow_"
            )
        deadlock: timedelta | None = config.get("workflow_deadlock_timeout", timedelta(seconds=2))
        runner = ActivationRunner(
            executor,
            deadlock_timeout=None if debug or deadlock is None else deadlock.total_seconds(),
            inline=debug,
            threads=self._own_threads,
        )
        activity_worker = setup.activity_worker
        cache = WorkflowCache(max_cached)
        self._handler = WorkflowTaskHandler(
            # Not a lambda over self: this worker holds the handler (a reference cycle).
            client=functools.partial(_configured_client, config),
            replayer=replayer,
            cache=cache,
            runner=runner,
            settings=TaskSettings(
                task_queue=self._task_queue,
                identity=setup.identity,
                worker_instance_key=setup.worker_instance_key,
                sticky_queue=self.sticky_task_queue,
                sticky_schedule_to_start=config["sticky_queue_schedule_to_start_timeout"],
                max_eager_activities=config["max_eager_activity_reservations_per_workflow_task"],
                eager_activities=not config.get("disable_eager_activity_execution")
                and not config.get("no_remote_activities"),
                sdk_version=_sdk_version(),
            ),
            versioning=setup.versioning,
            activity_worker=activity_worker,
            payload_errors=getattr(setup, "payload_errors", None),
        )
        self._poller: TaskPoller[PollWorkflowTaskQueueResponse] | None = None
        """Polls both queues while ``run`` runs (None before and after)."""
        self._handlers: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._scaler = _poller_scaler(config, sticky=bool(self.sticky_task_queue))
        self._balance = (
            StickyPollBalance(
                ratio=config.get("nonsticky_to_sticky_poll_ratio", 0.2),
                sticky_runs=cache.__len__,
            )
            if self.sticky_task_queue
            else None
        )

    @property
    def client(self) -> Client:
        """The worker's current client (``Worker.client`` may be set while it runs)."""
        client: Client = self._setup.config["client"]
        return client

    # -- lifecycle -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll and handle workflow tasks until :py:meth:`notify_shutdown`; raise if fatal."""
        metrics = worker_metrics(self.client, self._task_queue)
        metrics.watch_slots(self._slots, "WorkflowWorker")
        self._poller = poller = self._new_poller()
        normal_type = {"poller_type": "workflow_task"}
        if self._balance is None:
            metrics.gauge("num_pollers", poller.scaler.target, normal_type)
            poller.on_scaled = lambda count: metrics.gauge("num_pollers", count, normal_type)
        else:
            # Loops move between the queues: each kind's gauge is how many poll it now.
            sticky_type = {"poller_type": "sticky_workflow_task"}

            def split_moved(normal: int, sticky: int) -> None:
                metrics.gauge("num_pollers", normal, normal_type)
                metrics.gauge("num_pollers", sticky, sticky_type)

            self._balance.on_change = split_moved
        if self._stopping:
            poller.initiate_shutdown()
        self._set_client_hooks(active=True)
        if self._own_threads is not None and not self._stopping:
            # Started now, it is ready by the first task: started by that task, its start sat
            # on the first activation's path (0.3 to 2 ms measured; a worker per test pays it).
            self._own_threads.start_one()
        polling = asyncio.create_task(poller.run(), name=poller.name)
        try:
            try:
                await polling
            except BaseException:
                poller.initiate_shutdown()
                await asyncio.gather(polling, return_exceptions=True)
                raise
        finally:
            # The poller's poll and on_task refer to this worker: dropped once it has stopped, a
            # stopped worker is freed by reference counting, not left to the cycle collector.
            self._poller = None
            self._set_client_hooks(active=False)
            await self._finish()

    def notify_shutdown(self, *, drain_poll_seconds: float = 0.0) -> None:
        """Stop polling; tasks in flight finish (``run`` returns once they have)."""
        self._stopping = True
        if self._poller is not None:
            self._poller.initiate_shutdown(drain_seconds=drain_poll_seconds)

    async def _finish(self) -> None:
        while self._handlers:
            await asyncio.gather(*list(self._handlers), return_exceptions=True)
        for run in self._handler.cache.take_all():
            await self._handler.evict(run)
        if self._own_threads is not None:
            self._own_threads.shutdown()
        logger.debug("Workflow worker of task queue {} stopped", self._task_queue)

    # -- polling -------------------------------------------------------------------------------

    def _new_poller(self) -> TaskPoller[PollWorkflowTaskQueueResponse]:
        sticky_polls = None
        if self._balance is not None:
            sticky_queue = TaskQueue(
                name=self.sticky_task_queue,
                kind=TASK_QUEUE_KIND_STICKY,
                normal_name=self._task_queue,
            )
            sticky_polls = StickyPolls(
                poll=self._poll_function(sticky_queue, sticky=True),
                on_task=lambda task, permit: self._start(task, permit, sticky=True),
                balance=self._balance,
            )
        return TaskPoller(
            name="workflow",
            scaler=self._scaler,
            slots=self._slots,
            poll=self._poll_function(
                TaskQueue(name=self._task_queue, kind=TASK_QUEUE_KIND_NORMAL), sticky=False
            ),
            has_task=lambda task: bool(task.task_token),
            on_task=lambda task, permit: self._start(task, permit, sticky=False),
            sticky_polls=sticky_polls,
        )

    def _poll_function(
        self, queue: TaskQueue, *, sticky: bool
    ) -> Callable[[], Awaitable[PollWorkflowTaskQueueResponse]]:
        balance = self._balance

        async def poll() -> PollWorkflowTaskQueueResponse:
            client = self.client
            request = PollWorkflowTaskQueueRequest(
                namespace=client.namespace,
                task_queue=queue,
                identity=self._setup.identity,
                worker_instance_key=self._setup.worker_instance_key,
            )
            self._setup.versioning.apply_to_poll(request)
            response = await worker_workflow_service(client).poll_workflow_task_queue(
                request, retry=True
            )
            has_task = bool(response.task_token)
            if balance is not None:
                balance.returned(sticky=sticky, backlog=response.backlog_count_hint)
            metrics = worker_metrics(client, self._task_queue)
            metrics.poll_returned("workflow", has_task, response)
            return response

        return poll

    def _start(
        self, task: PollWorkflowTaskQueueResponse, permit: SlotPermit, *, sticky: bool = False
    ) -> None:
        permit.mark_used(WorkflowSlot(workflow_type=task.workflow_type.name, is_sticky=sticky))
        handler = asyncio.create_task(self._handle(task, permit), name="workflow task")
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)

    async def _handle(self, task: PollWorkflowTaskQueueResponse, permit: SlotPermit) -> None:
        try:
            await self._handler.handle(task)
        except Exception:
            task_logger(task, self._task_queue).opt(exception=True).error(
                "Handling a workflow task of {} failed unexpectedly",
                task.workflow_execution.workflow_id,
            )
        finally:
            permit.release()

    # -- eager workflow start ------------------------------------------------------------------

    def _set_client_hooks(self, *, active: bool) -> None:
        client = self.client
        if active:
            self._hooked_client = client
            client._eager_workflow_start_hook = self._can_start_eagerly
            client._eager_workflow_task_hook = self._run_eager_task
        else:
            client = getattr(self, "_hooked_client", client)
            if getattr(client, "_eager_workflow_start_hook", None) == self._can_start_eagerly:
                client._eager_workflow_start_hook = None
            if getattr(client, "_eager_workflow_task_hook", None) == self._run_eager_task:
                client._eager_workflow_task_hook = None

    def _can_start_eagerly(self, task_queue: str) -> bool:
        free = self._slots.may_have_free()
        return task_queue == self._task_queue and not self._stopping and free

    def _run_eager_task(self, task: PollWorkflowTaskQueueResponse) -> None:
        async def run() -> None:
            permit = await self._slots.reserve()
            permit.mark_used(WorkflowSlot(workflow_type=task.workflow_type.name, is_sticky=False))
            await self._handle(task, permit)

        handler = asyncio.create_task(run(), name="eager workflow task")
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)


def _poller_scaler(config: Any, *, sticky: bool) -> PollerScaler:
    """How many workflow poll loops run: the behavior's maximum (or autoscaled target), shared
    by the task queue and the sticky queue, so at least two with a sticky queue."""
    behavior = poller_behavior(config, "workflow")
    least = 2 if sticky else 1
    if isinstance(behavior, PollerBehaviorAutoscaling):
        maximum = max(behavior.maximum, least)
        minimum = max(behavior.minimum, least)
        initial = min(max(behavior.initial, minimum), maximum)
        return PollerScaler(minimum=minimum, maximum=maximum, initial=initial)
    if behavior.maximum < 1:
        raise ValueError(
            f"workflow_task_poller_behavior maximum must be at least 1, got {behavior.maximum}"
        )
    return PollerScaler.fixed(max(behavior.maximum, least))


def _configured_client(config: Mapping[str, Any]) -> Client:
    client: Client = config["client"]
    return client
