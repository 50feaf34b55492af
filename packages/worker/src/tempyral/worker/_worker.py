"""``Worker``: runs workflows and activities from a task queue.

Lifecycle, as in the official SDK:

1. ``Worker(...)`` checks its options, workflows and activities (errors name what is wrong).
2. :py:meth:`Worker.run` checks the namespace and reads the server's capabilities, then polls
   until :py:meth:`Worker.shutdown` is called, the task running it is cancelled, or a fatal error
   occurs (raised from ``run``, after ``on_fatal_error``).
3. Shutdown: polling stops (``ShutdownWorker`` tells the server, which also moves the worker's
   sticky workflow tasks back to the task queue), ``activity.is_worker_shutdown()`` becomes true,
   workflow tasks in flight are finished and cached workflows evicted, running activities get
   ``graceful_shutdown_timeout`` to finish before they are cancelled, and ``run`` returns once
   every outcome is reported.

A server that goes away does not stop the worker: polls and reports are retried with backoff
until it is back. Workflow tasks are handled by the workflow worker,
``tempyral.worker._workflow_worker._WorkflowWorker(setup: WorkflowWorkerSetup)`` with
``async run()`` and ``notify_shutdown()``; activities by ``_activity_worker``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from tempyral.client import Client
from tempyral.common import logger
from tempyral.replay import PatchActivationInput
from tempyral.worker._client import (
    decode_headers_with_codec,
    worker_service_client,
    worker_workflow_service,
)
from tempyral.worker._config import (
    PollerBehavior,
    PollerBehaviorSimpleMaximum,
    WorkerConfig,
    activity_poller_count,
    debug_mode_from_environment,
    poller_behavior,
    validate_config,
)
from tempyral.worker._interceptor import Interceptor
from tempyral.worker._metrics import worker_metrics
from tempyral.worker._payload_errors import PayloadErrorLimits
from tempyral.worker._plugin import Plugin, worker_plugins
from tempyral.worker._runners import (
    SandboxedWorkflowRunner,
    UnsandboxedWorkflowRunner,
    WorkflowRunner,
)
from tempyral.worker._server import ServerFacts, server_facts, shutdown_worker
from tempyral.worker._shared_state import SharedStateManager
from tempyral.worker._slot_suppliers import worker_slots
from tempyral.worker._slots import SlotPool
from tempyral.worker._tuner import WorkerTuner
from tempyral.worker._versioning import (
    VersioningStrategy,
    WorkerDeploymentConfig,
    check_server_support,
    load_default_build_id,
)

if TYPE_CHECKING:
    from tempyral.worker._activity_worker import ActivityWorker, ActivityWorkerOptions
    from tempyral.worker._nexus_worker import NexusWorker

__all__ = ["Worker", "WorkflowWorkerSetup"]

_POLL_DRAIN_SECONDS = 10.0


@dataclass(frozen=True)
class WorkflowWorkerSetup:
    """What the workflow worker receives from the :py:class:`Worker` that owns it."""

    client: Client
    config: WorkerConfig
    task_queue: str
    identity: str
    worker_instance_key: str
    interceptors: Sequence[Interceptor]
    versioning: VersioningStrategy
    activity_worker: ActivityWorker | None
    """For eager activities (``try_reserve_eager_slot`` / ``dispatch_eager``) and checking local
    activity names (``registry.assert_valid``)."""
    slots: SlotPool | None = None
    """The workflow task slots (None: fixed, from ``max_concurrent_workflow_tasks``)."""
    payload_errors: PayloadErrorLimits | None = None
    """The namespace's payload error limits (filled in when the worker starts)."""


class _WorkflowWorkerLike(Protocol):
    sticky_task_queue: str

    async def run(self) -> None: ...

    def notify_shutdown(self, *, drain_poll_seconds: float = 0.0) -> None: ...


