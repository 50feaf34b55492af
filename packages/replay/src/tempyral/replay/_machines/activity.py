"""The activity state machine: schedule, start, complete/fail/time out, and cancellation.

Cancellation follows the activity's cancellation type: TRY_CANCEL resolves the workflow's await at
once and asks the server to cancel; WAIT_CANCELLATION_COMPLETED resolves only when history says the
activity finished; ABANDON resolves at once and tells the server nothing. An activity cancelled in
the task that scheduled it never reaches the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.workflow_pb2 import RetryState
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.replay._errors import SourceLocation
from tempyral.replay._flags import CoreFlag
from tempyral.replay._jobs import Job, ResolveActivity
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine, require

__all__ = ["ActivityMachine", "CancellationType"]


class CancellationType(Enum):
    """Values as in ``workflow.ActivityCancellationType``."""

    TRY_CANCEL = 0
    WAIT_CANCELLATION_COMPLETED = 1
    ABANDON = 2


class S(Enum):
    CREATED = 0
    SCHEDULE_COMMAND_CREATED = 1
    SCHEDULED_EVENT_RECORDED = 2
    STARTED = 3
    SCHEDULED_CANCEL_COMMAND_CREATED = 4
    SCHEDULED_CANCEL_EVENT_RECORDED = 5
    STARTED_CANCEL_COMMAND_CREATED = 6
    STARTED_CANCEL_EVENT_RECORDED = 7
    COMPLETED = 8
    FAILED = 9
    TIMED_OUT = 10
    CANCELED = 11


class ActivityMachine(Machine):
    kind = "activity"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.COMPLETED, S.FAILED, S.TIMED_OUT, S.CANCELED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "schedule"): S.SCHEDULE_COMMAND_CREATED,
        (S.SCHEDULE_COMMAND_CREATED, "activity_task_scheduled"): S.SCHEDULED_EVENT_RECORDED,
        (S.SCHEDULE_COMMAND_CREATED, "cancel"): S.CANCELED,
        (S.SCHEDULE_COMMAND_CREATED, "abandon"): S.CANCELED,
        (S.SCHEDULED_EVENT_RECORDED, "activity_task_started"): S.STARTED,
        (S.SCHEDULED_EVENT_RECORDED, "activity_task_timed_out"): S.TIMED_OUT,
        (S.SCHEDULED_EVENT_RECORDED, "cancel"): S.SCHEDULED_CANCEL_COMMAND_CREATED,
        (S.SCHEDULED_EVENT_RECORDED, "abandon"): S.CANCELED,
        (S.STARTED, "activity_task_completed"): S.COMPLETED,
        (S.STARTED, "activity_task_failed"): S.FAILED,
        (S.STARTED, "activity_task_timed_out"): S.TIMED_OUT,
        (S.STARTED, "cancel"): S.STARTED_CANCEL_COMMAND_CREATED,
        (S.STARTED, "abandon"): S.CANCELED,
        (
            S.SCHEDULED_CANCEL_COMMAND_CREATED,
            "activity_task_cancel_requested",
        ): S.SCHEDULED_CANCEL_EVENT_RECORDED,
        (S.SCHEDULED_CANCEL_EVENT_RECORDED, "activity_task_canceled"): S.CANCELED,
        (
            S.SCHEDULED_CANCEL_EVENT_RECORDED,
            "activity_task_started",
        ): S.STARTED_CANCEL_EVENT_RECORDED,
        (S.SCHEDULED_CANCEL_EVENT_RECORDED, "activity_task_timed_out"): S.TIMED_OUT,
        (
            S.STARTED_CANCEL_COMMAND_CREATED,
            "activity_task_cancel_requested",
        ): S.STARTED_CANCEL_EVENT_RECORDED,
        (S.STARTED_CANCEL_EVENT_RECORDED, "activity_task_failed"): S.FAILED,
        (S.STARTED_CANCEL_EVENT_RECORDED, "activity_task_completed"): S.COMPLETED,
        (S.STARTED_CANCEL_EVENT_RECORDED, "activity_task_timed_out"): S.TIMED_OUT,
        (S.STARTED_CANCEL_EVENT_RECORDED, "activity_task_canceled"): S.CANCELED,
        # An abandoned (or try-cancelled) activity may still report; nobody listens.
        (S.CANCELED, "activity_task_started"): S.CANCELED,
        (S.CANCELED, "activity_task_completed"): S.CANCELED,
        (S.CANCELED, "activity_task_failed"): S.CANCELED,
        (S.CANCELED, "activity_task_timed_out"): S.CANCELED,
        (S.CANCELED, "activity_task_canceled"): S.CANCELED,
    }

    def __init__(
        self,
        seq: int,
        command: Command,
        cancellation_type: CancellationType,
        source: SourceLocation | None,
    ) -> None:
        super().__init__(seq, source)
        self.command = command
        self.cancellation_type = cancellation_type
        self.scheduled_event_id = 0
        self.started_event_id = 0
        self.fire("schedule")

    @property
    def attributes(self) -> command_pb2.ScheduleActivityTaskCommandAttributes:
        return self.command.schedule_activity_task_command_attributes

    def request_cancel(self) -> list[Job]:
        """The workflow asked to cancel: a command and/or an immediate resolution."""
        trigger = "abandon" if self.cancellation_type is CancellationType.ABANDON else "cancel"
        if not self.can_fire(trigger):
            return []  # already resolved or already being cancelled
        return self.fire(trigger)

    # -- handlers -------------------------------------------------------------------------------
    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        if command.command_type != CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
            return
        if not self.flags.core_enabled(
            CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS, replaying=self.replaying
        ):
            return
        recorded = require(event, "activity_task_scheduled_event_attributes")
        if recorded.activity_id != self.attributes.activity_id:
            raise self.mismatch(
                f"activity id {recorded.activity_id!r} in history,"
                f" {self.attributes.activity_id!r} in the code",
                event,
                command,
            )
        if recorded.activity_type.name != self.attributes.activity_type.name:
            raise self.mismatch(
                f"activity type {recorded.activity_type.name!r} in history,"
                f" {self.attributes.activity_type.name!r} in the code",
                event,
                command,
            )

    def on_activity_task_scheduled(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        self.scheduled_event_id = event.event_id
        return []

    def on_activity_task_started(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        self.started_event_id = event.event_id
        return []

    def on_activity_task_completed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if not self._code_is_waiting():
            return []
        attrs = require(event, "activity_task_completed_event_attributes")
        result = attrs.result.payloads[0] if attrs.result.payloads else None
        return [ResolveActivity(self.seq, "completed", result=result)]

    def on_activity_task_failed(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if not self._code_is_waiting():
            return []
        attrs = require(event, "activity_task_failed_event_attributes")
        failure = self._failure(
            "Activity task failed", attrs.failure, attrs.retry_state, attrs.identity
        )
        return [ResolveActivity(self.seq, "failed", failure=failure)]

    def on_activity_task_timed_out(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if not self._code_is_waiting():
            return []
        attrs = require(event, "activity_task_timed_out_event_attributes")
        failure = self._failure("Activity task timed out", attrs.failure, attrs.retry_state, "")
        return [ResolveActivity(self.seq, "failed", failure=failure)]

    def on_activity_task_canceled(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        if self.state is S.CANCELED or not self._code_is_waiting():
            return []
        attrs = require(event, "activity_task_canceled_event_attributes")
        return [self._cancelled(attrs.details, attrs.identity)]

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.SCHEDULE_COMMAND_CREATED:
            self.cancelled_before_sent = True
            return [self._cancelled(None, "")]
        self.issue(
            command_pb2.Command(
                command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
                request_cancel_activity_task_command_attributes=command_pb2.RequestCancelActivityTaskCommandAttributes(
                    scheduled_event_id=self.scheduled_event_id
                ),
            )
        )
        if self.cancellation_type is CancellationType.WAIT_CANCELLATION_COMPLETED:
            return []
        return [self._cancelled(None, "")]

    def on_abandon(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.SCHEDULE_COMMAND_CREATED:
            self.cancelled_before_sent = True
        return [self._cancelled(None, "")]

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "activity_task_scheduled": on_activity_task_scheduled,
        "activity_task_started": on_activity_task_started,
        "activity_task_completed": on_activity_task_completed,
        "activity_task_failed": on_activity_task_failed,
        "activity_task_timed_out": on_activity_task_timed_out,
        "activity_task_canceled": on_activity_task_canceled,
        "cancel": on_cancel,
        "abandon": on_abandon,
    }

    # -- helpers --------------------------------------------------------------------------------
    def _code_is_waiting(self) -> bool:
        """After a cancel that resolved at once, later outcomes are not delivered again."""
        if self.state in (S.STARTED_CANCEL_EVENT_RECORDED, S.SCHEDULED_CANCEL_EVENT_RECORDED):
            return self.cancellation_type is CancellationType.WAIT_CANCELLATION_COMPLETED
        return self.state is not S.CANCELED

    def _info(self, retry_state: RetryState, identity: str) -> failure_pb2.ActivityFailureInfo:
        return failure_pb2.ActivityFailureInfo(
            scheduled_event_id=self.scheduled_event_id,
            started_event_id=self.started_event_id,
            identity=identity,
            activity_type=common_pb2.ActivityType(name=self.attributes.activity_type.name),
            activity_id=self.attributes.activity_id,
            retry_state=retry_state,
        )

    def _failure(
        self, message: str, cause: failure_pb2.Failure, retry_state: RetryState, identity: str
    ) -> failure_pb2.Failure:
        failure = failure_pb2.Failure(
            message=message, activity_failure_info=self._info(retry_state, identity)
        )
        failure.cause.CopyFrom(cause)
        return failure

    def _cancelled(self, details: common_pb2.Payloads | None, identity: str) -> ResolveActivity:
        cause = failure_pb2.Failure(canceled_failure_info=failure_pb2.CanceledFailureInfo())
        if details is not None and details.payloads:
            cause.canceled_failure_info.details.CopyFrom(details)
        failure = failure_pb2.Failure(
            message="Activity cancelled",
            activity_failure_info=self._info(RetryState.RETRY_STATE_CANCEL_REQUESTED, identity),
        )
        failure.cause.CopyFrom(cause)
        return ResolveActivity(self.seq, "cancelled", failure=failure)
