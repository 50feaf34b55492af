"""The state machines stepped by hand, event by event, and their declared tables."""

from __future__ import annotations

import inspect

import pytest

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import NondeterminismError
from tempyral.replay import _machines as m
from tempyral.replay._flags import Flags
from tempyral.replay._jobs import FireTimer, ResolveActivity

from .histories import Builder

MACHINES = [
    m.ActivityMachine,
    m.TimerMachine,
    m.ChildWorkflowMachine,
    m.SignalExternalMachine,
    m.CancelExternalMachine,
    m.CompleteWorkflowMachine,
    m.FailWorkflowMachine,
    m.CancelWorkflowMachine,
    m.ContinueAsNewMachine,
]


def activity(cancellation: m.CancellationType = m.CancellationType.TRY_CANCEL) -> m.ActivityMachine:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
    command.schedule_activity_task_command_attributes.activity_id = "1"
    command.schedule_activity_task_command_attributes.activity_type.name = "greet"
    machine = m.ActivityMachine(1, command, cancellation, None)
    machine.flags = Flags()
    return machine


def event(kind: str, event_id: int = 5, **attrs: object) -> history_pb2.HistoryEvent:
    b = Builder()
    made = b.add(kind, **attrs)
    made.event_id = event_id
    return made


@pytest.mark.parametrize("machine", MACHINES, ids=lambda c: c.__name__)
def test_tables_are_data_and_every_handler_has_a_transition(machine: type[m.Machine]) -> None:
    triggers = {trigger for (_, trigger) in machine.TRANSITIONS}
    handlers = {
        name.removeprefix("on_")
        for name, _ in inspect.getmembers(machine)
        if name.startswith("on_")
    }
    assert handlers <= triggers, handlers - triggers
    states = {state for (state, _) in machine.TRANSITIONS}
    assert machine.INITIAL in states
    assert all(isinstance(s, machine.State) for s in states)


def test_activity_happy_path() -> None:
    machine = activity()
    assert machine.fire("activity_task_scheduled", event("activity_task_scheduled", 5)) == []
    assert machine.fire("activity_task_started", event("activity_task_started", 6)) == []
    [job] = machine.fire("activity_task_completed", event("activity_task_completed", 7))
    assert isinstance(job, ResolveActivity)
    assert job.status == "completed"
    assert machine.is_final
    assert machine.path[-1] == "activity_task_completed->COMPLETED"


def test_activity_cancelled_before_it_was_sent_vanishes() -> None:
    machine = activity()
    [job] = machine.request_cancel()
    assert isinstance(job, ResolveActivity)
    assert job.status == "cancelled"
    assert machine.cancelled_before_sent
    assert machine.new_commands == []


@pytest.mark.parametrize(
    ("cancellation", "resolves_now", "sends_request"),
    [
        (m.CancellationType.TRY_CANCEL, True, True),
        (m.CancellationType.WAIT_CANCELLATION_COMPLETED, False, True),
        (m.CancellationType.ABANDON, True, False),
    ],
)
def test_activity_cancellation_types(
    cancellation: m.CancellationType, resolves_now: bool, sends_request: bool
) -> None:
    machine = activity(cancellation)
    machine.fire("activity_task_scheduled", event("activity_task_scheduled", 5))
    jobs = machine.request_cancel()
    assert bool(jobs) is resolves_now
    sent = [c.command_type for c in machine.new_commands]
    assert sent == (
        [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK] if sends_request else []
    )
    if cancellation is m.CancellationType.WAIT_CANCELLATION_COMPLETED:
        machine.fire("activity_task_cancel_requested", event("activity_task_cancel_requested", 8))
        [job] = machine.fire("activity_task_canceled", event("activity_task_canceled", 9))
        assert isinstance(job, ResolveActivity)
        assert job.status == "cancelled"


def test_an_illegal_move_names_machine_state_trigger_and_path() -> None:
    machine = activity()
    machine.fire("activity_task_scheduled", event("activity_task_scheduled", 5))
    with pytest.raises(NondeterminismError) as info:
        machine.fire("activity_task_completed", event("activity_task_completed", 7))
    text = str(info.value)
    assert "activity state machine (seq 1) in state SCHEDULED_EVENT_RECORDED" in text
    assert "activity_task_completed" in text
    assert "CREATED / schedule->SCHEDULE_COMMAND_CREATED" in text


def test_timer_fires_or_is_cancelled() -> None:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_START_TIMER)
    command.start_timer_command_attributes.timer_id = "1"
    timer = m.TimerMachine(1, command, None)
    timer.fire("timer_started", event("timer_started", 5, timer_id="1"))
    assert timer.fire("timer_fired", event("timer_fired", 6)) == [FireTimer(1)]
    other = m.TimerMachine(2, command, None)
    other.fire("timer_started", event("timer_started", 5, timer_id="1"))
    assert other.request_cancel() == []
    assert [c.command_type for c in other.new_commands] == [CommandType.COMMAND_TYPE_CANCEL_TIMER]


def test_timer_id_mismatch_is_nondeterminism() -> None:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_START_TIMER)
    command.start_timer_command_attributes.timer_id = "2"
    timer = m.TimerMachine(2, command, None)
    with pytest.raises(NondeterminismError, match="timer id '1' in history, '2' in the code"):
        timer.check_command_event(command, event("timer_started", 5, timer_id="1"))
