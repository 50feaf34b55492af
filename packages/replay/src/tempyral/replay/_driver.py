"""The engine half of a workflow run: history in, activation jobs out; commands in, matched.

:py:class:`WorkflowMachines` walks history one workflow task at a time (see
``_history.next_task_end``). Each command event is matched against the oldest command the code
issued and not yet matched: a different command type, or a different id or type where the
official SDKs check them, is a nondeterminism error naming both sides and the source line. Other
events are routed to the machine whose command caused them (by scheduled/started/initiated event
id) or become jobs of their own (start, signal, cancel request). The workflow half (``_runtime``)
turns jobs into resolved futures and hands back intents (``_intents``), which create or cancel
machines here, dispatched by ``match`` on their type.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import timezone
from typing import NoReturn

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.common import WorkerDeploymentVersion
from tempyral.replay import _intents as i
from tempyral.replay import _machines as m
from tempyral.replay._errors import (
    CorruptHistoryError,
    IllegalMoveError,
    NondeterminismError,
    SourceLocation,
)
from tempyral.replay._flags import CoreFlag, Flags
from tempyral.replay._history import FINAL_EVENTS, EventType, is_command_event, next_task_end
from tempyral.replay._jobs import CancelWorkflow, InitializeWorkflow, Job, SignalWorkflow
from tempyral.replay._local_activities import LocalActivities
from tempyral.replay._machines._base import (
    QueuedCommand,
    command_attributes_text,
    command_type_name,
    trigger_of,
)
from tempyral.replay._machines.patch import PATCH_MARKER_NAME
from tempyral.replay._patches import PatchMarkers, upsert_command_for_code
from tempyral.replay._seed import randomness_seed, reset_seed_jobs
from tempyral.replay._update_protocol import UpdateProtocol
from tempyral.replay._worker_version import WorkerVersions

__all__ = ["WorkflowMachines"]

HistoryEvent = history_pb2.HistoryEvent
E = EventType

# Which attribute of a follow-up event names the event of the command that caused it.
_INITIAL_EVENT_FIELD: dict[int, tuple[str, str]] = {}
for _kind, _attrs in (
    (E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started_event_attributes"),
    (E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed_event_attributes"),
    (E.EVENT_TYPE_ACTIVITY_TASK_FAILED, "activity_task_failed_event_attributes"),
    (E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, "activity_task_timed_out_event_attributes"),
    (E.EVENT_TYPE_ACTIVITY_TASK_CANCELED, "activity_task_canceled_event_attributes"),
):
    _INITIAL_EVENT_FIELD[_kind] = (_attrs, "scheduled_event_id")
_INITIAL_EVENT_FIELD[E.EVENT_TYPE_TIMER_FIRED] = (
    "timer_fired_event_attributes",
    "started_event_id",
)
for _kind, _attrs in (
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        "child_workflow_execution_started_event_attributes",
    ),
    (
        E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
        "start_child_workflow_execution_failed_event_attributes",
    ),
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        "child_workflow_execution_completed_event_attributes",
    ),
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
        "child_workflow_execution_failed_event_attributes",
    ),
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        "child_workflow_execution_canceled_event_attributes",
    ),
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
        "child_workflow_execution_timed_out_event_attributes",
    ),
    (
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
        "child_workflow_execution_terminated_event_attributes",
    ),
    (
        E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
        "external_workflow_execution_signaled_event_attributes",
    ),
    (
        E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        "signal_external_workflow_execution_failed_event_attributes",
    ),
    (
        E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        "external_workflow_execution_cancel_requested_event_attributes",
    ),
    (
        E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        "request_cancel_external_workflow_execution_failed_event_attributes",
    ),
):
    _INITIAL_EVENT_FIELD[_kind] = (_attrs, "initiated_event_id")
for _kind, _attrs in (
    (E.EVENT_TYPE_NEXUS_OPERATION_STARTED, "nexus_operation_started_event_attributes"),
    (E.EVENT_TYPE_NEXUS_OPERATION_COMPLETED, "nexus_operation_completed_event_attributes"),
    (E.EVENT_TYPE_NEXUS_OPERATION_FAILED, "nexus_operation_failed_event_attributes"),
    (E.EVENT_TYPE_NEXUS_OPERATION_CANCELED, "nexus_operation_canceled_event_attributes"),
    (E.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT, "nexus_operation_timed_out_event_attributes"),
    (
        E.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED,
        "nexus_operation_cancel_request_completed_event_attributes",
    ),
    (
        E.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED,
        "nexus_operation_cancel_request_failed_event_attributes",
    ),
):
    _INITIAL_EVENT_FIELD[_kind] = (_attrs, "scheduled_event_id")

# Events that change nothing the workflow code can see.
_IGNORED = frozenset(
    {
        E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        E.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED,
        E.EVENT_TYPE_ACTIVITY_PROPERTIES_MODIFIED_EXTERNALLY,
        E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED_EXTERNALLY,
        E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,  # no longer written; nothing to replay
        E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,  # read by the update protocol
    }
)


# Markers some features handle before (or instead of) the command queue, by marker name.
# A handler returns False for a marker its command issued in this run (matched as usual).
def _local_activity_marker(machines: WorkflowMachines, event: HistoryEvent) -> bool:
    return machines.local_activities.take_marker(event)


def _command_marker(machines: WorkflowMachines, event: HistoryEvent) -> bool:
    return False  # a patch marker is its command's event: matched against the queue


_MARKER_HANDLERS: Mapping[str, Callable[[WorkflowMachines, HistoryEvent], bool]] = {
    "core_local_activity": _local_activity_marker,
    PATCH_MARKER_NAME: _command_marker,
}

# Which machine a cancel intent moves, and which machine records a closing intent's command.
_CANCELLED: Mapping[type[i.Intent], type[m.Machine]] = {
    i.CancelTimer: m.TimerMachine,
    i.CancelActivity: m.ActivityMachine,
    i.CancelSignal: m.SignalExternalMachine,
    i.CancelNexusOperation: m.NexusOperationMachine,
}
_CLOSING: Mapping[type[i.Intent], type[m.TerminalMachine]] = {
    i.CompleteWorkflow: m.CompleteWorkflowMachine,
    i.FailWorkflow: m.FailWorkflowMachine,
    i.CancelWorkflowExecution: m.CancelWorkflowMachine,
    i.ContinueAsNew: m.ContinueAsNewMachine,
}


class WorkflowMachines:
    """History and commands of one workflow run, matched as the official SDKs match them."""

    __slots__ = (
        "_awaiting_command_events",
        "_by_event_id",
        "_by_seq",
        "_internal_seq",
        "_jobs",
        "_new",
        "_queue",
        "_skip_events",
        "continue_as_new_suggested",
        "current_time_ns",
        "events",
        "flags",
        "history_length",
        "history_size_bytes",
        "local_activities",
        "next_index",
        "patches",
        "replaying",
        "started_attributes",
        "updates",
        "worker_versions",
        "workflow_finished",
    )

    def __init__(
        self, sdk_version: str = "", worker_version: WorkerDeploymentVersion | None = None
    ) -> None:
        self.events: list[HistoryEvent] = []
        self.next_index = 0
        self.flags = Flags(sdk_version)
        self.replaying = True
        self.current_time_ns: int | None = None
        self.started_attributes: history_pb2.WorkflowExecutionStartedEventAttributes | None = None
        self.workflow_finished = False
        self.history_length = 0
        self._jobs: list[Job] = []
        # Issued, awaiting their events; made when a task sends commands and dropped when the
        # task's events matched them all: an empty deque keeps a 64-slot block (~760 B), which a
        # cached run waiting with no command outstanding need not carry.
        self._queue: deque[QueuedCommand] | None = None
        self._new: list[QueuedCommand] = []  # issued since the last task was completed
        self._by_event_id: dict[int, m.Machine] = {}
        self._by_seq: dict[tuple[type[m.Machine], int], m.Machine] = {}
        self._internal_seq = 0
        self._awaiting_command_events = False
        self.updates = UpdateProtocol(self.flags)
        self.local_activities = LocalActivities(
            self.flags, emit=self._emit, set_time=self._set_time
        )
        self.history_size_bytes = 0
        self.continue_as_new_suggested = False
        self.worker_versions = WorkerVersions(worker_version)
        self.patches = PatchMarkers(self.flags)
        self._skip_events = 0  # deprecated patch markers (and their upserts) the code dropped

    # -- history ------------------------------------------------------------------------------
    def add_events(self, events: Sequence[HistoryEvent]) -> None:
        for event in events:
            expected = self.events[-1].event_id + 1 if self.events else 1
            if event.event_id < expected:
                if event.event_id >= 1 and event != self.events[event.event_id - 1]:
                    raise CorruptHistoryError(
                        f"event {event.event_id} arrived again with different content",
                        event=event,
                    )
                continue  # already known (a page fetched twice, or a full history resent)
            if event.event_id != expected:
                raise CorruptHistoryError(
                    f"history is out of order or has a gap: expected event {expected}", event=event
                )
            self.events.append(event)

    def has_unapplied_task(self, *, history_complete: bool) -> bool:
        if self.next_index >= len(self.events) or self.workflow_finished:
            return False
        return history_complete or next_task_end(self.events, self.next_index) is not None

    def apply_next_task(self, *, history_complete: bool) -> None:
        """Apply the events of the next workflow task; its jobs are then in ``take_jobs()``."""
        start = self.next_index
        end = next_task_end(self.events, start)
        if end is None:
            if not history_complete:
                raise RuntimeError("apply_next_task called without a complete task")
            end = len(self.events) - 1
        following = self.events[end + 1] if end + 1 < len(self.events) else None
        # The flags of the task about to be replayed are recorded in the completion after it.
        if following is not None and following.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            self.flags.add_from_completed(
                following.workflow_task_completed_event_attributes.sdk_metadata
            )
        self.replaying = following is not None
        self._track_worker_version(self.events[start : end + 1], following)
        for index in range(start, end + 1):
            event = self.events[index]
            self._jobs.extend(self.updates.deliver_before(event, replaying=self.replaying))
            self._handle(event)
        self._jobs.extend(self.updates.deliver_before(None, replaying=self.replaying))
        next_end = next_task_end(self.events, end + 1)
        stop = len(self.events) if next_end is None else next_end + 1
        following_task = self.events[end + 1 : stop]
        # On replay, the updates this task accepted are delivered again from their events.
        self._jobs.extend(self.updates.replayed_requests(following_task, replaying=self.replaying))
        # Markers this task's completion recorded resolve patch calls before the code runs.
        self._jobs.extend(self.patches.look_ahead(following_task))
        self.next_index = end + 1
        self.history_length = self.events[end].event_id
        ended_at = self.events[end]
        if ended_at.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            self._set_time(ended_at.event_time.ToNanoseconds())
            started = ended_at.workflow_task_started_event_attributes
            self.history_size_bytes = started.history_size_bytes
            self.continue_as_new_suggested = started.suggest_continue_as_new
            self.worker_versions.task_started(started)
        if self.replaying:
            following_end = next_task_end(self.events, end + 1)
            stop = len(self.events) if following_end is None else following_end + 1
            self.local_activities.read_ahead(self.events[end + 1 : stop])
        else:
            self.local_activities.started_new_task()

    def _track_worker_version(
        self, task: Sequence[HistoryEvent], following: HistoryEvent | None
    ) -> None:
        # As the Core SDK: completions in the task's events (the previous task's, our own when
        # this worker ran it), then the one that completes this task; a new task is this worker's.
        for event in (*task, following):
            if event is not None and event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                self.worker_versions.task_completed(event.workflow_task_completed_event_attributes)
        if not self.replaying:
            self.worker_versions.running_new_task()

    def take_jobs(self) -> list[Job]:
        jobs, self._jobs = self._jobs, []
        return jobs

    def _set_time(self, time_ns: int) -> None:
        if self.current_time_ns is None or time_ns > self.current_time_ns:
            self.current_time_ns = time_ns

    def _handle(self, event: HistoryEvent) -> None:
        kind = event.event_type
        if self._awaiting_command_events and not is_command_event(event):
            self._check_no_commands_left(event)
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            self._awaiting_command_events = True
            return
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_STARTED or kind in _IGNORED:
            self._jobs.extend(reset_seed_jobs(event))  # a task failed by a reset reseeds
            return
        if is_command_event(event):
            self._handle_command_event(event)
        elif kind in _INITIAL_EVENT_FIELD:
            attrs_name, field = _INITIAL_EVENT_FIELD[kind]
            initial_id = getattr(getattr(event, attrs_name), field)
            machine = self._by_event_id.get(initial_id)
            if machine is None:
                raise NondeterminismError(
                    f"history refers to event {initial_id}, which no command of this workflow code"
                    " produced",
                    event=event,
                )
            self._fire(machine, event)
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            self.started_attributes = attrs
            self._set_time(event.event_time.ToNanoseconds())
            seed = randomness_seed(attrs.original_execution_run_id)
            self._jobs.append(
                InitializeWorkflow(attrs, seed, event.event_time.ToDatetime(timezone.utc))
            )
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signaled = event.workflow_execution_signaled_event_attributes
            self._jobs.append(
                SignalWorkflow(
                    signaled.signal_name,
                    list(signaled.input.payloads),
                    dict(signaled.header.fields),
                    signaled.identity,
                    event.event_id,
                )
            )
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            self._jobs.append(
                CancelWorkflow(event.workflow_execution_cancel_requested_event_attributes.cause)
            )
        elif kind in (
            E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        ):
            self.workflow_finished = True
        elif not event.worker_may_ignore:  # newer servers mark events older workers may skip
            raise CorruptHistoryError(
                "this event type is not supported by tempyral's engine", event=event
            )

    def _marker_taken(self, event: HistoryEvent) -> bool:
        """Whether the feature owning the marker handled it apart from the command queue."""
        name = event.marker_recorded_event_attributes.marker_name
        handler = _MARKER_HANDLERS.get(name)
        if handler is None:
            raise CorruptHistoryError(
                f"markers named {name!r} are not supported by this version of tempyral's engine",
                event=event,
            )
        return handler(self, event)

    def _handle_command_event(self, event: HistoryEvent) -> None:
        if self._skip_events:
            self._skip_events -= 1
            return
        if event.event_type == E.EVENT_TYPE_MARKER_RECORDED and self._marker_taken(event):
            return
        self._match_command_event(event)

    def _match_command_event(self, event: HistoryEvent) -> None:
        following = self.events[event.event_id] if event.event_id < len(self.events) else None
        queue = self._queue if self._queue is not None else deque()
        skipped = self.patches.skips_event(queue, event, following)
        if skipped:
            self._skip_events = skipped - 1
            return
        while queue and queue[0].dropped:
            queue.popleft()
        if not queue:
            raise NondeterminismError(
                "history records a command here, but the workflow code issued no (more) commands",
                event=event,
            )
        queued = queue.popleft()
        command = queued.command
        if queued.machine.expected_event(command) != event.event_type:
            raise NondeterminismError(
                "the command the workflow code issued is not the one history recorded",
                event=event,
                command_type=command_type_name(command),
                command_attributes=command_attributes_text(command),
                source=queued.source,
                path=queued.machine.path_text,
            )
        machine = queued.machine
        machine.replaying = self.replaying
        machine.check_command_event(command, event)
        self._fire(machine, event)
        if not machine.is_final:
            self._by_event_id[event.event_id] = machine
        if event.event_type in FINAL_EVENTS:
            self.workflow_finished = True

    def _check_no_commands_left(self, event: HistoryEvent | None) -> None:
        self._awaiting_command_events = False
        leftover = next((q for q in self._queue or () if not q.dropped), None)
        if leftover is not None:
            raise NondeterminismError(
                "the workflow code issued a command that history does not have (the task's"
                " recorded commands end before it)",
                event=event,
                command_type=command_type_name(leftover.command),
                command_attributes=command_attributes_text(leftover.command),
                source=leftover.source,
                path=leftover.machine.path_text,
            )
        self._queue = None

    def _fire(self, machine: m.Machine, event: HistoryEvent) -> None:
        jobs = machine.fire(trigger_of(event), event)
        if not machine.internal:
            self._jobs.extend(jobs)
        self._take_issued(machine, None)

    def _emit(self, machine: m.Machine, jobs: list[Job]) -> None:
        self._jobs.extend(jobs)
        self._take_issued(machine, None)

    def _take_issued(self, machine: m.Machine, source: SourceLocation | None) -> None:
        for command in machine.new_commands:
            self._new.append(
                QueuedCommand(machine, command, source or machine.source, initial=False)
            )
        machine.new_commands.clear()

    # -- commands from the workflow code --------------------------------------------------------
    def handle_intents(self, intents: Sequence[i.Intent]) -> None:
        """Create and cancel machines for what the code asked; immediate jobs go to take_jobs."""
        for intent in self._order_terminal(intents):
            self._handle_intent(intent)

    def _handle_intent(self, intent: i.Intent) -> None:  # noqa: PLR0912 (one case per intent)
        match intent:
            case i.StartTimer(seq=seq, command=command, source=source):
                self._add(m.TimerMachine(seq, command, source))
            case i.CancelTimer() | i.CancelActivity() | i.CancelSignal() | i.CancelNexusOperation():
                self._cancel(_CANCELLED[type(intent)], intent.seq, intent.source)
            case i.ScheduleActivity(seq=seq, command=command, source=source):
                self._add(m.ActivityMachine(seq, command, intent.cancellation_type, source))
            case i.ScheduleNexusOperation(seq=seq, command=command, source=source):
                self._add(m.NexusOperationMachine(seq, command, intent.cancellation_type, source))
            case i.StartChild(seq=seq, command=command, source=source):
                self._add(m.ChildWorkflowMachine(seq, command, intent.cancellation_type, source))
            case i.CancelChild():
                self._cancel_child(intent)
            case i.SignalExternal(seq=seq, command=command, source=source):
                self._add(m.SignalExternalMachine(seq, command, source))
            case i.CancelExternal(seq=seq, command=command, source=source):
                self._add(m.CancelExternalMachine(seq, command, source))
            case i.ScheduleLocalActivity():
                self.local_activities.schedule(
                    intent, replaying=self.replaying, time_ns=self.current_time_ns
                )
            case i.CancelLocalActivity():
                self.local_activities.cancel(intent)
            case (
                i.CompleteWorkflow()
                | i.FailWorkflow()
                | i.CancelWorkflowExecution()
                | i.ContinueAsNew()
            ):
                self._terminal(_CLOSING[type(intent)](0, intent.command, intent.source))
            case i.RespondToUpdate():
                update = self.updates.respond(intent, replaying=self.replaying)
                self._take_issued(update, intent.source)
            case i.SetPatchMarker(patch_id=patch_id, deprecated=deprecated, source=source):
                for patch in self.patches.machines_for(
                    patch_id, deprecated, source, replaying=self.replaying
                ):
                    # The marker and its change-version upsert both join the call's groups.
                    marked: command_pb2.Command | None = getattr(patch, "command", None)
                    if marked is not None:
                        marked.event_group_markers.extend(intent.event_group_markers)
                    self._add(patch)
            case i.UpsertSearchAttributes() | i.ModifyWorkflowProperties():
                self._add(self._property_machine(intent))
            case _:
                _unhandled(intent)

    def _property_machine(
        self, intent: i.UpsertSearchAttributes | i.ModifyWorkflowProperties
    ) -> m.Machine:
        self._internal_seq += 1
        if isinstance(intent, i.ModifyWorkflowProperties):
            return m.ModifyPropertiesMachine(-self._internal_seq, intent.command, intent.source)
        upsert = upsert_command_for_code(intent.command, self.flags, replaying=self.replaying)
        return m.UpsertSearchAttributesMachine(-self._internal_seq, upsert, intent.source)

    def _order_terminal(self, intents: Sequence[i.Intent]) -> Sequence[i.Intent]:
        first = next(
            (n for n, intent in enumerate(intents) if isinstance(intent, i.TERMINAL_INTENTS)),
            None,
        )
        if first is None or first == len(intents) - 1:
            return intents
        if self.flags.core_enabled(CoreFlag.MOVE_TERMINAL_COMMANDS, replaying=self.replaying):
            rest = [intent for intent in intents if not isinstance(intent, i.TERMINAL_INTENTS)]
            return [*rest, intents[first]]
        return intents[: first + 1]

    def _add(self, machine: m.Machine) -> None:
        machine.flags = self.flags
        self._by_seq[(type(machine), machine.seq)] = machine
        self._new.append(QueuedCommand(machine, machine.command, machine.source))

    def _find(self, kind: type[m.Machine], seq: int, source: SourceLocation | None) -> m.Machine:
        machine = self._by_seq.get((kind, seq))
        if machine is None:
            raise IllegalMoveError(
                machine=f"{kind.kind} (seq {seq})",
                state="(never created)",
                trigger="cancel",
                path="",
                source=source,
            )
        return machine

    def _cancel(self, kind: type[m.Machine], seq: int, source: SourceLocation | None) -> None:
        machine = self._find(kind, seq, source)
        self._jobs.extend(machine.request_cancel())
        _inherit_event_groups(machine)
        self._take_issued(machine, source)

    def _cancel_child(self, intent: i.CancelChild) -> None:
        machine = self._find(m.ChildWorkflowMachine, intent.seq, intent.source)
        assert isinstance(machine, m.ChildWorkflowMachine)  # keyed by its class
        self._jobs.extend(machine.cancel_with_reason(intent.reason))
        _inherit_event_groups(machine)
        for command in machine.new_commands:
            # Cancelling a started child is a cancel-external command with its own machine.
            self._internal_seq += 1
            internal = m.CancelExternalMachine(
                -self._internal_seq, command, intent.source, internal=True
            )
            internal.flags = self.flags
            self._new.append(QueuedCommand(internal, command, intent.source))
        machine.new_commands.clear()

    def _terminal(self, machine: m.Machine) -> None:
        machine.flags = self.flags
        self._new.append(QueuedCommand(machine, machine.command, machine.source))

    # -- completing a task ----------------------------------------------------------------------
    def prepare_commands(self) -> list[command_pb2.Command]:
        """Commands issued since the last task ended, minus those cancelled before being sent.

        They move to the queue that the next task's command events are matched against.
        """
        kept = [q for q in self._new if not q.dropped]
        self._new.clear()
        if kept:
            if self._queue is None:
                self._queue = deque(kept)
            else:
                self._queue.extend(kept)
        return [q.command for q in kept]

    def unsent_commands(self) -> list[command_pb2.Command]:
        """Every command of the task in progress, in order: a task that ran local activities
        prepares its commands several times before it is completed."""
        return [q.command for q in self._queue or () if not q.dropped]

    def check_end_of_history(self) -> None:
        """At the end of a complete history: commands the code issued that history lacks."""
        if self._awaiting_command_events and self.events and is_command_event(self.events[-1]):
            self._check_no_commands_left(None)


# Markers are routed by name: each kind is recorded and matched by its own module.


def _unhandled(intent: NoReturn) -> NoReturn:
    """mypy proves this unreachable: every intent type has a case above."""
    raise TypeError(f"no handler for intent {intent!r}")


def _inherit_event_groups(machine: m.Machine) -> None:
    """A cancellation lands in the event groups of the command it cancels (as the official SDKs
    do): its own markers, when it has none."""
    original = getattr(machine, "command", None)
    if original is None or not original.event_group_markers:
        return
    for command in machine.new_commands:
        if not command.event_group_markers:
            command.event_group_markers.extend(original.event_group_markers)
