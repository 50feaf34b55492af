"""The signal-external-workflow state machine: initiate, then signalled or failed.

A signal cancelled in the task that issued it is never sent and resolves as cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.enums.v1.failed_cause_pb2 import SignalExternalWorkflowExecutionFailedCause
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._jobs import Job, ResolveSignalExternal
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["SignalExternalMachine"]

_CAUSES = SignalExternalWorkflowExecutionFailedCause
_CAUSE_PREFIX = "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_"
_NOT_FOUND = {"EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND", "NAMESPACE_NOT_FOUND"}


class S(Enum):
    CREATED = 0
    COMMAND_CREATED = 1
    INITIATED = 2
    SIGNALED = 3
    FAILED = 4
    CANCELLED = 5


class SignalExternalMachine(Machine):
    kind = "signal external workflow"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.SIGNALED, S.FAILED, S.CANCELLED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.COMMAND_CREATED,
        (S.COMMAND_CREATED, "signal_external_workflow_execution_initiated"): S.INITIATED,
        (S.COMMAND_CREATED, "cancel"): S.CANCELLED,
        (S.INITIATED, "external_workflow_execution_signaled"): S.SIGNALED,
        (S.INITIATED, "signal_external_workflow_execution_failed"): S.FAILED,
        (S.INITIATED, "cancel"): S.INITIATED,  # already sent: a cancel cannot recall it
        (S.SIGNALED, "cancel"): S.SIGNALED,
        (S.FAILED, "cancel"): S.FAILED,
        (S.CANCELLED, "cancel"): S.CANCELLED,
    }

    def __init__(self, seq: int, command: Command, source: SourceLocation | None) -> None:
        super().__init__(seq, source)
        self.command = command
        self.fire("schedule")

    def request_cancel(self) -> list[Job]:
        return self.fire("cancel")

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        recorded = require(event, "signal_external_workflow_execution_initiated_event_attributes")
        expected = command.signal_external_workflow_execution_command_attributes
        if recorded.signal_name != expected.signal_name:
            raise self.mismatch(
                f"signal name {recorded.signal_name!r} in history,"
                f" {expected.signal_name!r} in the code",
                event,
                command,
            )

    def on_external_workflow_execution_signaled(self, event: HistoryEvent | None) -> list[Job]:
        return [ResolveSignalExternal(self.seq)]

    def on_signal_external_workflow_execution_failed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        attrs = require(event, "signal_external_workflow_execution_failed_event_attributes")
        # As the official SDKs: the failure's type names the server's cause (the workflow signalling
        # itself is refused as not found), e.g. ExternalWorkflowExecutionNotFound.
        cause = _CAUSES.Name(attrs.cause).removeprefix(_CAUSE_PREFIX)
        failure = failure_pb2.Failure(
            message="Unable to signal external workflow because it was not found",
            application_failure_info=failure_pb2.ApplicationFailureInfo(
                type="".join(word.capitalize() for word in cause.split("_"))
            ),
        )
        if cause not in _NOT_FOUND:
            failure.message = f"Unable to signal external workflow: {cause.lower()}"
        return [ResolveSignalExternal(self.seq, failure)]

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is not S.COMMAND_CREATED:
            return []
        self.cancelled_before_sent = True
        return [
            ResolveSignalExternal(
                self.seq,
                failure_pb2.Failure(
                    message="Signal was cancelled before being sent",
                    canceled_failure_info=failure_pb2.CanceledFailureInfo(),
                ),
            )
        ]

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "external_workflow_execution_signaled": on_external_workflow_execution_signaled,
        "signal_external_workflow_execution_failed": on_signal_external_workflow_execution_failed,
        "cancel": on_cancel,
    }
