"""The local activity state machine, as the official core SDK runs it.

A local activity runs in the worker, not on the server: no command is sent when the code schedules
it. On a new (not replayed) task the machine asks the worker to run it (``execute``); the worker's
outcome (``result``) resolves the code's await and issues the ``core_local_activity`` marker
command. On replay the outcome comes from the marker in history instead: read ahead of time when
the marker follows the task (``replay_resolved``), or when the marker event is reached
(``replay`` then ``marker_recorded``). A replayed machine that reaches a new task without its
marker runs the activity after all (``non_replay_task``): the first worker died before recording.

Cancelling (``cancel`` waits for the activity to report; ``cancel_no_wait`` for TRY_CANCEL and
ABANDON resolves at once and records a cancelled marker) never drops the marker.
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
from tempyral.replay._jobs import Job, ResolveLocalActivity
from tempyral.replay._local_markers import (
    LOCAL_ACTIVITY_MARKER,
    LocalActivityMarkerData,
    LocalActivityRequest,
    LocalActivityResolution,
    marker_command,
    read_marker,
)
from tempyral.replay._machines._base import Handler, HistoryEvent, Machine
from tempyral.replay._machines.activity import CancellationType

__all__ = ["LocalActivityMachine"]


class S(Enum):
    CREATED = 0
    REQUEST_SENT = 1
    MARKER_COMMAND_CREATED = 2
    WAITING_MARKER = 3
    WAITING_MARKER_RESOLVED = 4
    MARKER_RECORDED = 5


_CANCELS = ("cancel", "cancel_no_wait")


class LocalActivityMachine(Machine):
    kind = "local activity"
    State = S
    INITIAL = S.CREATED
    FINAL = frozenset({S.MARKER_RECORDED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.CREATED, "execute"): S.REQUEST_SENT,
        (S.CREATED, "replay"): S.WAITING_MARKER,
        (S.CREATED, "replay_resolved"): S.WAITING_MARKER_RESOLVED,
        # Executing.
        (S.REQUEST_SENT, "result"): S.MARKER_COMMAND_CREATED,
        (S.REQUEST_SENT, "cancel"): S.REQUEST_SENT,
        (S.REQUEST_SENT, "cancel_no_wait"): S.MARKER_COMMAND_CREATED,
        (S.MARKER_COMMAND_CREATED, "marker_recorded"): S.MARKER_RECORDED,
        # A late report of an activity already resolved (a no-wait cancel) is ignored.
        (S.MARKER_COMMAND_CREATED, "result"): S.MARKER_COMMAND_CREATED,
        # Replaying.
        (S.WAITING_MARKER, "marker_recorded"): S.MARKER_RECORDED,
        (S.WAITING_MARKER, "known_result"): S.WAITING_MARKER,
        (S.WAITING_MARKER, "non_replay_task"): S.REQUEST_SENT,
        (S.WAITING_MARKER_RESOLVED, "marker_recorded"): S.MARKER_RECORDED,
        (S.MARKER_RECORDED, "result"): S.MARKER_RECORDED,
        **{
            (state, trigger): state
            for state in (
                S.MARKER_COMMAND_CREATED,
                S.WAITING_MARKER,
                S.WAITING_MARKER_RESOLVED,
                S.MARKER_RECORDED,
            )
            for trigger in _CANCELS
        },
    }

    def __init__(
        self,
        request: LocalActivityRequest,
        cancellation_type: CancellationType,
        source: SourceLocation | None,
        *,
        time_ns: int | None,
    ) -> None:
        super().__init__(request.seq, source)
        self.request = request
        self.cancellation_type = cancellation_type
        self.time_when_started_ns = time_ns
        # The command shown in errors: the marker this activity is to record.
        self.command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
            record_marker_command_attributes=command_pb2.RecordMarkerCommandAttributes(
                marker_name=LOCAL_ACTIVITY_MARKER
            ),
        )
        self.replaying_when_invoked = True
        self.already_resolved = False
        self.resolved_as: str | None = None
        self.activation_index = 0  # which activation of its task the outcome reached (marker)
        # Read by the driver after each move.
        self.wants_execution = False
        self.wants_cancel = False
        self.new_time_ns: int | None = None
        self._given: LocalActivityResolution | None = None

    # -- moves asked by the driver --------------------------------------------------------------
    def start(self, *, replaying: bool, known: LocalActivityResolution | None) -> list[Job]:
        self.replaying_when_invoked = replaying
        if not replaying:
            return self.fire("execute")
        if known is None:
            return self.fire("replay")
        self._given = known
        return self.fire("replay_resolved")

    def give(self, trigger: str, resolution: LocalActivityResolution) -> list[Job]:
        """``result`` (the worker's) or ``known_result`` (a marker read ahead)."""
        self._given = resolution
        return self.fire(trigger)

    def request_cancel(self) -> list[Job]:
        no_wait = self.cancellation_type is not CancellationType.WAIT_CANCELLATION_COMPLETED
        return self.fire("cancel_no_wait" if no_wait else "cancel")

    # -- handlers -------------------------------------------------------------------------------
    def on_execute(self, event: HistoryEvent | None) -> list[Job]:
        self.wants_execution = True
        return []

    def on_replay_resolved(self, event: HistoryEvent | None) -> list[Job]:
        return self._resolve(self._take_given())

    def on_result(self, event: HistoryEvent | None) -> list[Job]:
        resolution = self._take_given()
        if self.state is not S.REQUEST_SENT:
            return []
        return self._resolve(resolution)

    def on_known_result(self, event: HistoryEvent | None) -> list[Job]:
        self.already_resolved = True
        return self._resolve(self._take_given())

    def on_non_replay_task(self, event: HistoryEvent | None) -> list[Job]:
        self.replaying_when_invoked = False
        self.wants_execution = True
        return []

    def on_cancel(self, event: HistoryEvent | None) -> list[Job]:
        # Stop a running attempt or a local backoff; a marker read ahead may resolve it.
        if self.state is S.REQUEST_SENT or self.state is S.WAITING_MARKER:
            self.wants_cancel = True
        return []

    def on_cancel_no_wait(self, event: HistoryEvent | None) -> list[Job]:
        if self.state is S.WAITING_MARKER:
            self.wants_cancel = True  # replaying: the marker says how it ended
            return []
        if self.state is not S.REQUEST_SENT:
            return []
        if self.cancellation_type is CancellationType.TRY_CANCEL:
            self.wants_cancel = True
        cancelled = LocalActivityResolution(
            seq=self.seq,
            status="cancelled",
            failure=failure_pb2.Failure(
                message="Activity cancelled",
                canceled_failure_info=failure_pb2.CanceledFailureInfo(),
            ),
            attempt=self.request.attempt,
            # The marker says when the activity was first scheduled, as the official one does;
            # for a first attempt that is when the code scheduled it, in workflow time (the
            # worker's clock, which stamps the other outcomes, is not the engine's to read).
            original_schedule_time_ns=(
                self.request.original_schedule_time_ns or self.time_when_started_ns
            ),
        )
        return self._resolve(cancelled, complete_time_ns=None)

    def on_marker_recorded(self, event: HistoryEvent | None) -> list[Job]:
        event = self.recorded(event)
        data, resolution = read_marker(event)
        self._verify(data, event)
        if self.state is S.MARKER_COMMAND_CREATED:
            if self.resolved_as == "completed" and resolution.status != "completed":
                raise self.mismatch(
                    f"local activity (seq {self.seq}) completed here, but history says it failed",
                    event,
                    self.command,
                )
            if self.resolved_as in ("failed", "timed_out") and resolution.status == "completed":
                raise self.mismatch(
                    f"local activity (seq {self.seq}) failed here, but history says it completed",
                    event,
                    self.command,
                )
            return []
        if self.state is S.WAITING_MARKER and not self.already_resolved:
            return self._resolve(resolution)
        return []

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "execute": on_execute,
        "replay_resolved": on_replay_resolved,
        "result": on_result,
        "known_result": on_known_result,
        "non_replay_task": on_non_replay_task,
        "cancel": on_cancel,
        "cancel_no_wait": on_cancel_no_wait,
        "marker_recorded": on_marker_recorded,
    }

    # -- helpers --------------------------------------------------------------------------------
    def _take_given(self) -> LocalActivityResolution:
        given, self._given = self._given, None
        if given is None:
            raise RuntimeError(f"local activity (seq {self.seq}) moved without a resolution")
        return given

    def _verify(self, data: LocalActivityMarkerData, event: HistoryEvent) -> None:
        if data.seq != self.seq:
            raise self.mismatch(
                f"local activity marker of seq {data.seq} matched against the local activity"
                f" of seq {self.seq}",
                event,
                self.command,
            )
        if not self.flags.core_enabled(
            CoreFlag.ID_AND_TYPE_DETERMINISM_CHECKS, replaying=self.replaying_when_invoked
        ):
            return
        if data.activity_id != self.request.activity_id:
            raise self.mismatch(
                f"local activity id {data.activity_id!r} in history,"
                f" {self.request.activity_id!r} in the code",
                event,
                self.command,
            )
        if data.activity_type != self.request.activity_type:
            raise self.mismatch(
                f"local activity type {data.activity_type!r} in history,"
                f" {self.request.activity_type!r} in the code",
                event,
                self.command,
            )

    def _resolve(
        self, resolution: LocalActivityResolution, *, complete_time_ns: int | None = -1
    ) -> list[Job]:
        if complete_time_ns == -1:
            complete_time_ns = resolution.complete_time_ns
            if complete_time_ns is None and self.time_when_started_ns is not None:
                complete_time_ns = self.time_when_started_ns + resolution.runtime_ns
        self.resolved_as = resolution.status
        self.new_time_ns = complete_time_ns
        if not self.replaying_when_invoked:
            data = LocalActivityMarkerData(
                seq=self.seq,
                attempt=resolution.attempt,
                activity_id=self.request.activity_id,
                activity_type=self.request.activity_type,
                complete_time_ns=complete_time_ns,
                backoff_ns=resolution.backoff_ns,
                original_schedule_time_ns=resolution.original_schedule_time_ns,
                activation_index=self.activation_index,
            )
            request = self.request
            self.issue(
                marker_command(data, resolution, request.user_metadata, request.event_group_markers)
            )
        return [self._job(resolution)]

    def _job(self, resolution: LocalActivityResolution) -> ResolveLocalActivity:
        if resolution.backoff_ns is not None:
            return ResolveLocalActivity(
                self.seq,
                "backoff",
                backoff_attempt=resolution.attempt + 1,
                backoff_ns=resolution.backoff_ns,
                original_schedule_time_ns=resolution.original_schedule_time_ns,
            )
        if resolution.status == "completed":
            return ResolveLocalActivity(self.seq, "completed", result=resolution.result)
        failure = resolution.failure or failure_pb2.Failure(message="Local activity failed")
        if resolution.status in ("timed_out", "cancelled"):
            failure = self._wrapped(failure, resolution.status)
        status = "cancelled" if resolution.status == "cancelled" else "failed"
        return ResolveLocalActivity(self.seq, status, failure=failure)

    def _wrapped(self, failure: failure_pb2.Failure, status: str) -> failure_pb2.Failure:
        """Timeouts and cancels reach the code as an activity failure around them."""
        which = failure.WhichOneof("failure_info")
        if which not in ("timeout_failure_info", "canceled_failure_info"):
            return failure
        wrapped = failure_pb2.Failure(
            message=f"Local Activity {'timed out' if status == 'timed_out' else 'cancelled'}",
            activity_failure_info=failure_pb2.ActivityFailureInfo(
                activity_type=common_pb2.ActivityType(name=self.request.activity_type),
                activity_id=self.request.activity_id,
                retry_state=RetryState.RETRY_STATE_CANCEL_REQUESTED,
            ),
        )
        wrapped.cause.CopyFrom(failure)
        return wrapped
