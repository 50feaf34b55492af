"""Nexus operations started by workflow code: the handle, the schedule command, the resolutions.

:py:class:`NexusCalls` is a collaborator of :py:class:`~tempyral.replay._runtime.WorkflowRuntime`
(it keeps the operations waiting to start or finish); :py:class:`_NexusOperation` is the
:py:class:`~tempyral.workflow.NexusOperationHandle` workflow code awaits or cancels. As in the
official SDK, ``start_operation`` returns once history says the operation started (with a token)
or finished synchronously; the handle is a task that awaits the outcome, whose cancellation
becomes a ``RequestCancelNexusOperation`` as the operation's cancellation type says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._errors import CorruptHistoryError
from tempyral.replay._interceptor_api import StartNexusOperationInput
from tempyral.replay._machines import NexusCancellationType
from tempyral.replay._outbound import await_operation
from tempyral.workflow._nexus import NexusOperationHandle
from tempyral.workflow._signal_with_start import SYSTEM_ENDPOINT

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["NexusCalls"]


class _NexusOperation(NexusOperationHandle[Any]):
    def __init__(
        self,
        runtime: WorkflowRuntime,
        seq: int,
        input: StartNexusOperationInput[Any, Any],
        coro: Coroutine[Any, Any, Any],
    ) -> None:
        self.seq = seq
        self.input = input
        self._task = runtime.create_task(
            coro, name=f"nexus: {input.service}/{input.operation_name}"
        )
        self.start_fut: asyncio.Future[str | None] = runtime.loop.create_future()
        self.result_fut: asyncio.Future[Any] = runtime.loop.create_future()

    @property
    def operation_token(self) -> str | None:
        if not self.start_fut.done() or self.start_fut.cancelled():
            return None
        if self.start_fut.exception() is not None:
            return None
        return self.start_fut.result()

    def __await__(self) -> Generator[Any, Any, Any]:
        return self._task.__await__()

    def cancel(self) -> bool:
        return self._task.cancel()

    def resolve_failure(self, err: BaseException) -> None:
        if self.start_fut.done():
            self.result_fut.set_exception(err)
        else:
            self.start_fut.set_exception(err)
            self.result_fut.set_result(None)


class NexusCalls:
    """Scheduling Nexus operations and resolving their start and outcome from history."""

    __slots__ = ("_pending", "_runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._pending: dict[int, _NexusOperation] = {}

    async def start(self, input: StartNexusOperationInput[Any, Any]) -> _NexusOperation:
        runtime = self._runtime
        runtime.assert_not_read_only("start Nexus operation")
        handle: _NexusOperation

        def apply_cancel(_err: asyncio.CancelledError) -> None:
            runtime.issue(i.CancelNexusOperation(handle.seq))

        async def run_operation() -> Any:
            return await await_operation(runtime, handle.result_fut, apply_cancel)

        command = self._command(input)  # converted first: a bad input issues nothing
        seq = runtime.next_seq("nexus_operation")
        handle = _NexusOperation(runtime, seq, input, run_operation())
        runtime.issue(
            i.ScheduleNexusOperation(
                seq, command, NexusCancellationType(int(input.cancellation_type))
            )
        )
        self._pending[seq] = handle
        await await_operation(
            runtime, handle.start_fut, apply_cancel, reraise_on_workflow_cancellation=True
        )
        return handle

    def _command(self, input: StartNexusOperationInput[Any, Any]) -> command_pb2.Command:
        converter = self._runtime.payload_converter
        attrs = command_pb2.ScheduleNexusOperationCommandAttributes(
            endpoint=input.endpoint,
            service=input.service,
            operation=input.operation_name,
        )
        if input.endpoint == SYSTEM_ENDPOINT:
            # Loaded on first use: it needs the workflow service's messages, a large module.
            from tempyral.replay import _system_nexus

            attrs.input.CopyFrom(_system_nexus.request_payload(input.input, converter))
        else:
            attrs.input.CopyFrom(converter.to_payloads([input.input])[0])
        for duration, timeout in (
            (attrs.schedule_to_close_timeout, input.schedule_to_close_timeout),
            (attrs.schedule_to_start_timeout, input.schedule_to_start_timeout),
            (attrs.start_to_close_timeout, input.start_to_close_timeout),
        ):
            if timeout is not None:
                duration.FromTimedelta(timeout)
        for key, value in (input.headers or {}).items():
            attrs.nexus_header[key] = value
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
            schedule_nexus_operation_command_attributes=attrs,
        )
        if input.summary:
            command.user_metadata.summary.CopyFrom(converter.to_payloads([input.summary])[0])
        return command

    def resolve_start(self, job: j.ResolveNexusStart) -> None:
        handle = self._pending.get(job.seq)
        if handle is None:
            raise RuntimeError(f"Failed to find Nexus operation handle for sequence {job.seq}")
        if job.status == "started":
            handle.start_fut.set_result(job.operation_token)
        elif job.status == "sync":
            handle.start_fut.set_result(None)  # its outcome follows in this activation
        else:
            self._pending.pop(job.seq)
            handle.resolve_failure(self._failure(job.seq, job.status, job.failure))

    def resolve(self, job: j.ResolveNexus) -> None:
        handle = self._pending.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed to find Nexus operation handle for sequence {job.seq}")
        if job.status != "completed":
            handle.resolve_failure(self._failure(job.seq, job.status, job.failure))
            return
        value = None
        if job.result is not None and handle.input.endpoint == SYSTEM_ENDPOINT:
            from tempyral.replay import _system_nexus

            value = _system_nexus.response_value(job.result)
        elif job.result is not None:
            hint = handle.input.output_type
            value = self._runtime.convert([job.result], [hint] if hint else None)[0]
        handle.result_fut.set_result(value)

    def _failure(self, seq: int, status: str, failure: failure_pb2.Failure | None) -> BaseException:
        if failure is None:
            raise CorruptHistoryError(f"Nexus operation {seq} {status} without a failure")
        runtime = self._runtime
        return runtime.failure_converter.from_failure(failure, runtime.payload_converter)
