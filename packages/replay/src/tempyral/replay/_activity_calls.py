"""Activities started by workflow code: the handle, the schedule command, the resolution.

:py:class:`ActivityCalls` is a collaborator of :py:class:`~tempyral.replay._runtime.WorkflowRuntime`
(it keeps the activities waiting for a result); :py:class:`_Activity` is the
:py:class:`~tempyral.workflow.ActivityHandle` workflow code awaits or cancels.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue_pb2
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._errors import CorruptHistoryError
from tempyral.replay._flags import LangFlag
from tempyral.replay._machines import CancellationType
from tempyral.replay._outbound import await_operation
from tempyral.workflow._activities import ActivityHandle, ActivityOptions

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["ActivityCalls"]


class _Activity(ActivityHandle[Any]):
    def __init__(
        self,
        runtime: WorkflowRuntime,
        seq: int,
        options: ActivityOptions,
        coro: Coroutine[Any, Any, Any],
    ) -> None:
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
        self._runtime.issue(i.CancelActivity(self.seq))


class ActivityCalls:
    """Scheduling activities and resolving them from history."""

    __slots__ = ("_pending", "_runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._pending: dict[int, _Activity] = {}

    def start(
        self, options: ActivityOptions, headers: Mapping[str, common_pb2.Payload] | None = None
    ) -> _Activity:
        runtime = self._runtime
        runtime.assert_not_read_only("start activity")
        if not options.start_to_close_timeout and not options.schedule_to_close_timeout:
            raise ValueError(
                "Activity must have start_to_close_timeout or schedule_to_close_timeout"
            )
        handle: _Activity

        async def run_activity() -> Any:
            handle.started = True
            return await await_operation(
                runtime,
                handle.result_fut,
                lambda _err: handle.request_cancel(),
                completed_cancellation_flag=LangFlag.RAISE_ON_CANCELLING_COMPLETED_ACTIVITY,
            )

        seq = runtime.next_seq("activity")
        handle = _Activity(runtime, seq, options, run_activity())
        runtime.issue(
            i.ScheduleActivity(
                seq,
                self._command(seq, options, headers or {}),
                CancellationType(int(options.cancellation_type)),
            )
        )
        self._pending[seq] = handle
        return handle

    def _command(
        self, seq: int, options: ActivityOptions, headers: Mapping[str, common_pb2.Payload]
    ) -> command_pb2.Command:
        converter = self._runtime.payload_converter
        attrs = command_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=options.activity_id or str(seq),
            activity_type=common_pb2.ActivityType(name=options.activity),
            task_queue=taskqueue_pb2.TaskQueue(
                name=options.task_queue or self._runtime.info.task_queue
            ),
            request_eager_execution=False,
        )
        if options.args:
            attrs.input.payloads.extend(converter.to_payloads(list(options.args)))
        for key, header in headers.items():  # from workflow interceptors
            attrs.header.fields[key].CopyFrom(header)
        for duration, value in (
            (attrs.schedule_to_close_timeout, options.schedule_to_close_timeout),
            (attrs.schedule_to_start_timeout, options.schedule_to_start_timeout),
            (attrs.start_to_close_timeout, options.start_to_close_timeout),
            (attrs.heartbeat_timeout, options.heartbeat_timeout),
        ):
            if value:
                duration.FromTimedelta(value)
        if options.retry_policy is not None:
            options.retry_policy.apply_to_proto(attrs.retry_policy)
        if options.priority is not None and hasattr(options.priority, "_to_proto"):
            attrs.priority.CopyFrom(options.priority._to_proto())
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
            schedule_activity_task_command_attributes=attrs,
        )
        if options.summary:
            command.user_metadata.summary.CopyFrom(converter.to_payloads([options.summary])[0])
        return command

    def resolve(self, job: j.ResolveActivity) -> None:
        runtime = self._runtime
        handle = self._pending.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed finding activity handle for sequence {job.seq}")
        if job.status == "completed":
            value = None
            if job.result is not None:
                hint = [handle.options.result_type] if handle.options.result_type else None
                value = runtime.convert([job.result], hint)[0]
            handle.result_fut.set_result(value)
        elif handle.started:  # never started: its task was cancelled, nobody awaits the result
            if job.failure is None:
                raise CorruptHistoryError(f"activity {job.seq} {job.status} without a failure")
            handle.result_fut.set_exception(
                runtime.failure_converter.from_failure(job.failure, runtime.payload_converter)
            )
