"""The driver's side of local activities: their machines, what the worker must run or cancel,
and the outcomes read ahead from history.

:py:class:`LocalActivities` belongs to one ``WorkflowMachines``. Unlike other commands, a local
activity resolves inside the workflow task that scheduled it: the worker runs it and hands the
outcome back (:py:meth:`LocalActivities.resolve`) before completing the task with the marker.
On replay the marker is read before the code runs (:py:meth:`LocalActivities.read_ahead`), so
the activity resolves in the very activation it resolved in originally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import _intents as i
from tempyral.replay._errors import IllegalMoveError, NondeterminismError
from tempyral.replay._flags import Flags
from tempyral.replay._jobs import Job
from tempyral.replay._local_markers import (
    LOCAL_ACTIVITY_MARKER,
    LocalActivityRequest,
    LocalActivityResolution,
    read_marker,
)
from tempyral.replay._machines._base import Machine
from tempyral.replay._machines.activity import CancellationType
from tempyral.replay._machines.local_activity import LocalActivityMachine

__all__ = ["LocalActivities", "LocalActivityWork", "is_local_activity_marker"]

HistoryEvent = history_pb2.HistoryEvent


def is_local_activity_marker(event: HistoryEvent) -> bool:
    return (
        event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
    )


@dataclass
class LocalActivityWork:
    """What the worker is asked to do: start these, cancel those (by seq)."""

    start: list[LocalActivityRequest] = field(default_factory=list)
    cancel: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.start or self.cancel)


class LocalActivities:
    """The local activity machines of one run and their traffic with the worker."""

    __slots__ = (
        "_emit",
        "_flags",
        "_machines",
        "_read_ahead",
        "_set_time",
        "_work",
        "activations_in_task",
        "executing",
    )

    def __init__(
        self,
        flags: Flags,
        *,
        emit: Callable[[Machine, list[Job]], None],
        set_time: Callable[[int], None],
    ) -> None:
        self._flags = flags
        self._emit = emit  # jobs to the code, new commands to the task
        self._set_time = set_time
        self._machines: dict[int, LocalActivityMachine] = {}
        self._read_ahead: dict[int, LocalActivityResolution] = {}
        self._work = LocalActivityWork()
        self.executing: set[int] = set()
        self.activations_in_task = 0

    @property
    def outstanding(self) -> int:
        """Local activities asked of the worker whose outcome has not come back."""
        return len(self.executing)

    def take_work(self) -> LocalActivityWork:
        work, self._work = self._work, LocalActivityWork()
        return work

    # -- from the code ----------------------------------------------------------------------------
    def schedule(
        self, intent: i.ScheduleLocalActivity, *, replaying: bool, time_ns: int | None
    ) -> None:
        machine = LocalActivityMachine(
            intent.request, intent.cancellation_type, intent.source, time_ns=time_ns
        )
        machine.flags = self._flags
        self._machines[intent.seq] = machine
        known = self._read_ahead.pop(intent.seq, None) if replaying else None
        self._after(machine, machine.start(replaying=replaying, known=known))

    def cancel(self, intent: i.CancelLocalActivity) -> None:
        machine = self._machines.get(intent.seq)
        if machine is None:
            raise IllegalMoveError(
                machine=f"local activity (seq {intent.seq})",
                state="(never created)",
                trigger="cancel",
                path="",
                source=intent.source,
            )
        # TRY_CANCEL and ABANDON resolve here: the code learns of it in the next activation,
        # whose index the marker records (as the official core's does).
        machine.activation_index = self.activations_in_task
        self._after(machine, machine.request_cancel())

    # -- from the worker --------------------------------------------------------------------------
    def resolve(self, resolution: LocalActivityResolution) -> None:
        self.executing.discard(resolution.seq)
        machine = self._machines.get(resolution.seq)
        if machine is None:
            return  # the run was reset under it; nothing waits for this outcome
        machine.activation_index = self.activations_in_task
        self._after(machine, machine.give("result", resolution))

    # -- from history -----------------------------------------------------------------------------
    def read_ahead(self, events: Sequence[HistoryEvent]) -> None:
        """Outcomes recorded after the task about to run: resolve them when the code asks."""
        for event in events:
            if not is_local_activity_marker(event):
                continue
            _, resolution = read_marker(event)
            machine = self._machines.get(resolution.seq)
            if machine is not None and machine.can_fire("known_result"):
                self._after(machine, machine.give("known_result", resolution))
            else:
                self._read_ahead[resolution.seq] = resolution

    def take_marker(self, event: HistoryEvent) -> bool:
        """A marker of an activity that was replayed is matched here, not against the command
        queue; returns False for one whose marker command this run issued (matched as usual)."""
        _, resolution = read_marker(event)
        machine = self._machines.get(resolution.seq)
        if machine is None:
            raise NondeterminismError(
                f"history records a local activity (seq {resolution.seq}) that the workflow"
                " code did not schedule",
                event=event,
            )
        if not machine.replaying_when_invoked:
            return False
        machine.replaying = True
        self._after(machine, machine.fire("marker_recorded", event))
        return True

    def started_new_task(self) -> None:
        """A task that is not replayed began: replayed activities without a marker run now."""
        self.activations_in_task = 0
        for machine in self._machines.values():
            if machine.can_fire("non_replay_task"):
                self._after(machine, machine.fire("non_replay_task"))

    def _after(self, machine: LocalActivityMachine, jobs: list[Job]) -> None:
        if machine.wants_execution:
            machine.wants_execution = False
            self.executing.add(machine.seq)
            self._work.start.append(machine.request)
        if machine.wants_cancel:
            machine.wants_cancel = False
            known = self._read_ahead.pop(machine.seq, None)
            if known is not None and machine.can_fire("known_result"):
                jobs = [*jobs, *machine.give("known_result", known)]
            elif machine.seq in self.executing:
                queued = next((r for r in self._work.start if r.seq == machine.seq), None)
                if queued is not None:  # never handed to the worker: cancelled right here
                    self._work.start.remove(queued)
                    self.executing.discard(machine.seq)
                    jobs = [*jobs, *machine.give("result", _cancelled(queued))]
                else:
                    self._work.cancel.append(machine.seq)
        if (
            machine.resolved_as == "cancelled"
            and machine.cancellation_type is CancellationType.ABANDON
        ):
            self.executing.discard(machine.seq)  # nobody waits for an abandoned activity
        if machine.new_time_ns is not None:
            self._set_time(machine.new_time_ns)
            machine.new_time_ns = None
        self._emit(machine, jobs)


def _cancelled(request: LocalActivityRequest) -> LocalActivityResolution:
    from tempyral.api.failure.v1 import message_pb2 as failure_pb2

    return LocalActivityResolution(
        seq=request.seq,
        status="cancelled",
        failure=failure_pb2.Failure(
            message="Activity cancelled", canceled_failure_info=failure_pb2.CanceledFailureInfo()
        ),
        attempt=request.attempt,
        original_schedule_time_ns=request.original_schedule_time_ns,
    )
