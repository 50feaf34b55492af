"""The request-cancel-external-workflow state machine: initiate, then requested or failed.

The engine also uses it for cancelling a started child; those resolutions never reach the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._jobs import Job, ResolveCancelExternal
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["CancelExternalMachine"]


class S(Enum):
    CREATED = 0
    COMMAND_CREATED = 1
    INITIATED = 2
    CANCEL_REQUESTED = 3
    FAILED = 4


class CancelExternalMachine(Machine):
    kind = "cancel external workflow"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.CANCEL_REQUESTED, S.FAILED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.COMMAND_CREATED,
        (S.COMMAND_CREATED, "request_cancel_external_workflow_execution_initiated"): S.INITIATED,
        (S.INITIATED, "external_workflow_execution_cancel_requested"): S.CANCEL_REQUESTED,
        (S.INITIATED, "request_cancel_external_workflow_execution_failed"): S.FAILED,
    }

    def __init__(
        self, seq: int, command: Command, source: SourceLocation | None, *, internal: bool = False
    ) -> None:
        super().__init__(seq, source)
        self.command = command
        self.internal = internal
        self.fire("schedule")

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        recorded = require(
            event, "request_cancel_external_workflow_execution_initiated_event_attributes"
        )
        expected = command.request_cancel_external_workflow_execution_command_attributes
        if recorded.workflow_execution.workflow_id != expected.workflow_id:
            raise self.mismatch(
                f"cancel of workflow {recorded.workflow_execution.workflow_id!r} in history,"
                f" of {expected.workflow_id!r} in the code",
                event,
                command,
            )

    def on_external_workflow_execution_cancel_requested(
        self, event: HistoryEvent | None
    ) -> list[Job]:
        return [] if self.internal else [ResolveCancelExternal(self.seq)]

    def on_request_cancel_external_workflow_execution_failed(
        self, event: HistoryEvent | None
    ) -> list[Job]:
        event = self.recorded(event)
        if self.internal:
            return []
        attrs = require(event, "request_cancel_external_workflow_execution_failed_event_attributes")
        failure = failure_pb2.Failure(
            message="Unable to cancel external workflow because not found",
            application_failure_info=failure_pb2.ApplicationFailureInfo(
                type="RequestCancelExternalWorkflowExecutionFailed"
            ),
        )
        if attrs.cause:
            failure.message += f" (cause {attrs.cause})"
        return [ResolveCancelExternal(self.seq, failure)]

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "external_workflow_execution_cancel_requested": (
            on_external_workflow_execution_cancel_requested
        ),
        "request_cancel_external_workflow_execution_failed": (
            on_request_cancel_external_workflow_execution_failed
        ),
    }
