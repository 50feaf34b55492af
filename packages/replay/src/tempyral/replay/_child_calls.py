"""Child workflows started by workflow code: the handle, the start command, the resolutions.

:py:class:`ChildCalls` is a collaborator of :py:class:`~tempyral.replay._runtime.WorkflowRuntime`
(it keeps the children waiting to start or finish); :py:class:`_Child` is the
:py:class:`~tempyral.workflow.ChildWorkflowHandle` workflow code awaits, signals or cancels.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.failed_cause_pb2 import StartChildWorkflowExecutionFailedCause
from tempyral.api.enums.v1.workflow_pb2 import ParentClosePolicy, WorkflowIdReusePolicy
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue_pb2
from tempyral.converter import encode_search_attributes
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._errors import CorruptHistoryError
from tempyral.replay._interceptor_api import SignalChildWorkflowInput
from tempyral.replay._machines import ChildCancellationType
from tempyral.replay._outbound import await_operation
from tempyral.workflow._children import ChildWorkflowHandle, ChildWorkflowOptions
from tempyral.workflow._definition import _SignalDefinition

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["ChildCalls"]

_UNSET: Any = object()

_ALREADY_EXISTS = StartChildWorkflowExecutionFailedCause.Value(
    "START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS"
)


class _Child(ChildWorkflowHandle[Any, Any]):
    def __init__(
        self,
        runtime: WorkflowRuntime,
        seq: int,
        options: ChildWorkflowOptions,
        coro: Coroutine[Any, Any, Any],
    ) -> None:
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
        values = list(args) if arg is _UNSET else [arg]
        name = _SignalDefinition.must_name_from_fn_or_str(signal)
        await self._runtime.interceptors.outbound.signal_child_workflow(
            SignalChildWorkflowInput(name, values, self.options.id, headers={})
        )

    def resolve_failure(self, err: BaseException) -> None:
        if self.start_fut.done():
            self.result_fut.set_exception(err)
        else:
            self.start_fut.set_exception(err)
            self.result_fut.set_result(None)


class ChildCalls:
    """Starting child workflows and resolving their start and outcome from history."""

    __slots__ = ("_pending", "_runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._pending: dict[int, _Child] = {}

    async def start(
        self,
        options: ChildWorkflowOptions,
        headers: Mapping[str, common_pb2.Payload] | None = None,
    ) -> _Child:
        runtime = self._runtime
        runtime.assert_not_read_only("start child workflow")
        handle: _Child

        def apply_cancel(err: asyncio.CancelledError) -> None:
            reason = err.args[0] if err.args and isinstance(err.args[0], str) else ""
            runtime.issue(i.CancelChild(handle.seq, reason))

        async def run_child() -> Any:
            return await await_operation(runtime, handle.result_fut, apply_cancel)

        seq = runtime.next_seq("child_workflow")
        handle = _Child(runtime, seq, options, run_child())
        runtime.issue(
            i.StartChild(
                seq,
                self._command(options, headers or {}),
                ChildCancellationType(int(options.cancellation_type)),
            )
        )
        self._pending[seq] = handle
        await await_operation(
            runtime, handle.start_fut, apply_cancel, reraise_on_workflow_cancellation=True
        )
        return handle

    def _command(
        self, options: ChildWorkflowOptions, headers: Mapping[str, common_pb2.Payload]
    ) -> command_pb2.Command:
        runtime = self._runtime
        converter = runtime.payload_converter
        attrs = command_pb2.StartChildWorkflowExecutionCommandAttributes(
            namespace=runtime.info.namespace,
            workflow_id=options.id,
            workflow_type=common_pb2.WorkflowType(name=options.workflow),
            task_queue=taskqueue_pb2.TaskQueue(name=options.task_queue or runtime.info.task_queue),
            parent_close_policy=ParentClosePolicy.Name(int(options.parent_close_policy)),
            workflow_id_reuse_policy=WorkflowIdReusePolicy.Name(int(options.id_reuse_policy)),
            cron_schedule=options.cron_schedule,
        )
        if options.args:
            attrs.input.payloads.extend(converter.to_payloads(list(options.args)))
        for key, header in headers.items():  # from workflow interceptors
            attrs.header.fields[key].CopyFrom(header)
        for duration, value in (
            (attrs.workflow_execution_timeout, options.execution_timeout),
            (attrs.workflow_run_timeout, options.run_timeout),
            (attrs.workflow_task_timeout, options.task_timeout),
        ):
            if value:
                duration.FromTimedelta(value)
        if options.retry_policy is not None:
            options.retry_policy.apply_to_proto(attrs.retry_policy)
        for key, value in (options.memo or {}).items():
            attrs.memo.fields[key].CopyFrom(converter.to_payloads([value])[0])
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
                converter.to_payloads([options.static_summary])[0]
            )
        if options.static_details:
            command.user_metadata.details.CopyFrom(
                converter.to_payloads([options.static_details])[0]
            )
        return command

    def resolve_start(self, job: j.ResolveChildStart) -> None:
        handle = self._pending.get(job.seq)
        if handle is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        if job.status == "started":
            handle._run_id = job.run_id
            handle.start_fut.set_result(None)
            return
        self._pending.pop(job.seq)
        if job.status == "failed":
            if job.cause == _ALREADY_EXISTS:
                handle.resolve_failure(
                    WorkflowAlreadyStartedError(job.workflow_id, job.workflow_type)
                )
            else:
                handle.resolve_failure(RuntimeError(f"Unknown child start fail cause: {job.cause}"))
        else:
            handle.resolve_failure(self._failure(job.seq, job.status, job.failure))

    def resolve(self, job: j.ResolveChild) -> None:
        handle = self._pending.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        if job.status == "completed":
            value = None
            if job.result is not None:
                hint = [handle.options.result_type] if handle.options.result_type else None
                value = self._runtime.convert([job.result], hint)[0]
            handle.result_fut.set_result(value)
        else:
            handle.resolve_failure(self._failure(job.seq, job.status, job.failure))

    def _failure(self, seq: int, status: str, failure: failure_pb2.Failure | None) -> BaseException:
        if failure is None:
            raise CorruptHistoryError(f"child workflow {seq} {status} without a failure")
        runtime = self._runtime
        return runtime.failure_converter.from_failure(failure, runtime.payload_converter)
