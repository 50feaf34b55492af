"""The workflow half of a run: the workflow object, its tasks, and what its code asks for.

:py:class:`WorkflowRuntime` applies activation jobs (start, signals, resolutions, cancellation)
and runs the deterministic loop, in the order the official Python SDK does: jobs are applied in
groups (signals first, then everything else), the loop running until idle after each group. What
the code asks for becomes :py:class:`~tempyral.replay._driver.Intent` records, handed to the engine
half. Activities, children and external workflows are in ``_outbound``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.common import RawValue, RetryPolicy
from tempyral.converter import (
    DataConverter,
    encode_search_attributes,
)
from tempyral.exceptions import CancelledError, FailureError, is_cancelled_exception
from tempyral.replay import _guard
from tempyral.replay import _jobs as j
from tempyral.replay._driver import Intent
from tempyral.replay._flags import Flags, LangFlag
from tempyral.replay._handlers import Handlers
from tempyral.replay._info import make_info
from tempyral.replay._loop import DeterministicLoop, TimerHandle
from tempyral.replay._outbound import Outbound
from tempyral.replay._source import caller_location
from tempyral.workflow._context import (
    ContinueAsNewError,
    Info,
    ReadOnlyContextError,
)
from tempyral.workflow._definition import _Definition, _QueryDefinition, _SignalDefinition

__all__ = ["WorkflowRuntime"]

logger = logging.getLogger(__name__)


class _Evicted(BaseException):
    """Raised into workflow tasks that try to issue commands while the run is being evicted."""


class WorkflowRuntime(Handlers, Outbound):
    """One run of one workflow class, driven activation by activation."""

    def __init__(
        self,
        definition: _Definition,
        init: j.InitializeWorkflow,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        data_converter: DataConverter,
        flags: Flags,
        guard: bool,
        failure_exception_types: Sequence[type[BaseException]] = (),
    ) -> None:
        self.definition = definition
        self.workflow_id = workflow_id
        self.loop = DeterministicLoop(self)  # type: ignore[abstract]  # I/O methods stay abstract
        self.data_converter = data_converter
        self.payload_converter = data_converter.payload_converter
        self.failure_converter = data_converter.failure_converter
        self.flags = flags
        self.guard = guard and definition.sandboxed
        self.failure_exception_types = (
            *definition.failure_exception_types,
            *failure_exception_types,
        )
        self.time_ns = 0  # set by each activation
        self.is_replaying = True
        self.cancel_reason: str | None = None
        self.deleting = False
        self.read_only = False
        self.random = random.Random(init.randomness_seed)  # noqa: S311 (deterministic on purpose)
        self.intents: list[Intent] = []
        self.activation_error: BaseException | None = None
        self.violations: list[_guard.RestrictedWorkflowAccessError] = []
        self.single_batch = False
        self._seqs: dict[str, int] = {}
        self.pending_timers: dict[int, TimerHandle] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.signals: dict[str | None, _SignalDefinition] = dict(definition.signals)
        self.queries: dict[str | None, _QueryDefinition] = dict(definition.queries)
        self.buffered_signals: dict[str, list[j.SignalWorkflow]] = {}
        self.object: Any = None
        self.primary_task: asyncio.Task[Any] | None = None
        self._timer_summary: str | None = None
        self.attributes = init.attributes
        self.info = make_info(init, workflow_id=workflow_id, namespace=namespace, run_id=run_id)
        self.args = self._workflow_args(init)
        super().__init__()

    # -- activation -----------------------------------------------------------------------------
    def activate(self, jobs: Sequence[j.Job], *, time_ns: int, replaying: bool) -> list[Intent]:
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
        groups: list[list[j.Job]] = [[], [], []]
        for job in jobs:
            if isinstance(job, j.SignalWorkflow):
                groups[0].append(job)
            elif isinstance(job, j.QueryWorkflow):
                groups[2].append(job)
            else:
                groups[1].append(job)
        try:
            if self.single_batch:
                for job in (*groups[0], *groups[1]):
                    self._apply(job)
                self._run(check_conditions=True)
            else:
                for index, group in enumerate(groups):
                    if not group:
                        continue
                    for job in group:
                        self._apply(job)
                    self._run(check_conditions=index < 2)
        except Exception as err:  # the loop stops at the first task failure
            if self.activation_error is None:
                self.activation_error = err
        intents, self.intents = self.intents, []
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

    def _apply(self, job: j.Job) -> None:
        getattr(self, f"_apply_{type(job).__name__}")(job)

    def _apply_InitializeWorkflow(self, job: j.InitializeWorkflow) -> None:
        async def run_workflow() -> None:
            result = await self._execute()
            payloads = self.payload_converter.to_payloads([result])
            self.add_intent(
                "complete",
                command=command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
                    complete_workflow_execution_command_attributes=command_pb2.CompleteWorkflowExecutionCommandAttributes(
                        result=common_pb2.Payloads(payloads=payloads)
                    ),
                ),
            )

        self.primary_task = self.create_task(self._top_level(run_workflow()), name="run")
        if getattr(self, "_cancel_pending", False):
            self.loop.call_soon(self.primary_task.cancel)

    def _apply_SignalWorkflow(self, job: j.SignalWorkflow) -> None:
        defn = self.signals.get(job.name) or self.signals.get(None)
        if defn is None:
            self.buffered_signals.setdefault(job.name, []).append(job)
            return
        self._process_signal(defn, job)

    def _apply_CancelWorkflow(self, job: j.CancelWorkflow) -> None:
        self.cancel_reason = job.reason
        if self.primary_task is not None:
            self.loop.call_soon(self.primary_task.cancel)
        elif self.single_batch:
            self._cancel_pending = True

    def _apply_FireTimer(self, job: j.FireTimer) -> None:
        handle = self.pending_timers.pop(job.seq, None)
        if handle is not None:
            self.loop._ready.append(handle)

    def _apply_UpdateRandomSeed(self, job: j.UpdateRandomSeed) -> None:
        self.random.seed(job.seed)

    def _apply_QueryWorkflow(self, job: j.QueryWorkflow) -> None:
        self.run_query(job)

    # -- the workflow object and its top-level coroutines ---------------------------------------
    def _workflow_args(self, init: j.InitializeWorkflow) -> list[Any]:
        payloads = list(init.attributes.input.payloads)
        if self.definition.name is None:
            return [RawValue(p) for p in payloads]
        return self.convert(payloads, self.definition.arg_types)

    def _instantiate(self) -> Any:
        cls = self.definition.cls
        return cls(*self.args) if self.definition.init_takes_args else cls()

    async def _execute(self) -> Any:
        run = self.definition.run_fn
        if self.definition.name is None:
            return await run(self.object, self.args)
        return await run(self.object, *self.args)

    async def _top_level(self, coro: Any) -> None:
        try:
            await coro
        except ContinueAsNewError as err:
            self._continue_as_new(err)
        except (Exception, asyncio.CancelledError) as err:
            if self.deleting:
                return
            error: BaseException = (
                CancelledError(str(err)) if isinstance(err, asyncio.CancelledError) else err
            )
            if self.cancel_reason is not None and is_cancelled_exception(error):
                self.add_intent(
                    "cancel_workflow",
                    command=command_pb2.Command(
                        command_type=CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
                        cancel_workflow_execution_command_attributes=command_pb2.CancelWorkflowExecutionCommandAttributes(),
                    ),
                )
            elif self.is_failure_exception(error):
                self._fail(error)
            else:
                self.activation_error = error

    def _fail(self, error: BaseException) -> None:
        failure = failure_pb2.Failure()
        try:
            self.failure_converter.to_failure(error, self.payload_converter, failure)
        except Exception as err:
            self.activation_error = ValueError(f"Failed converting workflow exception: {err}")
            return
        self.add_intent(
            "fail",
            command=command_pb2.Command(
                command_type=CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
                fail_workflow_execution_command_attributes=command_pb2.FailWorkflowExecutionCommandAttributes(
                    failure=failure
                ),
            ),
        )

    def is_failure_exception(self, err: BaseException) -> bool:
        return isinstance(err, (FailureError, asyncio.TimeoutError)) or any(
            isinstance(err, kind) for kind in self.failure_exception_types
        )

    def _continue_as_new(self, err: ContinueAsNewError) -> None:
        options = err.options
        workflow = options.get("workflow")
        name = self.info.workflow_type
        if isinstance(workflow, str):
            name = workflow
        elif workflow is not None:
            defn = _Definition.from_run_fn(workflow)
            name = defn.name if defn is not None and defn.name else name
        attrs = command_pb2.ContinueAsNewWorkflowExecutionCommandAttributes(
            workflow_type=common_pb2.WorkflowType(name=name),
            task_queue=self.attributes.task_queue.__class__(
                name=options.get("task_queue") or self.info.task_queue
            ),
        )
        if err.input_args:
            attrs.input.payloads.extend(self.payload_converter.to_payloads(list(err.input_args)))
        if options.get("run_timeout"):
            attrs.workflow_run_timeout.FromTimedelta(options["run_timeout"])
        if options.get("task_timeout"):
            attrs.workflow_task_timeout.FromTimedelta(options["task_timeout"])
        if options.get("backoff_start_interval"):
            attrs.backoff_start_interval.FromTimedelta(options["backoff_start_interval"])
        if isinstance(options.get("retry_policy"), RetryPolicy):
            options["retry_policy"].apply_to_proto(attrs.retry_policy)
        for key, value in (options.get("memo") or {}).items():
            attrs.memo.fields[key].CopyFrom(self.payload_converter.to_payloads([value])[0])
        if options.get("search_attributes"):
            encode_search_attributes(options["search_attributes"], attrs.search_attributes)
        self.add_intent(
            "continue_as_new",
            command=command_pb2.Command(
                command_type=CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
                continue_as_new_workflow_execution_command_attributes=attrs,
            ),
        )

    # -- helpers used by the workflow API -------------------------------------------------------
    def create_task(self, coro: Any, *, name: str) -> asyncio.Task[Any]:
        self.assert_not_read_only("create task", allow_internal=True)
        task: asyncio.Task[Any] = self.loop.create_task(coro, name=name)
        task._log_destroy_pending = False  # type: ignore[attr-defined]  # evicted runs' tasks
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def assert_not_read_only(self, action: str, *, allow_internal: bool = False) -> None:
        if self.read_only and not allow_internal:
            raise ReadOnlyContextError(f"While in read-only function, action attempted: {action}")

    def next_seq(self, kind: str) -> int:
        self._seqs[kind] = self._seqs.get(kind, 0) + 1
        return self._seqs[kind]

    def add_intent(self, kind: str, **fields: Any) -> None:
        if self.deleting:
            raise _Evicted  # unwinds the task that asked: the run is being dropped
        if self.read_only:
            raise ReadOnlyContextError(f"While in read-only function, action attempted: {kind}")
        fields.setdefault("source", caller_location())
        self.intents.append(Intent(kind, **fields))

    def convert(
        self, payloads: Sequence[common_pb2.Payload], types: Sequence[Any] | None
    ) -> list[Any]:
        if not payloads:
            return []
        hints = list(types) if types and len(types) == len(payloads) else None
        return self.payload_converter.from_payloads(list(payloads), hints)

    def workflow_info(self) -> Info:
        return self.info

    def workflow_instance(self) -> Any:
        return self.object

    def workflow_random(self) -> random.Random:
        self.assert_not_read_only("random")
        return self.random

    def workflow_uuid4(self) -> Any:
        import uuid

        return uuid.UUID(bytes=self.random.getrandbits(128).to_bytes(16, "big"), version=4)

    def workflow_memo(self) -> Mapping[str, Any]:
        return {
            k: self.payload_converter.from_payloads([v])[0] for k, v in self.info.raw_memo.items()
        }

    def workflow_memo_value(self, key: str, default: Any, type_hint: Any, unset: Any) -> Any:
        payload = self.info.raw_memo.get(key)
        if payload is None:
            if default is unset:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        return self.payload_converter.from_payloads([payload], [type_hint] if type_hint else None)[
            0
        ]

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
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_START_TIMER,
            start_timer_command_attributes=command_pb2.StartTimerCommandAttributes(
                timer_id=str(seq)
            ),
        )
        command.start_timer_command_attributes.start_to_fire_timeout.FromNanoseconds(
            int(delay * 1e9)
        )
        if self._timer_summary:
            command.user_metadata.summary.CopyFrom(
                self.payload_converter.to_payloads([self._timer_summary])[0]
            )
            self._timer_summary = None
        self.add_intent("start_timer", seq=seq, command=command)
        self.pending_timers[seq] = handle
        return handle

    def cancel_timer(self, handle: TimerHandle) -> None:
        if self.pending_timers.pop(handle.seq, None) is not None:
            self.add_intent("cancel_timer", seq=handle.seq)

    async def workflow_sleep(self, seconds: float, *, summary: str | None = None) -> None:
        fut = self.loop.create_future()
        self._timer_summary = summary
        handle = self.loop.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        fut.add_done_callback(lambda f: handle.cancel() if f.cancelled() else None)
        await fut

    async def workflow_wait_condition(
        self, fn: Callable[[], bool], *, timeout: float | None, timeout_summary: str | None
    ) -> None:
        self.assert_not_read_only("wait condition")
        cancel_requested_before = self.cancel_reason is not None
        fut = self.loop.create_future()
        self.loop.add_condition(fn, fut)
        self._timer_summary = timeout_summary
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if self.single_batch and not cancel_requested_before and self.cancel_reason is not None:
                raise asyncio.CancelledError from None
            raise
        finally:
            self._timer_summary = None
