"""What workflow code starts outside itself, the shared part: awaiting a future only the engine
resolves, and signals and cancels of other workflows (:py:class:`ExternalCalls`).

Activities are in ``_activity_calls`` and child workflows in ``_child_calls``; each is a
collaborator the runtime holds, with a typed reference back to it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._flags import LangFlag

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["ExternalCalls", "await_operation"]


async def await_operation(
    runtime: WorkflowRuntime,
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
                if runtime.single_batch:
                    raise
                if completed_cancellation_flag is not None and runtime.flags.lang_enabled(
                    completed_cancellation_flag, replaying=runtime.is_replaying
                ):
                    raise
            apply_cancel(err)
            task = asyncio.current_task()
            if sys.version_info >= (3, 11) and task is not None:
                task.uncancel()
            if reraise_on_workflow_cancellation and (
                runtime.cancel_reason is not None or runtime.deleting
            ):
                raise


class ExternalCalls:
    """Signals to and cancellation requests of other workflows (children included)."""

    __slots__ = ("_pending_cancels", "_pending_signals", "_runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._pending_signals: dict[int, asyncio.Future[None]] = {}
        self._pending_cancels: dict[int, asyncio.Future[None]] = {}

    async def signal(
        self,
        workflow_id: str,
        run_id: str | None,
        name: str,
        args: Sequence[Any],
        *,
        child_workflow_only: bool,
        headers: Mapping[str, common_pb2.Payload] | None = None,
    ) -> None:
        runtime = self._runtime
        runtime.assert_not_read_only("signal external workflow")
        attrs = command_pb2.SignalExternalWorkflowExecutionCommandAttributes(
            namespace=runtime.info.namespace,
            execution=common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            signal_name=name,
            child_workflow_only=child_workflow_only,
        )
        if args:
            attrs.input.payloads.extend(runtime.payload_converter.to_payloads(list(args)))
        for key, header in (headers or {}).items():  # from workflow interceptors
            attrs.header.fields[key].CopyFrom(header)
        seq = runtime.next_seq("external_signal")
        fut: asyncio.Future[None] = runtime.loop.create_future()
        self._pending_signals[seq] = fut
        runtime.issue(
            i.SignalExternal(
                seq,
                command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
                    signal_external_workflow_execution_command_attributes=attrs,
                ),
            )
        )
        await await_operation(runtime, fut, lambda _err: runtime.issue(i.CancelSignal(seq)))

    async def cancel(self, workflow_id: str, run_id: str | None) -> None:
        runtime = self._runtime
        runtime.assert_not_read_only("cancel external workflow")
        seq = runtime.next_seq("external_cancel")
        fut: asyncio.Future[None] = runtime.loop.create_future()
        self._pending_cancels[seq] = fut
        attrs = command_pb2.RequestCancelExternalWorkflowExecutionCommandAttributes(
            namespace=runtime.info.namespace, workflow_id=workflow_id, run_id=run_id or ""
        )
        runtime.issue(
            i.CancelExternal(
                seq,
                command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                    request_cancel_external_workflow_execution_command_attributes=attrs,
                ),
            )
        )
        await fut  # a cancel request cannot itself be cancelled

    def resolve_signal(self, job: j.ResolveSignalExternal) -> None:
        self._resolve(self._pending_signals, job.seq, job.failure)

    def resolve_cancel(self, job: j.ResolveCancelExternal) -> None:
        self._resolve(self._pending_cancels, job.seq, job.failure)

    def _resolve(
        self,
        pending: dict[int, asyncio.Future[None]],
        seq: int,
        failure: failure_pb2.Failure | None,
    ) -> None:
        fut = pending.pop(seq, None)
        if fut is None:
            raise RuntimeError(f"Failed finding pending external operation for sequence {seq}")
        if fut.cancelled():
            return
        if failure is not None:
            runtime = self._runtime
            fut.set_exception(
                runtime.failure_converter.from_failure(failure, runtime.payload_converter)
            )
        else:
            fut.set_result(None)
