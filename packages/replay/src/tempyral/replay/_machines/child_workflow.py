"""The child workflow state machine: start (or fail to start), then complete, fail, time out,
be cancelled or terminated; and cancellation requested by the parent.

Cancelling a started child sends a cancel request for it (except ABANDON); TRY_CANCEL and ABANDON
resolve the parent's await at once, the WAIT_* types when history says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.workflow_pb2 import RetryState, TimeoutType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._flags import CoreFlag
from tempyral.replay._jobs import Job, ResolveChild, ResolveChildStart
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["ChildCancellationType", "ChildWorkflowMachine"]


class ChildCancellationType(Enum):
    """Values as in ``workflow.ChildWorkflowCancellationType``."""

    ABANDON = 0
    TRY_CANCEL = 1
    WAIT_CANCELLATION_COMPLETED = 2
    WAIT_CANCELLATION_REQUESTED = 3


class S(Enum):
    CREATED = 0
    START_COMMAND_CREATED = 1
    START_EVENT_RECORDED = 2
    STARTED = 3
    START_FAILED = 4
    COMPLETED = 5
    FAILED = 6
    TIMED_OUT = 7
    CANCELLED = 8
    TERMINATED = 9


_OUTCOMES = (
    "child_workflow_execution_completed",
    "child_workflow_execution_failed",
    "child_workflow_execution_timed_out",
    "child_workflow_execution_canceled",
    "child_workflow_execution_terminated",
)


class ChildWorkflowMachine(Machine):
    kind = "child workflow"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset(
        {S.START_FAILED, S.COMPLETED, S.FAILED, S.TIMED_OUT, S.CANCELLED, S.TERMINATED}
    )
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.START_COMMAND_CREATED,
        (
            S.START_COMMAND_CREATED,
            "start_child_workflow_execution_initiated",
        ): S.START_EVENT_RECORDED,
        (S.START_COMMAND_CREATED, "cancel"): S.CANCELLED,
        (S.START_EVENT_RECORDED, "child_workflow_execution_started"): S.STARTED,
        (S.START_EVENT_RECORDED, "start_child_workflow_execution_failed"): S.START_FAILED,
        (S.START_EVENT_RECORDED, "cancel"): (S.START_EVENT_RECORDED, S.CANCELLED),
        (S.STARTED, "child_workflow_execution_completed"): S.COMPLETED,
        (S.STARTED, "child_workflow_execution_failed"): S.FAILED,
        (S.STARTED, "child_workflow_execution_timed_out"): S.TIMED_OUT,
        (S.STARTED, "child_workflow_execution_canceled"): S.CANCELLED,
        (S.STARTED, "child_workflow_execution_terminated"): S.TERMINATED,
        (S.STARTED, "cancel"): (S.STARTED, S.CANCELLED),
        (S.CANCELLED, "cancel"): S.CANCELLED,
        (S.CANCELLED, "child_workflow_execution_started"): S.CANCELLED,
        (S.CANCELLED, "start_child_workflow_execution_failed"): S.CANCELLED,
        **{(S.CANCELLED, outcome): S.CANCELLED for outcome in _OUTCOMES},
        **{
            (state, "cancel"): state
            for state in (S.START_FAILED, S.COMPLETED, S.FAILED, S.TIMED_OUT, S.TERMINATED)
        },
    }

    def __init__(
        self,
        seq: int,
        command: Command,
        cancellation_type: ChildCancellationType,
        source: SourceLocation | None,
    ) -> None:
        super().__init__(seq, source)
        self.command = command
        self.cancellation_type = cancellation_type
        self.initiated_event_id = 0
        self.started_event_id = 0
        self.run_id = ""
        self.cancel_reason = ""
        self.fire("schedule")

    @property
    def attributes(self) -> command_pb2.StartChildWorkflowExecutionCommandAttributes:
        return self.command.start_child_workflow_execution_command_attributes

    def cancel_with_reason(self, reason: str) -> list[Job]:
        self.cancel_reason = reason
        return self.fire("cancel")

    # -- handlers -------------------------------------------------------------------------------
    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        if command.command_type != CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
            return
        if not self.flags.core_enabled(
            CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS, replaying=self.replaying
        ):
            return
        recorded = require(event, "start_child_workflow_execution_initiated_event_attributes")
        if recorded.workflow_id != self.attributes.workflow_id:
            raise self.mismatch(
                f"child workflow id {recorded.workflow_id!r} in history,"
                f" {self.attributes.workflow_id!r} in the code",
                event,
                command,
            )
        if recorded.workflow_type.name != self.attributes.workflow_type.name:
            raise self.mismatch(
                f"child workflow type {recorded.workflow_type.name!r} in history,"
                f" {self.attributes.workflow_type.name!r} in the code",
                event,
                command,
            )

    def on_start_child_workflow_execution_initiated(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        self.initiated_event_id = event.event_id
        return []

    def on_child_workflow_execution_started(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELLED:
            return []
        attrs = require(event, "child_workflow_execution_started_event_attributes")
        self.started_event_id = event.event_id
        self.run_id = attrs.workflow_execution.run_id
        return [ResolveChildStart(self.seq, "started", run_id=self.run_id)]

    def on_start_child_workflow_execution_failed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELLED:
            return []
        attrs = require(event, "start_child_workflow_execution_failed_event_attributes")
        return [
            ResolveChildStart(
                self.seq,
                "failed",
                cause=attrs.cause,
                workflow_id=attrs.workflow_id,
                workflow_type=attrs.workflow_type.name,
            )
        ]

    def on_child_workflow_execution_completed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELLED:
            return []
        attrs = require(event, "child_workflow_execution_completed_event_attributes")
        result = attrs.result.payloads[0] if attrs.result.payloads else None
        return [ResolveChild(self.seq, "completed", result=result)]

    def on_child_workflow_execution_failed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELLED:
            return []
        attrs = require(event, "child_workflow_execution_failed_event_attributes")
        failure = self._failure("Child Workflow execution failed", attrs.retry_state)
        failure.cause.CopyFrom(attrs.failure)
        return [ResolveChild(self.seq, "failed", failure=failure)]

    def on_child_workflow_execution_timed_out(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELLED:
            return []
        attrs = require(event, "child_workflow_execution_timed_out_event_attributes")
        failure = self._failure("Child Workflow execution timed out", attrs.retry_state)
        failure.cause.CopyFrom(
            failure_pb2.Failure(
                message="Timed out",
                timeout_failure_info=failure_pb2.TimeoutFailureInfo(
                    timeout_type=TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
                ),
            )
        )
        return [ResolveChild(self.seq, "failed", failure=failure)]

    def on_child_workflow_execution_canceled(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.CANCELLED and self.cancellation_type in (
            ChildCancellationType.ABANDON,
            ChildCancellationType.TRY_CANCEL,
        ):
            return []
        return [self._cancelled("Child Workflow execution cancelled")]

    def on_child_workflow_execution_terminated(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.CANCELLED:
            return []
        failure = self._failure(
            "Child Workflow execution terminated", RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE
        )
        failure.cause.CopyFrom(
            failure_pb2.Failure(
                message="Terminated", terminated_failure_info=failure_pb2.TerminatedFailureInfo()
            )
        )
        return [ResolveChild(self.seq, "failed", failure=failure)]

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.START_COMMAND_CREATED:
            self.cancelled_before_sent = True
            failure = self._failure(
                f"Child Workflow Execution cancelled before scheduled: {self.cancel_reason}",
                RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
            )
            failure.cause.CopyFrom(
                failure_pb2.Failure(canceled_failure_info=failure_pb2.CanceledFailureInfo())
            )
            return [ResolveChildStart(self.seq, "cancelled", failure=failure)]
        if self.state not in (S.START_EVENT_RECORDED, S.STARTED):
            return []  # already resolved: nothing to cancel
        immediate = self.cancellation_type in (
            ChildCancellationType.ABANDON,
            ChildCancellationType.TRY_CANCEL,
        )
        self.choose(S.CANCELLED if immediate else self.state)
        if self.cancellation_type is not ChildCancellationType.ABANDON:
            self.issue(
                command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                    request_cancel_external_workflow_execution_command_attributes=command_pb2.RequestCancelExternalWorkflowExecutionCommandAttributes(
                        namespace=self.attributes.namespace,
                        workflow_id=self.attributes.workflow_id,
                        run_id=self.run_id,
                        child_workflow_only=True,
                        reason=self.cancel_reason,
                    ),
                )
            )
        return [self._cancelled("Child Workflow execution cancelled")] if immediate else []

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "start_child_workflow_execution_initiated": on_start_child_workflow_execution_initiated,
        "child_workflow_execution_started": on_child_workflow_execution_started,
        "start_child_workflow_execution_failed": on_start_child_workflow_execution_failed,
        "child_workflow_execution_completed": on_child_workflow_execution_completed,
        "child_workflow_execution_failed": on_child_workflow_execution_failed,
        "child_workflow_execution_timed_out": on_child_workflow_execution_timed_out,
        "child_workflow_execution_canceled": on_child_workflow_execution_canceled,
        "child_workflow_execution_terminated": on_child_workflow_execution_terminated,
        "cancel": on_cancel,
    }

    # -- helpers --------------------------------------------------------------------------------
    def _failure(self, message: str, retry_state: RetryState) -> failure_pb2.Failure:
        return failure_pb2.Failure(
            message=message,
            child_workflow_execution_failure_info=failure_pb2.ChildWorkflowExecutionFailureInfo(
                namespace=self.attributes.namespace,
                workflow_execution=common_pb2.WorkflowExecution(
                    workflow_id=self.attributes.workflow_id, run_id=self.run_id
                ),
                workflow_type=common_pb2.WorkflowType(name=self.attributes.workflow_type.name),
                initiated_event_id=self.initiated_event_id,
                started_event_id=self.started_event_id,
                retry_state=retry_state,
            ),
        )

    def _cancelled(self, message: str) -> ResolveChild:
        failure = self._failure(message, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE)
        failure.cause.CopyFrom(
            failure_pb2.Failure(canceled_failure_info=failure_pb2.CanceledFailureInfo())
        )
        return ResolveChild(self.seq, "cancelled", failure=failure)
