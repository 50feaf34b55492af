"""What workflow code starts outside itself: activities, child workflows, signals and cancels of
other workflows, with their handles and how their resolutions and cancellations flow.

A mixin of :py:class:`~tempyral.replay._runtime.WorkflowRuntime` (which provides the loop,
converters, sequence numbers and ``add_intent``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.failed_cause_pb2 import StartChildWorkflowExecutionFailedCause
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue_pb2
from tempyral.converter import encode_search_attributes
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.replay import _jobs as j
from tempyral.replay._flags import LangFlag
from tempyral.replay._machines import CancellationType, ChildCancellationType
from tempyral.workflow._activities import ActivityHandle, ActivityOptions
from tempyral.workflow._children import ChildWorkflowHandle, ChildWorkflowOptions

__all__ = ["Outbound"]

_UNSET: Any = object()

_ALREADY_EXISTS = StartChildWorkflowExecutionFailedCause.Value(
    "START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS"
)


class _Activity(ActivityHandle[Any]):
    def __init__(self, runtime: Any, seq: int, options: ActivityOptions, coro: Any) -> None:
        super().__init__(coro, loop=runtime.loop, name=f"activity: {options.activity}")
        runtime.tasks.add(self)
        self.add_done_callback(runtime.tasks.discard)
        self._log_destroy_pending = False
        self._runtime = runtime
        self.seq = seq
        self.options = options
        self.result_fut: asyncio.Future[Any] = runtime.loop.create_future()
        self.started = False
        self.cancel_requested = False

    def cancel(self, msg: Any | None = None) -> bool:
        if not self._runtime.deleting:
            self._runtime.assert_not_read_only("cancel activity handle")
            # Cancelled before its coroutine ever ran: nothing would trap the cancel, so ask here.
            if not self.started and not self.done():
                self.request_cancel()
        return super().cancel(msg)

    def request_cancel(self) -> None:
        if self.cancel_requested:
            return
        self.cancel_requested = True
        self._runtime.add_intent("cancel_activity", seq=self.seq)


class _Child(ChildWorkflowHandle[Any]):
    def __init__(self, runtime: Any, seq: int, options: ChildWorkflowOptions, coro: Any) -> None:
        super().__init__(coro, loop=runtime.loop, name=f"child: {options.workflow}")
        runtime.tasks.add(self)
        self.add_done_callback(runtime.tasks.discard)
        self._log_destroy_pending = False
        self._runtime = runtime
        self.seq = seq
        self.options = options
        self.start_fut: asyncio.Future[None] = runtime.loop.create_future()
        self.result_fut: asyncio.Future[Any] = runtime.loop.create_future()
        self._run_id: str | None = None

    @property
    def id(self) -> str:
        return self.options.id

    @property
    def first_execution_run_id(self) -> str | None:
        return self._run_id

    async def signal(
        self, signal: str | Callable[..., Any], arg: Any = _UNSET, *, args: Sequence[Any] = ()
    ) -> None:
        from tempyral.workflow._definition import _SignalDefinition

        values = list(args) if arg is _UNSET else [arg]
        name = _SignalDefinition.must_name_from_fn_or_str(signal)
        await self._runtime.signal_external(
            self.options.id, None, name, values, child_workflow_only=True
        )

    def resolve_failure(self, err: BaseException) -> None:
        if self.start_fut.done():
            self.result_fut.set_exception(err)
        else:
            self.start_fut.set_exception(err)
            self.result_fut.set_result(None)


class Outbound:
    """Starting and resolving what lives outside the workflow."""

    loop: Any
    tasks: set[asyncio.Task[Any]]

    def __init__(self) -> None:
        self.pending_activities: dict[int, _Activity] = {}
        self.pending_children: dict[int, _Child] = {}
        self.pending_signals: dict[int, asyncio.Future[None]] = {}
        self.pending_cancels: dict[int, asyncio.Future[None]] = {}
        self.query_results: dict[str, Any] = {}

    async def await_operation(
        self: Any,
        fut: asyncio.Future[Any],
        apply_cancel: Callable[[asyncio.CancelledError], None],
        *,
        completed_cancellation_flag: LangFlag | None = None,
        reraise_on_workflow_cancellation: bool = False,
    ) -> Any:
        """Await a future that only the engine resolves; a task cancel becomes a cancel request."""
        while True:
            try:
                await asyncio.wait([fut])
                return fut.result()
            except asyncio.CancelledError as err:
                if fut.done():
                    if self.single_batch:
                        raise
                    if completed_cancellation_flag is not None and self.flags.lang_enabled(
                        completed_cancellation_flag, replaying=self.is_replaying
                    ):
                        raise
                apply_cancel(err)
                task = asyncio.current_task()
                if sys.version_info >= (3, 11) and task is not None:
                    task.uncancel()
                if reraise_on_workflow_cancellation and (
                    self.cancel_reason is not None or self.deleting
                ):
                    raise

    # -- activities ------------------------------------------------------------------------------
    def start_activity(self: Any, options: ActivityOptions) -> _Activity:
        self.assert_not_read_only("start activity")
        if not options.start_to_close_timeout and not options.schedule_to_close_timeout:
            raise ValueError(
                "Activity must have start_to_close_timeout or schedule_to_close_timeout"
            )
        handle: _Activity

        async def run_activity() -> Any:
            handle.started = True
            return await self.await_operation(
                handle.result_fut,
                lambda _err: handle.request_cancel(),
                completed_cancellation_flag=LangFlag.RAISE_ON_CANCELLING_COMPLETED_ACTIVITY,
            )

        seq = self.next_seq("activity")
        handle = _Activity(self, seq, options, run_activity())
        payloads = self.payload_converter.to_payloads(list(options.args)) if options.args else []
        attrs = command_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=options.activity_id or str(seq),
            activity_type=common_pb2.ActivityType(name=options.activity),
            task_queue=taskqueue_pb2.TaskQueue(name=options.task_queue or self.info.task_queue),
            request_eager_execution=False,
        )
        if payloads:
            attrs.input.payloads.extend(payloads)
        for field in (
            "schedule_to_close_timeout",
            "schedule_to_start_timeout",
            "start_to_close_timeout",
            "heartbeat_timeout",
        ):
            value = getattr(options, field)
            if value:
                getattr(attrs, field).FromTimedelta(value)
        if options.retry_policy is not None:
            options.retry_policy.apply_to_proto(attrs.retry_policy)
        if options.priority is not None and hasattr(options.priority, "_to_proto"):
            attrs.priority.CopyFrom(options.priority._to_proto())
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
            schedule_activity_task_command_attributes=attrs,
        )
        if options.summary:
            command.user_metadata.summary.CopyFrom(
                self.payload_converter.to_payloads([options.summary])[0]
            )
        self.add_intent(
            "schedule_activity",
            seq=seq,
            command=command,
            cancellation_type=CancellationType(int(options.cancellation_type)),
        )
        self.pending_activities[seq] = handle
        return handle

    def _apply_ResolveActivity(self: Any, job: j.ResolveActivity) -> None:
        handle = self.pending_activities.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed finding activity handle for sequence {job.seq}")
        if job.status == "completed":
            value = None
            if job.result is not None:
                hint = [handle.options.result_type] if handle.options.result_type else None
                value = self.convert([job.result], hint)[0]
            handle.result_fut.set_result(value)
        elif handle.started:  # never started: its task was cancelled, nobody awaits the result
            assert job.failure is not None
            handle.result_fut.set_exception(
                self.failure_converter.from_failure(job.failure, self.payload_converter)
            )

    # -- child workflows ---------------------------------------------------------------------------
    async def start_child_workflow(self: Any, options: ChildWorkflowOptions) -> _Child:
        self.assert_not_read_only("start child workflow")
        handle: _Child

        def apply_cancel(err: asyncio.CancelledError) -> None:
            reason = err.args[0] if err.args and isinstance(err.args[0], str) else ""
            self.add_intent("cancel_child", seq=handle.seq, reason=reason)

        async def run_child() -> Any:
            return await self.await_operation(handle.result_fut, apply_cancel)

        seq = self.next_seq("child_workflow")
        handle = _Child(self, seq, options, run_child())
        self.add_intent(
            "start_child",
            seq=seq,
            command=self._child_command(options),
            cancellation_type=ChildCancellationType(int(options.cancellation_type)),
        )
        self.pending_children[seq] = handle
        await self.await_operation(
            handle.start_fut, apply_cancel, reraise_on_workflow_cancellation=True
        )
        return handle

    def _child_command(self: Any, options: ChildWorkflowOptions) -> command_pb2.Command:
        attrs = command_pb2.StartChildWorkflowExecutionCommandAttributes(
            namespace=self.info.namespace,
            workflow_id=options.id,
            workflow_type=common_pb2.WorkflowType(name=options.workflow),
            task_queue=taskqueue_pb2.TaskQueue(name=options.task_queue or self.info.task_queue),
            parent_close_policy=int(options.parent_close_policy),  # type: ignore[arg-type]
            workflow_id_reuse_policy=int(options.id_reuse_policy),  # type: ignore[arg-type]
            cron_schedule=options.cron_schedule,
        )
        if options.args:
            attrs.input.payloads.extend(self.payload_converter.to_payloads(list(options.args)))
        for field, value in (
            ("workflow_execution_timeout", options.execution_timeout),
            ("workflow_run_timeout", options.run_timeout),
            ("workflow_task_timeout", options.task_timeout),
        ):
            if value:
                getattr(attrs, field).FromTimedelta(value)
        if options.retry_policy is not None:
            options.retry_policy.apply_to_proto(attrs.retry_policy)
        for key, value in (options.memo or {}).items():
            attrs.memo.fields[key].CopyFrom(self.payload_converter.to_payloads([value])[0])
        if options.search_attributes:
            encode_search_attributes(options.search_attributes, attrs.search_attributes)
        if options.priority is not None and hasattr(options.priority, "_to_proto"):
            attrs.priority.CopyFrom(options.priority._to_proto())
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
            start_child_workflow_execution_command_attributes=attrs,
        )
        if options.static_summary:
            command.user_metadata.summary.CopyFrom(
                self.payload_converter.to_payloads([options.static_summary])[0]
            )
        return command

    def _apply_ResolveChildStart(self: Any, job: j.ResolveChildStart) -> None:
        handle = self.pending_children.get(job.seq)
        if handle is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        if job.status == "started":
            handle._run_id = job.run_id
            handle.start_fut.set_result(None)
            return
        self.pending_children.pop(job.seq)
        if job.status == "failed":
            if job.cause == _ALREADY_EXISTS:
                handle.resolve_failure(
                    WorkflowAlreadyStartedError(job.workflow_id, job.workflow_type)
                )
            else:
                handle.resolve_failure(RuntimeError(f"Unknown child start fail cause: {job.cause}"))
        else:
            assert job.failure is not None
            handle.resolve_failure(
                self.failure_converter.from_failure(job.failure, self.payload_converter)
            )

    def _apply_ResolveChild(self: Any, job: j.ResolveChild) -> None:
        handle = self.pending_children.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        if job.status == "completed":
            value = None
            if job.result is not None:
                hint = [handle.options.result_type] if handle.options.result_type else None
                value = self.convert([job.result], hint)[0]
            handle.result_fut.set_result(value)
        else:
            assert job.failure is not None
            handle.resolve_failure(
                self.failure_converter.from_failure(job.failure, self.payload_converter)
            )

    # -- external workflows ------------------------------------------------------------------------
    async def signal_external(
        self: Any,
        workflow_id: str,
        run_id: str | None,
        name: str,
        args: Sequence[Any],
        *,
        child_workflow_only: bool,
    ) -> None:
        self.assert_not_read_only("signal external workflow")
        attrs = command_pb2.SignalExternalWorkflowExecutionCommandAttributes(
            namespace=self.info.namespace,
            execution=common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            signal_name=name,
            child_workflow_only=child_workflow_only,
        )
        if args:
            attrs.input.payloads.extend(self.payload_converter.to_payloads(list(args)))
        seq = self.next_seq("external_signal")
        fut = self.loop.create_future()
        self.pending_signals[seq] = fut
        self.add_intent(
            "signal_external",
            seq=seq,
            command=command_pb2.Command(
                command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
                signal_external_workflow_execution_command_attributes=attrs,
            ),
        )
        await self.await_operation(fut, lambda _err: self.add_intent("cancel_signal", seq=seq))

    async def cancel_external(self: Any, workflow_id: str, run_id: str | None) -> None:
        self.assert_not_read_only("cancel external workflow")
        seq = self.next_seq("external_cancel")
        fut = self.loop.create_future()
        self.pending_cancels[seq] = fut
        self.add_intent(
            "cancel_external",
            seq=seq,
            command=command_pb2.Command(
                command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                request_cancel_external_workflow_execution_command_attributes=command_pb2.RequestCancelExternalWorkflowExecutionCommandAttributes(
                    namespace=self.info.namespace, workflow_id=workflow_id, run_id=run_id or ""
                ),
            ),
        )
        await fut  # a cancel request cannot itself be cancelled

    def _apply_ResolveSignalExternal(self: Any, job: j.ResolveSignalExternal) -> None:
        self._resolve_external(self.pending_signals, job.seq, job.failure)

    def _apply_ResolveCancelExternal(self: Any, job: j.ResolveCancelExternal) -> None:
        self._resolve_external(self.pending_cancels, job.seq, job.failure)

    def _resolve_external(
        self: Any, pending: dict[int, asyncio.Future[None]], seq: int, failure: Any
    ) -> None:
        fut = pending.pop(seq, None)
        if fut is None:
            raise RuntimeError(f"Failed finding pending external operation for sequence {seq}")
        if fut.cancelled():
            return
        if failure is not None:
            fut.set_exception(self.failure_converter.from_failure(failure, self.payload_converter))
        else:
            fut.set_result(None)
