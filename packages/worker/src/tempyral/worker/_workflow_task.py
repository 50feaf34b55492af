"""One workflow task, from poll response to the server's answer.

For each task the worker:

1. takes the run's cached engine instance if the task's events continue it (a sticky task), or
   starts a fresh one from the run's full history (fetched page by page when the poll brought
   only part of it, or only the newest events of a run this worker no longer caches);
2. runs the engine on the events (workflow code runs, off the event loop, under the deadlock
   detector), runs the local activities it asks for and feeds their outcomes back
   (``_local_activities``), and answers the queries attached to the task against the new state;
3. completes the task with the commands, the ``sdk_metadata`` flags, the query answers and the
   sticky queue, asking the server for eager execution of activities this worker can start now
   (and for the next workflow task right away), then caches the run;
   While local activities are still running at 80% of the workflow task timeout, the task is
   completed with what it has and ``force_create_new_workflow_task``, as the core SDK does: the
   new task comes back in the response and the run carries on there with its activities;
4. or, when the code raised, hit the determinism guard, deadlocked, or no longer matches its
   history, fails the task with the cause and the error (stack and, for nondeterminism, the
   workflow source file:line) and evicts the run. The engine decides when the workflow itself
   fails instead (``NondeterminismError`` listed in ``workflow_failure_exception_types`` of the
   worker or ``@workflow.defn``) and builds that completion. As Temporal's core SDK does, only
   a task's first attempt is reported: later attempts time out quietly instead of filling
   history with the same failure.

Legacy query tasks (a query sent while the workflow had no task in flight, answered with
``RespondQueryTaskCompleted``) are answered from the cached instance, or from a replay of the
full history discarded afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.command.v1.message_pb2 import Command
from tempyral.api.enums.v1.query_pb2 import QUERY_RESULT_TYPE_ANSWERED, QUERY_RESULT_TYPE_FAILED
from tempyral.api.enums.v1.workflow_pb2 import VersioningBehavior
from tempyral.api.history.v1.message_pb2 import History, HistoryEvent
from tempyral.api.query.v1.message_pb2 import WorkflowQuery, WorkflowQueryResult
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollWorkflowTaskQueueResponse,
    RespondQueryTaskCompletedRequest,
    RespondWorkflowTaskCompletedRequest,
    RespondWorkflowTaskCompletedResponse,
    RespondWorkflowTaskFailedRequest,
)
from tempyral.client import Client
from tempyral.common import logger
from tempyral.replay import LocalActivityResolution, Replayer
from tempyral.service import RPCError
from tempyral.worker._client import worker_workflow_service
from tempyral.worker._eager_activities import dispatch_eager_activities, reserve_eager_activities
from tempyral.worker._local_activities import (
    LocalActivitiesInterrupted,
    LocalActivityRunner,
    WorkflowRef,
)
from tempyral.worker._metrics import WorkerMetrics, run_start_time, worker_metrics
from tempyral.worker._payload_errors import PayloadErrorLimits, PayloadsTooLargeError
from tempyral.worker._versioning import VersioningStrategy
from tempyral.worker._workflow_activation import ActivationRunner, DeadlockError
from tempyral.worker._workflow_cache import CachedRun, WorkflowCache
from tempyral.worker._workflow_protocol import (
    accepts_an_update,
    failure_cause,
    fetch_history,
    query_answer,
    query_failure,
    sticky_attributes,
    to_failure,
)

if TYPE_CHECKING:
    from loguru import Logger

    from tempyral.replay import WorkflowInstance, WorkflowTaskCompletion
    from tempyral.worker._activity_worker import ActivityWorker

__all__ = ["TaskSettings", "WorkflowTaskHandler", "task_logger"]


@dataclass(frozen=True)
class TaskSettings:
    task_queue: str
    identity: str
    worker_instance_key: str
    sticky_queue: str
    """Empty when the worker keeps no cache (``max_cached_workflows=0``)."""
    sticky_schedule_to_start: timedelta
    max_eager_activities: int
    eager_activities: bool
    sdk_version: str


class WorkflowTaskHandler:
    """Handles workflow tasks and legacy queries for one worker."""

    def __init__(
        self,
        *,
        client: Callable[[], Client],
        replayer: Replayer,
        cache: WorkflowCache,
        runner: ActivationRunner,
        settings: TaskSettings,
        versioning: VersioningStrategy,
        activity_worker: ActivityWorker | None,
        payload_errors: PayloadErrorLimits | None = None,
    ) -> None:
        self._payload_errors = payload_errors or PayloadErrorLimits()
        self._client = client
        self._replayer = replayer
        self.cache = cache
        self._runner = runner
        self._settings = settings
        # The same for every completion: built once (a Duration conversion per task otherwise).
        self._sticky_attributes = (
            sticky_attributes(
                settings.sticky_queue, settings.task_queue, settings.sticky_schedule_to_start
            )
            if settings.sticky_queue
            else None
        )
        self._versioning = versioning
        self._activity_worker = activity_worker
        self._local_activities = LocalActivityRunner(activity_worker)
        self._heartbeating: dict[str, CachedRun] = {}
        """Runs whose task was heartbeated for local activities: the next task continues them."""

    async def handle(self, task: PollWorkflowTaskQueueResponse) -> None:
        """Handle a polled task and the tasks the server hands back when completing it."""
        next_task: PollWorkflowTaskQueueResponse | None = task
        while next_task is not None:
            run_id = next_task.workflow_execution.run_id
            async with self.cache.hold(run_id):
                if next_task.HasField("query"):
                    await self._legacy_query(next_task)
                    return
                next_task = await self._workflow_task(next_task)

    # -- workflow tasks ------------------------------------------------------------------------

    async def _workflow_task(
        self, task: PollWorkflowTaskQueueResponse
    ) -> PollWorkflowTaskQueueResponse | None:
        journal = task_logger(task, self._settings.task_queue)
        received = time.monotonic()
        metrics = self._metrics()
        run = await self._run_for(task, metrics)
        instance = run.instance
        first_page = _detached_events(task)
        events = list(first_page)
        fresh = run.last_event_id == 0
        if fresh:  # a new instance: the whole history
            events = await self._history(
                task, first_page=first_page, up_to_event_id=task.started_event_id
            )
            run.started_at = run_start_time(events)
        codec = self._replayer.task_codec.for_workflow(*self._workflow_of(task))
        try:
            decoded = await codec.decode_events(events, markers=fresh)
            messages = await codec.decode_messages(task.messages)
            completion = await self._runner.run(
                partial(instance.activate, decoded, messages=messages)
            )
            local_outcomes: dict[int, LocalActivityResolution] = {}
            completion = await self._run_local_activities(
                task, instance, completion, received, codec, local_outcomes
            )
            error = completion.failure
            if error is None:
                await codec.encode_completion(
                    completion, received=task.messages, local_outcomes=local_outcomes
                )
        except LocalActivitiesInterrupted as err:
            # Shutting down: leave the task to time out; another worker runs the activities.
            await self.evict(run)
            journal.info("Workflow task abandoned: {}", err)
            return None
        except Exception as err:  # nondeterminism, corrupt history, deadlock, unknown type, codec
            error = err
        metrics.workflow_task_ran(
            task.workflow_type.name,
            error,
            time.monotonic() - received,
            replaying=fresh if task.previous_started_event_id > 0 else None,
        )
        if error is not None:
            await self.evict(run, deadlocked=isinstance(error, DeadlockError))
            await self._fail(task, instance, error, journal)
            return None
        run.last_event_id = events[-1].event_id if events else run.last_event_id
        request, heartbeat = await self._completed_request(task, instance, completion)
        if task.messages and not accepts_an_update(completion.messages):
            # The task may vanish from history (it only rejected updates): never continue from
            # it. Accepting one keeps it, and the run continues from its cached state (a replay
            # could apply the update before a resolution of an earlier task without commands).
            run.speculative = True
        too_large = self._payload_errors.violation(request)
        if too_large is not None:  # the server would reject it: fail the task instead
            await self.evict(run)
            await self._fail(task, instance, PayloadsTooLargeError(too_large), journal)
            return None
        settings = self._settings
        permits = reserve_eager_activities(
            request,
            self._activity_worker if settings.eager_activities else None,
            task_queue=settings.task_queue,
            limit=settings.max_eager_activities,
        )
        try:
            response = await worker_workflow_service(
                self._client()
            ).respond_workflow_task_completed(request, retry=True)
        except RPCError as err:
            for permit in permits:
                permit.release()
            await self.evict(run)
            journal.warning(
                "Completing a workflow task failed ({}: {}); the run is evicted and the server "
                "will hand the task out again",
                err.status.name,
                err.message,
            )
            return None
        dispatch_eager_activities(response, permits, self._activity_worker)
        metrics.workflow_finished(request.commands, task.workflow_type.name, run.started_at)
        journal.debug("Workflow task completed with {} command(s)", len(request.commands))
        return await self._keep_or_evict(
            run, response, finished=completion.finished, heartbeat=heartbeat
        )

    async def _completed_request(
        self,
        task: PollWorkflowTaskQueueResponse,
        instance: WorkflowInstance,
        completion: WorkflowTaskCompletion,
    ) -> tuple[RespondWorkflowTaskCompletedRequest, bool]:
        """The task's completion request, and whether it heartbeats the task (local activities
        still run)."""
        request = self._completion(task, completion.commands, completion.sdk_metadata)
        for query_id, answer in (await self._answer_queries(instance, task.queries)).items():
            request.query_results[query_id].CopyFrom(answer)
        request.messages.extend(completion.messages)
        if completion.versioning_behavior:  # the workflow's own outranks the worker's default
            request.versioning_behavior = cast(VersioningBehavior, completion.versioning_behavior)
        heartbeat = not completion.finished and instance.local_activities_outstanding > 0
        if heartbeat:
            # Local activities still run: keep the task alive with a new one handed back here.
            request.force_create_new_workflow_task = True
            request.return_new_workflow_task = True
        return request, heartbeat

    async def _keep_or_evict(
        self,
        run: CachedRun,
        response: RespondWorkflowTaskCompletedResponse,
        *,
        finished: bool,
        heartbeat: bool,
    ) -> PollWorkflowTaskQueueResponse | None:
        """Cache or evict the run after its task completed; the next task if one came back."""
        if heartbeat and response.workflow_task.task_token and not run.speculative:
            self._heartbeating[run.run_id] = run
            return response.workflow_task
        if (
            finished
            or not self._settings.sticky_queue
            or run.speculative
            or response.reset_history_event_id
        ):
            await self.evict(run)
        else:
            for pushed_out in self.cache.put(run):
                self._metrics().count("sticky_cache_total_forced_eviction")
                await self.evict(pushed_out)
            self._metrics().gauge("sticky_cache_size", len(self.cache))
        if response.HasField("workflow_task") and response.workflow_task.task_token:
            return response.workflow_task
        return None

    def _metrics(self) -> WorkerMetrics:
        return worker_metrics(self._client(), self._settings.task_queue)

    async def _run_for(
        self, task: PollWorkflowTaskQueueResponse, metrics: WorkerMetrics
    ) -> CachedRun:
        """The cached run if the task's events continue it, else a fresh (empty) one."""
        run_id = task.workflow_execution.run_id
        cached = self._heartbeating.pop(run_id, None) or self.cache.take(run_id)
        events = task.history.events
        workflow_type = {"workflow_type": task.workflow_type.name}
        if cached is not None:
            if events and events[0].event_id == cached.last_event_id + 1 and not cached.speculative:
                metrics.count("sticky_cache_hit", workflow_type)
                return cached
            await self.evict(cached)
        elif events and events[0].event_id > 1:
            metrics.count("sticky_cache_miss", workflow_type)
        instance = self._replayer.new_instance(
            task.workflow_execution.workflow_id,
            run_id,
            sdk_version=self._settings.sdk_version,
            worker_deployment_version=self._versioning.current_version(),
        )
        return CachedRun(run_id, instance)

    async def _run_local_activities(
        self,
        task: PollWorkflowTaskQueueResponse,
        instance: WorkflowInstance,
        completion: WorkflowTaskCompletion,
        received: float,
        codec: Any,
        outcomes: dict[int, LocalActivityResolution],
    ) -> WorkflowTaskCompletion:
        """Run the local activities the task asks for until they are done or it is time to
        heartbeat the task (80% of its timeout, as the core SDK does). ``codec`` (the task's
        ``TaskCodec``) encodes what they are given and decodes what they give back, as it does
        for any activity's payloads; ``outcomes`` keeps them as they came, for the markers."""
        work = completion.local_activities
        if completion.failure is not None or not (
            work.start or work.cancel or instance.local_activities_outstanding
        ):
            return completion  # most tasks: nothing to run or wait for

        async def resolve(resolutions: list[LocalActivityResolution]) -> WorkflowTaskCompletion:
            outcomes.update((r.seq, r) for r in resolutions)
            decoded = [await codec.decode_local_activity(r) for r in resolutions]
            return await self._runner.run(partial(instance.resolve_local_activities, decoded))

        workflow = WorkflowRef(
            namespace=self._client().namespace,
            workflow_id=task.workflow_execution.workflow_id,
            run_id=task.workflow_execution.run_id,
            workflow_type=task.workflow_type.name,
        )
        return await self._local_activities.settle(
            workflow,
            completion,
            outstanding=lambda: instance.local_activities_outstanding,
            resolve=resolve,
            encode=codec.encode_local_activity,
            deadline=received + 0.8 * instance.workflow_task_timeout_seconds,
        )

    async def _history(
        self,
        task: PollWorkflowTaskQueueResponse,
        *,
        first_page: Sequence[HistoryEvent],
        up_to_event_id: int,
    ) -> list[Any]:
        client = self._client()
        return await fetch_history(
            worker_workflow_service(client),
            namespace=client.namespace,
            execution=task.workflow_execution,
            first_page=first_page,
            next_page_token=task.next_page_token,
            up_to_event_id=up_to_event_id,
        )

    def _workflow_of(self, task: PollWorkflowTaskQueueResponse) -> tuple[str, str, str, str]:
        """Namespace, workflow ID, run ID and type: what external storage drivers are told."""
        execution = task.workflow_execution
        namespace = self._client().namespace
        return namespace, execution.workflow_id, execution.run_id, task.workflow_type.name

    def _completion(
        self, task: PollWorkflowTaskQueueResponse, commands: Sequence[Command], metadata: Any
    ) -> RespondWorkflowTaskCompletedRequest:
        settings = self._settings
        request = RespondWorkflowTaskCompletedRequest(
            task_token=task.task_token,
            commands=commands,
            identity=settings.identity,
            namespace=self._client().namespace,
            sdk_metadata=metadata,
            worker_instance_key=settings.worker_instance_key,
        )
        if self._sticky_attributes is not None:
            request.sticky_attributes.CopyFrom(self._sticky_attributes)
            # The next task of this run comes back in the response, saving a poll.
            request.return_new_workflow_task = True
        stamp = self._versioning.stamp()
        if stamp is not None:
            request.worker_version_stamp.CopyFrom(stamp)
        options = self._versioning.deployment_options()
        if options is not None:
            request.deployment_options.CopyFrom(options)
        request.versioning_behavior = cast(
            VersioningBehavior, self._versioning.default_versioning_behavior()
        )
        return request

    async def _answer_queries(
        self, instance: WorkflowInstance, queries: Any
    ) -> dict[str, WorkflowQueryResult]:
        answers: dict[str, WorkflowQueryResult] = {}
        for query_id, query in queries.items():
            answers[query_id] = await self._answer(instance, query, query_id)
        return answers

    async def _answer(
        self, instance: WorkflowInstance, query: WorkflowQuery, query_id: str
    ) -> WorkflowQueryResult:
        converter = self._client().data_converter
        codec = self._replayer.task_codec
        try:
            arguments = await codec.decode_payloads(query.query_args.payloads)
            payload = await self._runner.run(
                partial(
                    instance.query,
                    query.query_type,
                    arguments,
                    query_id=query_id,
                    headers=query.header.fields,
                )
            )
            return query_answer(await codec.encode_payload(payload))
        except Exception as err:
            failed = query_failure(err, converter)
        try:
            await codec.encode_failure(failed.failure, what="a query failure")
        except Exception as err:  # a broken codec: the failure goes as it is
            logger.warning("{}", err)
        return failed

    async def _fail(
        self,
        task: PollWorkflowTaskQueueResponse,
        instance: WorkflowInstance,
        error: BaseException,
        journal: Logger,
    ) -> None:
        client = self._client()
        failure = to_failure(error, client.data_converter)
        try:
            codec = self._replayer.task_codec.for_workflow(*self._workflow_of(task))
            await codec.encode_failure(failure)
        except Exception as err:  # a broken codec: the failure goes as it is
            journal.warning("{}", err)
        service = worker_workflow_service(client)
        failing = instance.workflow_failure(error, failure)
        if failing is not None:
            journal.opt(exception=error).warning("Failing the workflow: {}", _first_line(error))
            request = self._completion(task, failing.commands, failing.sdk_metadata)
            request.ClearField("sticky_attributes")
            request.return_new_workflow_task = False
            try:
                await service.respond_workflow_task_completed(request, retry=True)
            except RPCError as err:
                journal.warning("Failing the workflow failed: {}: {}", err.status.name, err.message)
                return
            self._metrics().count("workflow_failed", {"workflow_type": task.workflow_type.name})
            return
        if task.attempt > 1:
            journal.debug(
                "Workflow task attempt {} failed again (not reported): {}", task.attempt, error
            )
            return
        journal.opt(exception=error).warning("Failing workflow task: {}", _first_line(error))
        failed = RespondWorkflowTaskFailedRequest(
            task_token=task.task_token,
            cause=failure_cause(error),
            failure=failure,
            identity=self._settings.identity,
            namespace=client.namespace,
        )
        self._versioning.apply_to_response(failed)
        try:
            await service.respond_workflow_task_failed(failed, retry=True)
        except RPCError as err:
            journal.warning("Reporting a task failure failed: {}: {}", err.status.name, err)

    # -- legacy queries ------------------------------------------------------------------------

    async def _legacy_query(self, task: PollWorkflowTaskQueueResponse) -> None:
        client = self._client()
        converter = client.data_converter
        cached = self.cache.get(task.workflow_execution.run_id)
        temporary: CachedRun | None = None
        try:
            if cached is not None:
                instance = cached.instance
            else:
                temporary = await self._run_for(task, self._metrics())
                instance = temporary.instance
                codec = self._replayer.task_codec.for_workflow(*self._workflow_of(task))
                # A run made for this query only, evicted below: no need to detach its events.
                history = await self._history(
                    task, first_page=task.history.events, up_to_event_id=0
                )
                events = await codec.decode_events(history)
                completion = await self._runner.run(partial(instance.activate, events))
                if completion.failure is not None:
                    raise completion.failure
            result = await self._answer(instance, task.query, "legacy_query")
        except Exception as err:
            result = query_failure(err, converter)
        finally:
            if temporary is not None:
                await self.evict(temporary)
        request = RespondQueryTaskCompletedRequest(
            task_token=task.task_token,
            namespace=client.namespace,
            completed_type=result.result_type,
        )
        if result.result_type == QUERY_RESULT_TYPE_ANSWERED:
            request.query_result.CopyFrom(result.answer)
        else:
            assert result.result_type == QUERY_RESULT_TYPE_FAILED
            request.error_message = result.error_message
            request.failure.CopyFrom(result.failure)
        try:
            await worker_workflow_service(client).respond_query_task_completed(request, retry=True)
        except RPCError as err:
            task_logger(task, self._settings.task_queue).warning(
                "Answering a query failed: {}: {}", err.status.name, err.message
            )

    # -- eviction ------------------------------------------------------------------------------

    async def evict(self, run: CachedRun, *, deadlocked: bool = False) -> None:
        """Drop a run: its workflow tasks are cancelled (quietly, as if replaying)."""
        self.cache.take(run.run_id)
        self._metrics().gauge("sticky_cache_size", len(self.cache))
        self._heartbeating.pop(run.run_id, None)
        await self._local_activities.forget(run.run_id)
        if deadlocked:
            run.instance.abandon()  # its thread may still be inside the workflow code
            return
        try:
            if run.instance.evicts_without_workflow_code:
                run.instance.evict()  # a finished run: no thread hop needed
            else:
                await self._runner.run(run.instance.evict)
        except Exception as err:
            logger.bind(
                workflow_id=run.instance.workflow_id,
                run_id=run.run_id,
                workflow_type=run.instance.workflow_type,
            ).warning("Evicting workflow run {} failed: {}", run.run_id, err)


def task_logger(task: PollWorkflowTaskQueueResponse, task_queue: str) -> Logger:
    """The worker's loguru logger for one workflow task: the task's context in ``extra``."""
    return logger.bind(
        workflow_id=task.workflow_execution.workflow_id,
        run_id=task.workflow_execution.run_id,
        workflow_type=task.workflow_type.name,
        task_queue=task_queue,
        attempt=task.attempt,
    )


def _first_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0]


def _detached_events(task: PollWorkflowTaskQueueResponse) -> Sequence[HistoryEvent]:
    """The task's history events, parsed anew apart from the task.

    The cached run keeps its events, and an event taken from the task keeps the whole task's
    memory alive (the protobuf runtime frees a parsed message's memory all at once): its token,
    queries, messages and the rest, about 2.5 KiB for every cached run that waits. Parsing the
    history again costs about 0.2 us an event.
    """
    return History.FromString(task.history.SerializeToString()).events