class Worker:
    """Worker to process workflows and/or activities.

    Run it with :py:meth:`run` and stop it with :py:meth:`shutdown`, or use ``async with``.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        activities: Sequence[Callable[..., Any]] = (),
        nexus_service_handlers: Sequence[Any] = (),
        workflows: Sequence[type] = (),
        activity_executor: concurrent.futures.Executor | None = None,
        workflow_task_executor: concurrent.futures.ThreadPoolExecutor | None = None,
        nexus_task_executor: concurrent.futures.ThreadPoolExecutor | None = None,
        workflow_runner: WorkflowRunner = SandboxedWorkflowRunner(),  # noqa: B008
        unsandboxed_workflow_runner: WorkflowRunner = UnsandboxedWorkflowRunner(),  # noqa: B008
        plugins: Sequence[Plugin] = (),
        interceptors: Sequence[Interceptor] = (),
        build_id: str | None = None,
        identity: str | None = None,
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: int | None = None,
        max_concurrent_activities: int | None = None,
        max_concurrent_local_activities: int | None = None,
        max_concurrent_nexus_tasks: int | None = None,
        tuner: WorkerTuner | None = None,
        max_concurrent_workflow_task_polls: int | None = None,
        nonsticky_to_sticky_poll_ratio: float = 0.2,
        max_concurrent_activity_task_polls: int | None = None,
        no_remote_activities: bool = False,
        sticky_queue_schedule_to_start_timeout: timedelta = timedelta(seconds=10),
        max_heartbeat_throttle_interval: timedelta = timedelta(seconds=60),
        default_heartbeat_throttle_interval: timedelta = timedelta(seconds=30),
        max_activities_per_second: float | None = None,
        max_task_queue_activities_per_second: float | None = None,
        max_eager_activity_reservations_per_workflow_task: int = 3,
        graceful_shutdown_timeout: timedelta = timedelta(),
        plugin_shutdown_timeout: timedelta | None = timedelta(seconds=60),
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        shared_state_manager: SharedStateManager | None = None,
        debug_mode: bool = False,
        disable_eager_activity_execution: bool = False,
        on_fatal_error: Callable[[BaseException], Awaitable[None]] | None = None,
        use_worker_versioning: bool = False,
        disable_safe_workflow_eviction: bool = False,
        deployment_config: WorkerDeploymentConfig | None = None,
        patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
        workflow_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # noqa: B008
        activity_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # noqa: B008
        nexus_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # noqa: B008
        disable_payload_error_limit: bool = False,
        max_workflow_task_external_storage_concurrency: int = 3,
        workflow_deadlock_timeout: timedelta | None = timedelta(seconds=2),
    ) -> None:
        """Create a worker to process workflows and/or activities.

        The arguments are the official ``temporalio.worker.Worker``'s; see its documentation.
        tempyral raises :py:class:`NotImplementedError` for the options it cannot honour yet
        (non-thread activity executors).

        ``plugins`` follow the plugins of ``client`` that are worker plugins too; each one's
        ``configure_worker`` rewrites the configuration before it is checked and used.

        One argument is tempyral's own: ``workflow_deadlock_timeout``, how long workflow code may
        hold its thread before its task fails with a deadlock error showing where it is stuck
        (the official SDK fixes it at 2 s). ``None`` disables detection, as ``debug_mode=True``
        (or ``TEMPYRAL_DEBUG``/``TEMPORAL_DEBUG`` set in the environment) does.
        """
        config = WorkerConfig(
            client=client,
            task_queue=task_queue,
            activities=activities,
            nexus_service_handlers=nexus_service_handlers,
            workflows=workflows,
            activity_executor=activity_executor,
            workflow_task_executor=workflow_task_executor,
            nexus_task_executor=nexus_task_executor,
            workflow_runner=workflow_runner,
            unsandboxed_workflow_runner=unsandboxed_workflow_runner,
            plugins=plugins,
            interceptors=interceptors,
            build_id=build_id,
            identity=identity,
            max_cached_workflows=max_cached_workflows,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
            max_concurrent_activities=max_concurrent_activities,
            max_concurrent_local_activities=max_concurrent_local_activities,
            max_concurrent_nexus_tasks=max_concurrent_nexus_tasks,
            tuner=tuner,
            max_concurrent_workflow_task_polls=max_concurrent_workflow_task_polls,
            nonsticky_to_sticky_poll_ratio=nonsticky_to_sticky_poll_ratio,
            max_concurrent_activity_task_polls=max_concurrent_activity_task_polls,
            no_remote_activities=no_remote_activities,
            sticky_queue_schedule_to_start_timeout=sticky_queue_schedule_to_start_timeout,
            max_heartbeat_throttle_interval=max_heartbeat_throttle_interval,
            default_heartbeat_throttle_interval=default_heartbeat_throttle_interval,
            max_activities_per_second=max_activities_per_second,
            max_task_queue_activities_per_second=max_task_queue_activities_per_second,
            max_eager_activity_reservations_per_workflow_task=max_eager_activity_reservations_per_workflow_task,
            graceful_shutdown_timeout=graceful_shutdown_timeout,
            plugin_shutdown_timeout=plugin_shutdown_timeout,
            workflow_failure_exception_types=workflow_failure_exception_types,
            shared_state_manager=shared_state_manager,
            debug_mode=debug_mode or debug_mode_from_environment(),
            disable_eager_activity_execution=disable_eager_activity_execution,
            on_fatal_error=on_fatal_error,
            use_worker_versioning=use_worker_versioning,
            disable_safe_workflow_eviction=disable_safe_workflow_eviction,
            deployment_config=deployment_config,
            patch_activation_callback=patch_activation_callback,
            workflow_task_poller_behavior=workflow_task_poller_behavior,
            activity_task_poller_behavior=activity_task_poller_behavior,
            nexus_task_poller_behavior=nexus_task_poller_behavior,
            disable_payload_error_limit=disable_payload_error_limit,
            max_workflow_task_external_storage_concurrency=max_workflow_task_external_storage_concurrency,
            workflow_deadlock_timeout=workflow_deadlock_timeout,
        )
        self._initial_config = config.copy()
        self._plugins = worker_plugins(client, plugins)
        for plugin in self._plugins:
            config = plugin.configure_worker(config)
        validate_config(config)
        self._config = config
        # From here on only the configuration counts: plugins may have changed any of it.
        client = config["client"]
        activities = config.get("activities") or ()
        workflows = config.get("workflows") or ()
        activity_executor = config.get("activity_executor")
        build_id = config.get("build_id")
        use_worker_versioning = config.get("use_worker_versioning", False)
        deployment_config = config.get("deployment_config")
        self._instance_key = str(uuid.uuid4())
        client_interceptors = client.config(active_config=True)["interceptors"]
        from_client = [i for i in client_interceptors if isinstance(i, Interceptor)]
        self._interceptors = [*from_client, *(config.get("interceptors") or ())]
        self._versioning = VersioningStrategy(
            build_id=(deployment_config.version.build_id if deployment_config else build_id) or "",
            use_build_id_versioning=use_worker_versioning,
            deployment=deployment_config,
        )
        self._slots = worker_slots(
            config,
            identity=self.identity,
            build_id=self._versioning.build_id,
            deployment_version=deployment_config.version if deployment_config else None,
        )
        # Shared with the task handlers; the limits are read from the server when the worker starts.
        self._payload_errors = PayloadErrorLimits()
        # Each half of the worker (activities, workflows, Nexus) is imported here, when given
        # something to run: an activity-only worker never loads the workflow task machinery,
        # nor a workflow-only one the activity runner.
        self._activity_worker: ActivityWorker | None = None
        if activities:
            from tempyral.worker._activity_worker import ActivityWorker

            self._activity_worker = ActivityWorker(
                client=client,
                activities=activities,
                activity_executor=activity_executor,
                interceptors=self._interceptors,
                options=self._activity_options(config),
                versioning=self._versioning,
                shared_state_manager=config.get("shared_state_manager"),
                payload_errors=self._payload_errors,
            )
        self._nexus_worker: NexusWorker | None = None
        if config.get("nexus_service_handlers"):
            self._nexus_worker = self._new_nexus_worker(client, config)
        self._workflow_worker: _WorkflowWorkerLike | None = None
        if workflows:
            self._workflow_worker = self._new_workflow_worker(client, config)
        self._started = False
        self._shutdown_event = asyncio.Event()
        self._shutdown_complete_event = asyncio.Event()
        self._async_context_inner_task: asyncio.Task[Any] | None = None
        self._async_context_run_task: asyncio.Task[None] | None = None
        self._async_context_run_exception: BaseException | None = None
        self._async_context_exiting = False
        self._server: ServerFacts | None = None

    def _activity_options(self, config: WorkerConfig) -> ActivityWorkerOptions:
        from tempyral.worker._activity_worker import ActivityWorkerOptions

        client = config["client"]
        return ActivityWorkerOptions(
            task_queue=config["task_queue"],
            identity=self.identity,
            worker_instance_key=self._instance_key,
            max_concurrent_activities=config.get("max_concurrent_activities") or 100,
            max_concurrent_local_activities=config.get("max_concurrent_local_activities") or 100,
            max_pollers=activity_poller_count(config),
            pollers=poller_behavior(config, "activity"),
            slots=self._slots.activity,
            local_slots=self._slots.local_activity,
            max_activities_per_second=config.get("max_activities_per_second"),
            max_task_queue_activities_per_second=config.get("max_task_queue_activities_per_second"),
            default_heartbeat_throttle_interval=config["default_heartbeat_throttle_interval"],
            max_heartbeat_throttle_interval=config["max_heartbeat_throttle_interval"],
            graceful_shutdown_timeout=config["graceful_shutdown_timeout"],
            disable_eager_activity_execution=config["disable_eager_activity_execution"],
            encode_headers=decode_headers_with_codec(client),
        )

    def _new_nexus_worker(self, client: Client, config: WorkerConfig) -> NexusWorker:
        # It brings tempyral.nexus and nexusrpc, which a worker without Nexus services never uses.
        from tempyral.worker._nexus_worker import NexusWorker, NexusWorkerOptions

        return NexusWorker(
            client=client,
            service_handlers=config.get("nexus_service_handlers") or (),
            executor=config.get("nexus_task_executor"),
            interceptors=self._interceptors,
            options=NexusWorkerOptions(
                task_queue=config["task_queue"],
                identity=self.identity,
                worker_instance_key=self._instance_key,
                pollers=poller_behavior(config, "nexus"),
                slots=self._slots.nexus,
                graceful_shutdown_timeout=config["graceful_shutdown_timeout"],
            ),
            versioning=self._versioning,
        )

    def _new_workflow_worker(self, client: Client, config: WorkerConfig) -> _WorkflowWorkerLike:
        setup = WorkflowWorkerSetup(
            client=client,
            config=config,
            task_queue=config["task_queue"],
            identity=self.identity,
            worker_instance_key=self._instance_key,
            interceptors=self._interceptors,
            versioning=self._versioning,
            activity_worker=self._activity_worker,
            slots=self._slots.workflow,
            payload_errors=self._payload_errors,
        )
        from tempyral.worker._workflow_worker import _WorkflowWorker

        return _WorkflowWorker(setup)

    # -- properties ----------------------------------------------------------------------------

    def config(self, *, active_config: bool = False) -> WorkerConfig:
        """Config, as a dictionary, used to create this worker (shallow-copied)."""
        config = self._config.copy() if active_config else self._initial_config.copy()
        config["activities"] = list(config.get("activities", []))
        config["workflows"] = list(config.get("workflows", []))
        return config

    @property
    def task_queue(self) -> str:
        """Task queue this worker is on."""
        return self._config["task_queue"]

    @property
    def identity(self) -> str:
        """Identity this worker sends with its calls (``identity=`` or the client's)."""
        return self._config.get("identity") or self._config["client"].identity

    @property
    def client(self) -> Client:
        """Client currently set on the worker."""
        return self._config["client"]

    @client.setter
    def client(self, value: Client) -> None:
        """Use another client from the next call on (calls in flight finish on the old one)."""
        self._config["client"] = value
        if self._activity_worker is not None:
            self._activity_worker.client = value
        if self._nexus_worker is not None:
            self._nexus_worker.client = value

    @property
    def is_running(self) -> bool:
        """Whether the worker has been started and not yet shut down."""
        return self._started and not self.is_shutdown

    @property
    def is_shutdown(self) -> bool:
        """Whether the worker was started and has completed its shutdown."""
        return self._shutdown_complete_event.is_set()

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the worker and wait on it to be shut down.

        Returns once shutdown is complete: every activity has finished (or been cancelled after
        the graceful timeout) and been reported. Raises a fatal worker error, if one occurred.
        Cancelling the task running this also shuts the worker down. Each plugin's
        ``run_worker`` wraps the later ones' and the worker's own run.
        """
        run: Callable[[Worker], Awaitable[None]] = _run_without_plugins
        for plugin in reversed(self._plugins):
            run = _wrapped_run(plugin, run)
        await run(self)

    async def _run(self) -> None:
        if self._started:
            raise RuntimeError("Already started")
        try:
            await self._validate()
        except BaseException:
            # Nothing started: shutdown() and async with must not wait forever.
            self._shutdown_complete_event.set()
            raise
        self._started = True
        worker_metrics(self.client, self.task_queue).count("worker_start")

        tasks: dict[object, asyncio.Task[Any]] = {
            "shutdown": asyncio.create_task(self._shutdown_event.wait(), name="worker shutdown")
        }
        if self._activity_worker is not None and not self._config.get("no_remote_activities"):
            tasks["activities"] = asyncio.create_task(self._activity_worker.run())
        if self._workflow_worker is not None:
            tasks["workflows"] = asyncio.create_task(self._workflow_worker.run())
        if self._nexus_worker is not None:
            tasks["nexus"] = asyncio.create_task(self._nexus_worker.run())
        exception: BaseException | None = None
        try:
            # Worker tasks only return after shutdown began, so the first to end is either
            # the shutdown request or a failure.
            await asyncio.shield(asyncio.wait(tasks.values(), return_when=asyncio.FIRST_COMPLETED))
            exception = next(
                (
                    t.exception()
                    for name, t in tasks.items()
                    if name != "shutdown" and t.done() and not t.cancelled() and t.exception()
                ),
                None,
            )
            if exception is not None:
                await self._report_fatal(exception)
        except asyncio.CancelledError as user_cancel:
            logger.info("Worker cancelled, shutting down")
            exception = user_cancel
        tasks["shutdown"].cancel()
        await self._shut_down(tasks)
        self._shutdown_complete_event.set()
        if exception is not None:
            raise exception

    async def _validate(self) -> None:
        service = worker_service_client(self.client)
        self._server = await server_facts(
            service.workflow_service, self.client.namespace, system_info=service.system_info
        )
        if not self._config.get("disable_payload_error_limit"):
            self._payload_errors.blob = self._server.blob_size_limit_error
            self._payload_errors.memo = self._server.memo_size_limit_error
        if not self._versioning.build_id:
            self._versioning.build_id = load_default_build_id()
        check_server_support(
            self._versioning,
            server_version=self._server.server_version,
            build_id_capable=self._server.build_id_based_versioning,
        )

    async def _report_fatal(self, exception: BaseException) -> None:
        logger.opt(exception=exception).error("Worker failed, shutting down")
        handler = self._config.get("on_fatal_error")
        if handler is None:
            return
        try:
            await handler(exception)
        except Exception:
            logger.warning("Fatal error handler failed")

    async def _shut_down(self, tasks: dict[object, asyncio.Task[Any]]) -> None:
        graceful = self._config["graceful_shutdown_timeout"]
        logger.info(
            "Beginning worker shutdown, will wait {} before cancelling activities", graceful
        )
        graceful_polls = self._server is not None and self._server.graceful_poll_shutdown
        rpc = asyncio.create_task(
            shutdown_worker(
                worker_workflow_service(self.client),
                namespace=self.client.namespace,
                task_queue=self.task_queue,
                identity=self.identity,
                worker_instance_key=self._instance_key,
                activities="activities" in tasks,
                workflows="workflows" in tasks,
                nexus="nexus" in tasks,
                sticky_task_queue=(
                    self._workflow_worker.sticky_task_queue if self._workflow_worker else ""
                ),
            )
        )
        if self._activity_worker is not None:
            self._activity_worker.initiate_shutdown(
                drain_poll_seconds=_POLL_DRAIN_SECONDS if graceful_polls else 0.0
            )
        if self._workflow_worker is not None:
            self._workflow_worker.notify_shutdown(
                drain_poll_seconds=_POLL_DRAIN_SECONDS if graceful_polls else 0.0
            )
        if self._nexus_worker is not None:
            self._nexus_worker.initiate_shutdown(
                drain_poll_seconds=_POLL_DRAIN_SECONDS if graceful_polls else 0.0
            )
        workers = [task for name, task in tasks.items() if name != "shutdown"]
        if workers:
            await asyncio.wait(workers)
        for task in workers:
            # The first exception was taken; mark the others retrieved.
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()
        if self._activity_worker is not None:
            await self._activity_worker.wait_all_completed()
        if self._nexus_worker is not None:
            await self._nexus_worker.wait_all_completed()
        await rpc
        # The metrics exporter may read the slot gauges at scrape time: not from a dead worker.
        slots = self._slots
        worker_metrics(self.client, self.task_queue).unwatch_slots(
            slots.workflow, slots.activity, slots.local_activity, slots.nexus
        )
        logger.info("Worker shutdown complete")

    async def shutdown(self) -> None:
        """Initiate a worker shutdown and wait until it is complete.

        Safe to call before the worker starts and more than once.
        """
        self._shutdown_event.set()
        await self._shutdown_complete_event.wait()

    async def __aenter__(self) -> Worker:
        """Start the worker and return it; a fatal error cancels the ``async with`` body."""
        if self._async_context_inner_task is not None:
            raise RuntimeError("Already started")
        inner = asyncio.current_task()
        if inner is None:
            raise RuntimeError("Can only use async with inside a task")
        self._async_context_inner_task = inner

        async def run() -> None:
            try:
                await self.run()
            except BaseException as err:
                self._async_context_run_exception = err
                if not self._async_context_exiting:
                    inner.cancel()

        self._async_context_run_task = asyncio.create_task(run())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *args: Any) -> None:
        """Shut the worker down; re-raise its fatal error if the body was cancelled by it."""
        run_task = self._async_context_run_task
        if run_task is None:
            raise RuntimeError("Never started")
        await self.shutdown()
        self._async_context_exiting = True
        # Plugins' run_worker may clean up after the worker stopped: wait that long for it.
        timeout = self._config.get("plugin_shutdown_timeout", timedelta(seconds=60))
        try:
            await asyncio.wait([run_task], timeout=timeout.total_seconds() if timeout else None)
        except asyncio.CancelledError:
            run_task.cancel()
            raise
        if not run_task.done():
            logger.warning("Plugin cleanup outlived plugin_shutdown_timeout; cancelling it")
            run_task.cancel()
            await asyncio.wait([run_task])
        if exc_type is asyncio.CancelledError and self._async_context_run_exception:
            raise self._async_context_run_exception


async def _run_without_plugins(worker: Worker) -> None:
    """The end of the plugin chain: the worker's own run."""
    await worker._run()


def _wrapped_run(
    plugin: Plugin, next_run: Callable[[Worker], Awaitable[None]]
) -> Callable[[Worker], Awaitable[None]]:
    # A function per plugin binds this plugin and its successor (a lambda in the loop would not).
    def run(worker: Worker) -> Awaitable[None]:
        return plugin.run_worker(worker, next_run)

    return run
