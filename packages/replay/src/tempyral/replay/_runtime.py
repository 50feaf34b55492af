"""The workflow half of a run: the workflow object, its tasks, and what its code asks for.

:py:class:`WorkflowRuntime` applies activation jobs (start, signals, resolutions, cancellation)
and runs the deterministic loop, in the order the official Python SDK does: jobs are applied in
groups (signals first, then everything else), the loop running until idle after each group. What
the code asks for becomes intents (``_intents``), handed to the engine half. It is the
``WorkflowRuntimeAPI`` the workflow API calls, and composes one collaborator per concern:
signal and query handlers (``_handlers``), activities (``_activity_calls``), child workflows
(``_child_calls``) and other workflows (``_outbound``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import random
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.common import MetricMeter, RawValue, WorkerDeploymentVersion, logger
from tempyral.converter import DataConverter
from tempyral.exceptions import CancelledError, FailureError, is_cancelled_exception
from tempyral.replay import _closing, _guard
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._activity_calls import ActivityCalls
from tempyral.replay._builtin_queries import builtin_queries
from tempyral.replay._child_calls import ChildCalls
from tempyral.replay._flags import Flags, LangFlag
from tempyral.replay._handlers import HandlerKind, HandlerRegistry
from tempyral.replay._info import make_info
from tempyral.replay._intercepting import (
    WorkflowInterceptors,
    activity_input,
    child_input,
    continue_as_new_input,
    local_activity_input,
)
from tempyral.replay._interceptor_api import (
    ExecuteWorkflowInput,
    PatchActivationInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartNexusOperationInput,
    WorkflowInboundInterceptor,
)
from tempyral.replay._local_activity_calls import LocalActivityCalls
from tempyral.replay._loop import DeterministicLoop, TimerHandle
from tempyral.replay._nexus_calls import NexusCalls
from tempyral.replay._outbound import ExternalCalls
from tempyral.replay._previous_run import PreviousRun
from tempyral.replay._properties import RunProperties
from tempyral.replay._source import caller_location
from tempyral.replay._update_calls import UpdateCalls
from tempyral.workflow._activities import ActivityHandle, ActivityOptions
from tempyral.workflow._children import ChildWorkflowHandle, ChildWorkflowOptions
from tempyral.workflow._context import ContinueAsNewError, Info, ReadOnlyContextError
from tempyral.workflow._definition import _Definition
from tempyral.workflow._dynamic_config import DynamicWorkflowConfig
from tempyral.workflow._event_groups import capture_event_group_markers
from tempyral.workflow._local_activities import LocalActivityOptions
from tempyral.workflow._metrics import ReplaySafeMeter
from tempyral.workflow._nexus import NexusOperationCancellationType, NexusOperationHandle
from tempyral.workflow._signal_with_start import SYSTEM_ENDPOINT, SYSTEM_OPERATION, SYSTEM_SERVICE

__all__ = ["WorkflowRuntime"]


class _Evicted(BaseException):
    """Raised into workflow tasks that try to issue commands while the run is being evicted."""


# Commands that carry the event groups active where the code issued them (the official SDK's
# list; closing commands carry none).
_GROUPED = (
    i.StartTimer,
    i.ScheduleActivity,
    i.StartChild,
    i.SignalExternal,
    i.CancelExternal,
    i.UpsertSearchAttributes,
    i.ModifyWorkflowProperties,
)

if TYPE_CHECKING:
    from loguru import Logger


class WorkflowRuntime:
    """One run of one workflow class, driven activation by activation."""

    # A cached run keeps its runtime for as long as it waits: with some fifty attributes, an
    # instance dict would cost about 1.8 KB per run, slots a third of that.
    __slots__ = (
        "_cancel_pending",
        "_metric_meter",
        "_random",
        "_seqs",
        "_timer_summary",
        "_worker_failure_exception_types",
        "activation_error",
        "activities",
        "args",
        "attributes",
        "cancel_reason",
        "children",
        "data_converter",
        "definition",
        "deleting",
        "extern_functions",
        "externals",
        "failure_converter",
        "failure_exception_types",
        "flags",
        "guard",
        "handlers",
        "info",
        "intents",
        "interceptors",
        "is_replaying",
        "local_activities",
        "loop",
        "nexus",
        "object",
        "patch_activation_callback",
        "payload_converter",
        "pending_timers",
        "previous_run",
        "primary_task",
        "properties",
        "query_results",
        "random_seed",
        "random_seed_callbacks",
        "read_only",
        "single_batch",
        "tasks",
        "time_ns",
        "update_calls",
        "versioning_behavior",
        "violations",
        "workflow_failure_exception_types",
        "workflow_id",
    )

    def __init__(
        self,
        definition: _Definition,
        init: j.InitializeWorkflow,
        *,
        info: Info | None = None,
        namespace: str,
        workflow_id: str,
        run_id: str,
        data_converter: DataConverter,
        flags: Flags,
        guard: bool,
        failure_exception_types: Sequence[type[BaseException]] = (),
        interceptor_classes: Sequence[type[WorkflowInboundInterceptor]] = (),
        metric_meter: MetricMeter = MetricMeter.noop,
        patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
        extern_functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.extern_functions: Mapping[str, Callable[..., Any]] = extern_functions or {}
        self.definition = definition
        # What each task completion reports (0: the worker's default), as the official SDK does.
        self.versioning_behavior: Any = definition.versioning_behavior
        self.patch_activation_callback = patch_activation_callback
        self._metric_meter: MetricMeter = metric_meter
        self.workflow_id = workflow_id
        self.data_converter = data_converter
        self.payload_converter = data_converter.payload_converter
        self.failure_converter = data_converter.failure_converter
        self.flags = flags
        self.guard = guard and definition.sandboxed
        # The workflow's own (from @workflow.defn, or its dynamic_config) and the worker's.
        self.workflow_failure_exception_types = definition.failure_exception_types
        self._worker_failure_exception_types = tuple(failure_exception_types)
        self.failure_exception_types = (
            *definition.failure_exception_types,
            *failure_exception_types,
        )
        self.time_ns = 0  # set by each activation
        self.is_replaying = True
        self.cancel_reason: str | None = None
        self.deleting = False
        self.read_only = False
        # Built on first use: a Mersenne Twister holds ~2.8 KiB of state, and most cached runs
        # never draw. Seeding resets all of it, so building it late from the current seed gives
        # the draws an early instance reseeded at the same point would.
        self._random: random.Random | None = None
        self.random_seed = init.randomness_seed
        self.random_seed_callbacks: list[Callable[[int], None]] = []
        self.intents: list[i.Intent] = []
        self.activation_error: BaseException | None = None
        self.violations: list[_guard.RestrictedWorkflowAccessError] = []
        self.single_batch = False
        self._cancel_pending = False
        self._seqs: dict[str, int] = {}
        self.pending_timers: dict[int, TimerHandle] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.object: Any = None  # the user's workflow instance
        self.primary_task: asyncio.Task[None] | None = None
        self._timer_summary: str | None = None
        self.attributes = init.attributes
        self.previous_run = PreviousRun(
            init.attributes, self.payload_converter, self.failure_converter
        )
        self.info = (
            info
            if info is not None
            else make_info(init, workflow_id=workflow_id, namespace=namespace, run_id=run_id)
        )
        self.args = self._workflow_args(init)
        self.loop = DeterministicLoop(self)  # type: ignore[abstract]  # I/O methods stay abstract
        self.handlers = HandlerRegistry(self)
        self.activities = ActivityCalls(self)
        self.children = ChildCalls(self)
        self.externals = ExternalCalls(self)
        self.nexus = NexusCalls(self)
        self.update_calls = UpdateCalls(self)
        self.interceptors = WorkflowInterceptors(self, interceptor_classes)
        self.local_activities = LocalActivityCalls(self)
        self.properties = RunProperties(self)
        self.handlers.queries.update(builtin_queries())
        # Answers of queries by id, read by the instance (an encoded Payload or an error).
        self.query_results: dict[str, common_pb2.Payload | BaseException] = (
            self.handlers.query_results
        )

    @property
    def log(self) -> Logger:
        """Engine diagnostics (not the user's workflow.logger), tagged with the run.

        Bound when used, which is rare (a handler's or callback's error): a bound logger kept
        per cached run cost about 300 B.
        """
        return logger.bind(
            workflow_id=self.workflow_id,
            run_id=self.info.run_id,
            workflow_type=self.info.workflow_type,
        )

    # -- activation -----------------------------------------------------------------------------
    def activate(self, jobs: Sequence[j.Job], *, time_ns: int, replaying: bool) -> list[i.Intent]:
        """Apply jobs and run the code until it waits; returns what it asked for, in order.

        A workflow task failure (the code raised a non-failure error, or the guard tripped) is
        left in ``activation_error``.
        """
        self.time_ns = max(self.time_ns, time_ns)
        self.is_replaying = replaying
        self.single_batch = self.flags.lang_enabled(
            LangFlag.PROCESS_JOBS_AS_SINGLE_BATCH, replaying=replaying, default_on=False
        )
        self.intents = []
        # Updates are applied with signals, in the order they came (as the official SDK does).
        signals = [job for job in jobs if isinstance(job, (j.SignalWorkflow, j.DoUpdate))]
        queries = [job for job in jobs if isinstance(job, j.QueryWorkflow)]
        patches = [job for job in jobs if isinstance(job, j.NotifyHasPatch)]
        others = [
            job
            for job in jobs
            if not isinstance(
                job, (j.SignalWorkflow, j.DoUpdate, j.QueryWorkflow, j.NotifyHasPatch)
            )
        ]
        groups: tuple[Sequence[j.Job], ...] = (signals, others, queries)
        # What the guard catches in a query fails that query alone (it is read-only): it must
        # not stay recorded for the run, or every later query and workflow task would fail.
        queries_only = bool(queries) and not (signals or others or patches)
        recorded = len(self.violations)
        try:
            for patch in patches:  # before any code runs, as the official SDK orders them
                self._apply(patch)
            if self.object is None:
                # The object first, before any task exists: if __init__ raises, no coroutine is
                # left never awaited.
                self._run(check_conditions=False)
            if self.single_batch:
                for batched in (*signals, *others):
                    self._apply(batched)
                self._run(check_conditions=True)
            else:
                for index, group in enumerate(groups):
                    if not group:
                        continue
                    for job in group:
                        self._apply(job)
                    self._run(check_conditions=index < 2)
        except BaseException as err:  # the loop stops at the first task failure
            # Whatever workflow code raised (SystemExit, KeyboardInterrupt, a custom
            # BaseException) fails the task: it never unwinds into the worker or the Replayer.
            if self.activation_error is None:
                self.activation_error = err
        if queries_only:
            del self.violations[recorded:]
        intents, self.intents = self.intents, []
        if self.activation_error is None:
            self.update_calls.warn_unfinished(intents)
        return intents

    def _run(self, *, check_conditions: bool) -> None:
        token = None if not self.guard else _guard.active(self.violations)
        if token is not None:
            token.__enter__()
        try:
            if self.object is None and not self.deleting:
                self.object = self._instantiate()
            self.loop.run_once(check_conditions=check_conditions)
        finally:
            if token is not None:
                token.__exit__(None, None, None)
        self.after_callback()

    def after_callback(self) -> None:
        """Called by the loop after each callback: a task failure stops the activation."""
        if self.violations and self.activation_error is None:
            self.activation_error = self.violations[0]
        if self.activation_error is not None and not self.deleting:
            raise self.activation_error

    def _apply(self, job: j.Job) -> None:  # noqa: PLR0912 (one case per job type)
        match job:
            case j.InitializeWorkflow():
                self._start_workflow()
            case j.SignalWorkflow():
                self.handlers.signal(job)
            case j.QueryWorkflow():
                self.handlers.query(job)
            case j.CancelWorkflow():
                self._cancel_workflow(job)
            case j.FireTimer():
                handle = self.pending_timers.pop(job.seq, None)
                if handle is not None:
                    self.loop._ready.append(handle)
            case j.ResolveActivity():
                self.activities.resolve(job)
            case j.ResolveChildStart():
                self.children.resolve_start(job)
            case j.ResolveChild():
                self.children.resolve(job)
            case j.ResolveNexusStart():
                self.nexus.resolve_start(job)
            case j.ResolveNexus():
                self.nexus.resolve(job)
            case j.ResolveSignalExternal():
                self.externals.resolve_signal(job)
            case j.ResolveCancelExternal():
                self.externals.resolve_cancel(job)
            case j.DoUpdate():
                self.update_calls.run(job)
            case j.ResolveLocalActivity():
                self.local_activities.resolve(job)
            case j.NotifyHasPatch() | j.UpdateRandomSeed():
                self.properties.apply(job)
            case _:
                _unhandled(job)

    def _start_workflow(self) -> None:
        async def run_workflow() -> None:
            result = await self._execute()
            command = _closing.complete_command(result, self.payload_converter)
            self.issue(i.CompleteWorkflow(command))

        self.primary_task = self.create_task(self.top_level(run_workflow()), name="run")
        if self._cancel_pending:
            self.loop.call_soon(self.primary_task.cancel)

    def _cancel_workflow(self, job: j.CancelWorkflow) -> None:
        self.cancel_reason = job.reason
        if self.primary_task is not None:
            self.loop.call_soon(self.primary_task.cancel)
        elif self.single_batch:
            self._cancel_pending = True

    # -- the workflow object and its top-level coroutines ---------------------------------------
    def _workflow_args(self, init: j.InitializeWorkflow) -> list[Any]:
        payloads = list(init.attributes.input.payloads)
        if self.definition.name is None:
            return [RawValue(p) for p in payloads]
        return self.convert(payloads, self.definition.arg_types)

    def _instantiate(self) -> Any:
        cls = self.definition.cls
        return cls(*self.args) if self.definition.init_takes_args else cls()

    def _apply_dynamic_config(self, config: DynamicWorkflowConfig) -> None:
        if not isinstance(config, DynamicWorkflowConfig):
            raise TypeError(
                "@workflow.dynamic_config method must return a workflow.DynamicWorkflowConfig,"
                f" not {type(config).__name__}"
            )
        if config.versioning_behavior:
            self.versioning_behavior = config.versioning_behavior
        if config.failure_exception_types is not None:
            self.workflow_failure_exception_types = tuple(config.failure_exception_types)
            self.failure_exception_types = (
                *config.failure_exception_types,
                *self._worker_failure_exception_types,
            )

    async def _execute(self) -> Any:
        if self.definition.dynamic_config_fn is not None:  # in the loop: it may read info()
            self._apply_dynamic_config(self.definition.dynamic_config_fn(self.object))
        run = functools.partial(self.definition.run_fn, self.object)
        args = [self.args] if self.definition.name is None else self.args
        headers = dict(self.attributes.header.fields)
        return await self.interceptors.inbound.execute_workflow(
            ExecuteWorkflowInput(self.definition.cls, run, args, headers)
        )

    async def top_level(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a top-level coroutine (the run method, a signal handler); its end is the run's."""
        try:
            await coro
        except ContinueAsNewError as err:
            command = _closing.continue_as_new_command(err, self.info, self.payload_converter)
            self.properties.carry_over(command)
            self.issue(i.ContinueAsNew(command))
        except (Exception, asyncio.CancelledError) as err:
            if self.deleting:
                return
            error: BaseException = (
                CancelledError(str(err)) if isinstance(err, asyncio.CancelledError) else err
            )
            if self.cancel_reason is not None and is_cancelled_exception(error):
                self.issue(i.CancelWorkflowExecution(_closing.cancel_command()))
            elif self.is_failure_exception(error):
                self._fail(error)
            else:
                self.activation_error = error
        except BaseException as err:  # SystemExit, KeyboardInterrupt, a custom BaseException
            if self.deleting:
                raise
            if self.activation_error is None:
                self.activation_error = err
            if isinstance(err, GeneratorExit):
                raise  # the coroutine is being closed: it must not run on

    def _fail(self, error: BaseException) -> None:
        failure = failure_pb2.Failure()
        try:
            self.failure_converter.to_failure(error, self.payload_converter, failure)
        except Exception as err:
            self.activation_error = ValueError(f"Failed converting workflow exception: {err}")
            return
        self.issue(i.FailWorkflow(_closing.fail_command(failure)))

    def is_failure_exception(self, err: BaseException) -> bool:
        return isinstance(err, (FailureError, asyncio.TimeoutError)) or any(
            isinstance(err, kind) for kind in self.failure_exception_types
        )

    # -- what the collaborators share -----------------------------------------------------------
    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        self.assert_not_read_only("create task", allow_internal=True)
        task = self.loop.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def assert_not_read_only(self, action: str, *, allow_internal: bool = False) -> None:
        if self.read_only and not allow_internal:
            raise ReadOnlyContextError(f"While in read-only function, action attempted: {action}")

    def next_seq(self, kind: str) -> int:
        self._seqs[kind] = self._seqs.get(kind, 0) + 1
        return self._seqs[kind]

    def issue(self, intent: i.Intent) -> None:
        """Record what the code asked for, with the line of workflow code that asked."""
        if self.deleting:
            raise _Evicted  # unwinds the task that asked: the run is being dropped
        if self.read_only:
            raise ReadOnlyContextError(
                f"While in read-only function, action attempted: {type(intent).__name__}"
            )
        if intent.source is None:
            intent = replace(intent, source=caller_location())
        command = getattr(intent, "command", None)
        if isinstance(intent, _GROUPED) and command is not None:
            # The event groups of the scope (and call) the code issued it in, as upstream.
            command.event_group_markers.extend(capture_event_group_markers(None))
        self.intents.append(intent)

    def convert(
        self, payloads: Sequence[common_pb2.Payload], types: Sequence[Any] | None
    ) -> list[Any]:
        if not payloads:
            return []
        hints = list(types) if types and len(types) == len(payloads) else None
        return self.payload_converter.from_payloads(list(payloads), hints)

    # -- the WorkflowRuntimeAPI the workflow API calls ------------------------------------------
    def workflow_info(self) -> Info:
        return self.interceptors.outbound.info()

    def workflow_metric_meter(self) -> MetricMeter:
        if not isinstance(self._metric_meter, ReplaySafeMeter):
            info = self.info
            labels = {"namespace": info.namespace, "task_queue": info.task_queue}
            tagged = self._metric_meter.with_additional_attributes(
                {**labels, "workflow_type": info.workflow_type}
            )
            self._metric_meter = ReplaySafeMeter(tagged, lambda: self.is_replaying)
        return self._metric_meter

    def workflow_instance(self) -> Any:
        return self.object

    def workflow_random(self) -> random.Random:
        self.assert_not_read_only("random")
        return self.random

    @property
    def random(self) -> random.Random:
        if self._random is None:
            self._random = random.Random(self.random_seed)  # noqa: S311 (deterministic on purpose)
        return self._random

    def reseed(self, seed: int) -> None:
        """The run was reset: draws continue from ``seed``."""
        self.random_seed = seed
        if self._random is not None:
            self._random.seed(seed)

    def workflow_random_seed(self) -> int:
        return self.random_seed

    def workflow_register_random_seed_callback(self, callback: Callable[[int], None]) -> None:
        self.random_seed_callbacks.append(callback)

    def workflow_has_last_completion_result(self) -> bool:
        return self.previous_run.has_completion_result()

    def workflow_last_completion_result(self, type_hint: type | None) -> Any | None:
        return self.previous_run.completion_result(type_hint)

    def workflow_last_failure(self) -> BaseException | None:
        return self.previous_run.failure()

    def workflow_uuid4(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.random.getrandbits(128).to_bytes(16, "big"), version=4)

    def workflow_memo(self) -> Mapping[str, Any]:
        return {
            k: self.payload_converter.from_payloads([v])[0] for k, v in self.info.raw_memo.items()
        }

    def workflow_memo_value(
        self, key: str, default: Any, type_hint: type | None, unset: object
    ) -> Any:
        payload = self.info.raw_memo.get(key)
        if payload is None:
            if default is unset:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        hints = [type_hint] if type_hint else None
        return self.payload_converter.from_payloads([payload], hints)[0]

    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool:
        return self.properties.patch(patch_id, deprecated=deprecated)

    def workflow_upsert_search_attributes(self, attributes: Any) -> None:
        self.properties.upsert_search_attributes(attributes)

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None:
        self.properties.upsert_memo(updates)

    def workflow_get_current_details(self) -> str:
        return self.properties.current_details

    def workflow_set_current_details(self, details: str) -> None:
        self.assert_not_read_only("set current details")
        self.properties.current_details = details

    def workflow_get_current_history_length(self) -> int:
        return self.properties.history.length

    def workflow_get_current_history_size(self) -> int:
        return self.properties.history.size_bytes

    def workflow_is_continue_as_new_suggested(self) -> bool:
        return self.properties.history.continue_as_new_suggested

    def workflow_extern_functions(self) -> Mapping[str, Callable[..., Any]]:
        return self.extern_functions

    def workflow_get_current_build_id(self) -> str:
        version = self.properties.history.deployment_version
        return version.build_id if version is not None else ""

    def workflow_get_current_deployment_version(self) -> WorkerDeploymentVersion | None:
        return self.properties.history.deployment_version

    def workflow_is_target_worker_deployment_version_changed(self) -> bool:
        return self.properties.history.target_worker_deployment_version_changed

    def workflow_continue_as_new(self, args: Sequence[Any], options: Mapping[str, Any]) -> NoReturn:
        self.interceptors.outbound.continue_as_new(continue_as_new_input(args, options, self.info))

    def get_handler(self, kind: HandlerKind, name: str | None) -> Callable[..., Any] | None:
        if kind == "update":
            return self.update_calls.get(name)
        return self.handlers.get(kind, name)

    def set_update_handler(
        self,
        name: str | None,
        handler: Callable[..., Any] | None,
        validator: Callable[..., Any] | None,
    ) -> None:
        self.update_calls.set(name, handler, validator)

    def all_handlers_finished(self) -> bool:
        return self.update_calls.all_finished()

    def set_handler(
        self, kind: HandlerKind, name: str | None, handler: Callable[..., Any] | None
    ) -> None:
        if kind == "update":
            self.update_calls.set(name, handler, None)
            return
        self.handlers.set(kind, name, handler)

    def start_activity(self, options: ActivityOptions) -> ActivityHandle[Any]:
        return self.interceptors.outbound.start_activity(activity_input(options))

    def start_local_activity(self, options: LocalActivityOptions) -> ActivityHandle[Any]:
        return self.interceptors.outbound.start_local_activity(local_activity_input(options))

    async def start_child_workflow(
        self, options: ChildWorkflowOptions
    ) -> ChildWorkflowHandle[Any, Any]:
        return await self.interceptors.outbound.start_child_workflow(child_input(options))

    async def signal_external(
        self,
        workflow_id: str,
        run_id: str | None,
        name: str,
        args: Sequence[Any],
        *,
        child_workflow_only: bool,
    ) -> None:
        outbound = self.interceptors.outbound
        if child_workflow_only:
            await outbound.signal_child_workflow(
                SignalChildWorkflowInput(name, args, workflow_id, headers={})
            )
            return
        await outbound.signal_external_workflow(
            SignalExternalWorkflowInput(name, args, self.info.namespace, workflow_id, run_id, {})
        )

    async def cancel_external(self, workflow_id: str, run_id: str | None) -> None:
        await self.externals.cancel(workflow_id, run_id)

    async def workflow_start_nexus_operation(
        self,
        *,
        endpoint: str,
        service: str,
        operation: Any,
        input: Any,
        output_type: type | None,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        cancellation_type: NexusOperationCancellationType,
        headers: Mapping[str, str] | None,
        summary: str | None,
        event_groups: Sequence[Any] | None,
    ) -> NexusOperationHandle[Any]:
        outbound = self.interceptors.outbound
        if endpoint == SYSTEM_ENDPOINT:
            # The server's own operations: each has its outbound method, as in the official SDK.
            if (service, operation) != (SYSTEM_SERVICE, SYSTEM_OPERATION):
                raise ValueError(f"unsupported System Nexus operation: {service}/{operation}")
            return await outbound.start_signal_with_start_workflow(input)
        return await outbound.start_nexus_operation(
            StartNexusOperationInput(
                endpoint=endpoint,
                service=service,
                operation=operation,
                input=input,
                output_type=output_type,
                schedule_to_close_timeout=schedule_to_close_timeout,
                schedule_to_start_timeout=schedule_to_start_timeout,
                start_to_close_timeout=start_to_close_timeout,
                cancellation_type=cancellation_type,
                headers=headers,
                summary=summary,
                event_groups=event_groups,
            )
        )

    # -- timers and conditions ------------------------------------------------------------------
    def start_timer(
        self,
        delay: float,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        context: contextvars.Context | None,
    ) -> TimerHandle:
        self.assert_not_read_only("schedule timer")
        if delay < 0:
            raise RuntimeError("Attempting to schedule timer with negative delay")
        seq = self.next_seq("timer")
        handle = TimerHandle(seq, self.loop.time() + delay, callback, args, self.loop, context)
        command = _closing.start_timer_command(seq, delay)
        if self._timer_summary:
            command.user_metadata.summary.CopyFrom(
                self.payload_converter.to_payloads([self._timer_summary])[0]
            )
            self._timer_summary = None
        self.issue(i.StartTimer(seq, command))
        self.pending_timers[seq] = handle
        return handle

    def cancel_timer(self, handle: TimerHandle) -> None:
        if self.pending_timers.pop(handle.seq, None) is not None:
            self.issue(i.CancelTimer(handle.seq))

    async def workflow_sleep(self, seconds: float, *, summary: str | None = None) -> None:
        fut: asyncio.Future[None] = self.loop.create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        self._timer_summary = summary
        handle = self.loop.call_later(seconds, wake)
        fut.add_done_callback(lambda f: handle.cancel() if f.cancelled() else None)
        await fut

    async def workflow_wait_condition(
        self, fn: Callable[[], bool], *, timeout: float | None, timeout_summary: str | None
    ) -> None:
        self.assert_not_read_only("wait condition")
        cancel_requested_before = self.cancel_reason is not None
        fut: asyncio.Future[Any] = self.loop.create_future()
        self.loop.add_condition(fn, fut)
        self._timer_summary = timeout_summary
        try:
            if timeout is None:
                await fut  # what wait_for does then, without its frame kept while parked
            else:
                await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if self.single_batch and not cancel_requested_before and self.cancel_reason is not None:
                raise asyncio.CancelledError from None
            raise
        finally:
            self._timer_summary = None


def _unhandled(job: NoReturn) -> NoReturn:
    """mypy proves this unreachable: every job type has a case above."""
    raise TypeError(f"no handler for activation job {job!r}")
