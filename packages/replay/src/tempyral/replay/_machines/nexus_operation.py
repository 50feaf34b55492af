"""The Nexus operation state machine: schedule, start (with an operation token) or finish at once
(a synchronous operation), complete, fail, be cancelled or time out; and cancellation from the
calling workflow.

Cancelling follows the operation's cancellation type, as the official Core SDK does: ABANDON
resolves the workflow's await at once and tells the server nothing; TRY_CANCEL sends a
``RequestCancelNexusOperation`` command and resolves at once; WAIT_REQUESTED sends it and resolves
when history records that the handler took the cancel request (or failed it); WAIT_COMPLETED
sends it and resolves with the operation's own outcome. An operation cancelled in the task that
scheduled it never reaches the server.

Two jobs resolve an operation: :py:class:`~tempyral.replay._jobs.ResolveNexusStart` (started
with a token, finished synchronously, or failed before it started) and
:py:class:`~tempyral.replay._jobs.ResolveNexus` (the outcome). Failures are built as the Core SDK
builds them: a ``NexusOperationFailureInfo`` failure naming the scheduled event, endpoint,
service, operation and token, with the reason as its cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._jobs import Job, ResolveNexus, ResolveNexusStart
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["NexusCancellationType", "NexusOperationMachine"]


class NexusCancellationType(Enum):
    """Values as in ``workflow.NexusOperationCancellationType``."""

    WAIT_COMPLETED = 0
    ABANDON = 1
    TRY_CANCEL = 2
    WAIT_REQUESTED = 3


class S(Enum):
    CREATED = 0
    SCHEDULE_COMMAND_CREATED = 1
    SCHEDULED_EVENT_RECORDED = 2
    STARTED = 3
    COMPLETED = 4
    FAILED = 5
    CANCELLED = 6
    TIMED_OUT = 7


_OUTCOMES = (
    "nexus_operation_completed",
    "nexus_operation_failed",
    "nexus_operation_canceled",
    "nexus_operation_timed_out",
)
_CANCEL_REQUEST_OUTCOMES = (
    "nexus_operation_cancel_request_completed",
    "nexus_operation_cancel_request_failed",
)
_RESOLVED = (S.COMPLETED, S.FAILED, S.TIMED_OUT)


class NexusOperationMachine(Machine):
    kind = "Nexus operation"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.TIMED_OUT})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.SCHEDULE_COMMAND_CREATED,
        (S.SCHEDULE_COMMAND_CREATED, "nexus_operation_scheduled"): S.SCHEDULED_EVENT_RECORDED,
        (S.SCHEDULE_COMMAND_CREATED, "cancel"): S.CANCELLED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_started"): S.STARTED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_completed"): S.COMPLETED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_failed"): S.FAILED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_canceled"): S.CANCELLED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_timed_out"): S.TIMED_OUT,
        # Not yet started: the request is recorded and delivered once the operation starts.
        (S.SCHEDULED_EVENT_RECORDED, "cancel"): S.SCHEDULED_EVENT_RECORDED,
        (S.SCHEDULED_EVENT_RECORDED, "nexus_operation_cancel_requested"): (
            S.SCHEDULED_EVENT_RECORDED
        ),
        (S.STARTED, "nexus_operation_completed"): S.COMPLETED,
        (S.STARTED, "nexus_operation_failed"): S.FAILED,
        (S.STARTED, "nexus_operation_canceled"): S.CANCELLED,
        (S.STARTED, "nexus_operation_timed_out"): S.TIMED_OUT,
        (S.STARTED, "cancel"): (S.STARTED, S.CANCELLED),
        (S.STARTED, "nexus_operation_cancel_requested"): S.STARTED,
        (S.STARTED, "nexus_operation_cancel_request_completed"): (S.STARTED, S.CANCELLED),
        (S.STARTED, "nexus_operation_cancel_request_failed"): S.STARTED,
        # Resolved for the code already (abandoned, try-cancelled, cancel request answered): what
        # the server still records changes nothing the code sees. (The Core SDK's table refuses
        # an outcome after an ABANDON cancel as nondeterminism, though its message says the
        # opposite; an abandoned operation may well finish later, so tempyral accepts it.)
        (S.CANCELLED, "cancel"): S.CANCELLED,
        (S.CANCELLED, "nexus_operation_cancel_requested"): S.CANCELLED,
        **{(S.CANCELLED, outcome): S.CANCELLED for outcome in _OUTCOMES},
        **{(S.CANCELLED, outcome): S.CANCELLED for outcome in _CANCEL_REQUEST_OUTCOMES},
        **{(state, "cancel"): state for state in _RESOLVED},
        **{
            (state, outcome): state
            for state in _RESOLVED
            for outcome in (*_CANCEL_REQUEST_OUTCOMES, "nexus_operation_cancel_requested")
        },
    }

    def __init__(
        self,
        seq: int,
        command: Command,
        cancellation_type: NexusCancellationType,
        source: SourceLocation | None,
    ) -> None:
        super().__init__(seq, source)
        self.command = command
        self.cancellation_type = cancellation_type
        self.scheduled_event_id = 0
        self.operation_token = ""
        self.cancel_sent = False
        self.resolved = False  # the code's await has its answer: later events change nothing
        self.fire("schedule")

    @property
    def attributes(self) -> command_pb2.ScheduleNexusOperationCommandAttributes:
        return self.command.schedule_nexus_operation_command_attributes

    def request_cancel(self) -> list[Job]:
        return self.fire("cancel")

    # -- handlers -------------------------------------------------------------------------------
    def on_nexus_operation_scheduled(self, event: HistoryEvent | None) -> list[Job]:
        self.scheduled_event_id = self.recorded(event).event_id
        return []

    def on_nexus_operation_started(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(self.recorded(event), "nexus_operation_started_event_attributes")
        # Servers before operation tokens sent the token as the operation id.
        self.operation_token = attrs.operation_token or attrs.operation_id
        if self.resolved:  # try-cancelled or abandoned before it started
            return []
        return [ResolveNexusStart(self.seq, "started", operation_token=self.operation_token)]

    def on_nexus_operation_completed(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(self.recorded(event), "nexus_operation_completed_event_attributes")
        if self.resolved:
            return []
        synchronous = self.state is S.SCHEDULED_EVENT_RECORDED
        start = [ResolveNexusStart(self.seq, "sync")] if synchronous else []
        result = attrs.result if attrs.HasField("result") else None
        return [*start, self._resolve("completed", result=result)]

    def on_nexus_operation_failed(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(self.recorded(event), "nexus_operation_failed_event_attributes")
        return self._outcome("failed", attrs.failure if attrs.HasField("failure") else None)

    def on_nexus_operation_canceled(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(self.recorded(event), "nexus_operation_canceled_event_attributes")
        return self._outcome("cancelled", attrs.failure if attrs.HasField("failure") else None)

    def on_nexus_operation_timed_out(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(self.recorded(event), "nexus_operation_timed_out_event_attributes")
        return self._outcome("timed_out", attrs.failure if attrs.HasField("failure") else None)

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.SCHEDULE_COMMAND_CREATED:
            self.cancelled_before_sent = True
            self.resolved = True
            failure = self._failure("Nexus Operation cancelled before scheduled", _cancelled())
            return [ResolveNexusStart(self.seq, "failed", failure=failure)]
        if self.state not in (S.SCHEDULED_EVENT_RECORDED, S.STARTED):
            return []  # resolved already: nothing to cancel
        immediate = self.cancellation_type in (
            NexusCancellationType.ABANDON,
            NexusCancellationType.TRY_CANCEL,
        )
        if self.cancel_sent:
            if self.state is S.STARTED:
                self.choose(S.STARTED)
            return []
        self.cancel_sent = True
        if self.state is S.STARTED:
            self.choose(S.CANCELLED if immediate else S.STARTED)
        if self.cancellation_type is not NexusCancellationType.ABANDON:
            self.issue(
                command_pb2.Command(
                    command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
                    request_cancel_nexus_operation_command_attributes=command_pb2.RequestCancelNexusOperationCommandAttributes(
                        scheduled_event_id=self.scheduled_event_id
                    ),
                )
            )
        if not immediate or self.resolved:
            return []
        failure = self._failure("Nexus operation cancelled after starting", _cancelled())
        return [self._resolve("cancelled", failure=failure)]

    def on_nexus_operation_cancel_request_completed(self, event: HistoryEvent | None) -> list[Job]:
        self.recorded(event)
        if self.state is not S.STARTED:
            return []
        waits = self.cancellation_type is NexusCancellationType.WAIT_REQUESTED
        self.choose(S.CANCELLED if waits else S.STARTED)
        if not waits or self.resolved:
            return []
        failure = self._failure("Nexus operation cancellation request completed", _cancelled())
        return [self._resolve("cancelled", failure=failure)]

    def on_nexus_operation_cancel_request_failed(self, event: HistoryEvent | None) -> list[Job]:
        attrs = require(
            self.recorded(event), "nexus_operation_cancel_request_failed_event_attributes"
        )
        waits = self.cancellation_type is NexusCancellationType.WAIT_REQUESTED
        if self.state is not S.STARTED or not waits or self.resolved:
            return []
        message = "Nexus operation cancellation request failed"
        cause = failure_pb2.Failure(message=message)
        if attrs.HasField("failure"):
            cause.CopyFrom(attrs.failure)
        return [self._resolve("failed", failure=self._failure(message, cause))]

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "nexus_operation_scheduled": on_nexus_operation_scheduled,
        "nexus_operation_started": on_nexus_operation_started,
        "nexus_operation_completed": on_nexus_operation_completed,
        "nexus_operation_failed": on_nexus_operation_failed,
        "nexus_operation_canceled": on_nexus_operation_canceled,
        "nexus_operation_timed_out": on_nexus_operation_timed_out,
        "nexus_operation_cancel_request_completed": on_nexus_operation_cancel_request_completed,
        "nexus_operation_cancel_request_failed": on_nexus_operation_cancel_request_failed,
        "cancel": on_cancel,
    }

    # -- helpers --------------------------------------------------------------------------------
    def _outcome(self, status: str, recorded: failure_pb2.Failure | None) -> list[Job]:
        """A failed, cancelled or timed-out operation: the failure history recorded."""
        if self.resolved:
            return []
        failure = failure_pb2.Failure(message=f"Nexus operation {status} without a failure")
        if recorded is not None:
            failure.CopyFrom(recorded)
        if self.state is S.SCHEDULED_EVENT_RECORDED:
            # It never started: the start fails, and no outcome follows (as in the Core SDK).
            self.resolved = True
            return [ResolveNexusStart(self.seq, "failed", failure=failure)]
        return [self._resolve(status, failure=failure)]

    def _resolve(
        self,
        status: str,
        *,
        result: common_pb2.Payload | None = None,
        failure: failure_pb2.Failure | None = None,
    ) -> ResolveNexus:
        self.resolved = True
        return ResolveNexus(self.seq, status, result=result, failure=failure)

    def _failure(self, message: str, cause: failure_pb2.Failure) -> failure_pb2.Failure:
        """A failure as the Core SDK builds it: the operation's identity, the reason as cause."""
        failure = failure_pb2.Failure(
            message=message,
            nexus_operation_execution_failure_info=failure_pb2.NexusOperationFailureInfo(
                scheduled_event_id=self.scheduled_event_id,
                endpoint=self.attributes.endpoint,
                service=self.attributes.service,
                operation=self.attributes.operation,
                operation_token=self.operation_token,
            ),
        )
        failure.cause.CopyFrom(cause)
        return failure


def _cancelled() -> failure_pb2.Failure:
    return failure_pb2.Failure(canceled_failure_info=failure_pb2.CanceledFailureInfo())
