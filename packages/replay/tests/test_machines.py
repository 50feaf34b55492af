"""The state machines stepped by hand, event by event, and their declared tables."""

from __future__ import annotations

import inspect

import pytest

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import NondeterminismError
from tempyral.replay import _machines as m
from tempyral.replay._errors import IllegalMoveError
from tempyral.replay._flags import Flags
from tempyral.replay._jobs import FireTimer, ResolveActivity, ResolveNexus, ResolveNexusStart

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
    m.NexusOperationMachine,
]


def activity(cancellation: m.CancellationType = m.CancellationType.TRY_CANCEL) -> m.ActivityMachine:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
    command.schedule_activity_task_command_attributes.activity_id = "1"
    command.schedule_activity_task_command_attributes.activity_type.name = "greet"
    machine = m.ActivityMachine(1, command, cancellation, None)
    machine.flags = Flags()
    return machine


def nexus_operation(
    cancellation: m.NexusCancellationType = m.NexusCancellationType.WAIT_COMPLETED,
) -> m.NexusOperationMachine:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION)
    attrs = command.schedule_nexus_operation_command_attributes
    attrs.endpoint, attrs.service, attrs.operation = "my-endpoint", "MyService", "my_operation"
    machine = m.NexusOperationMachine(1, command, cancellation, None)
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
    assert set(machine.HANDLERS) <= triggers, set(machine.HANDLERS) - triggers
    # Every on_<trigger> function is listed in the handler table under its own trigger.
    methods = {
        name.removeprefix("on_"): fn
        for name, fn in inspect.getmembers(machine, inspect.isfunction)
        if name.startswith("on_")
    }
    assert methods == dict(machine.HANDLERS)
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


def _command(kind: str) -> command_pb2.Command:
    command = command_pb2.Command(command_type=CommandType.Value(f"COMMAND_TYPE_{kind}"))
    which = f"{kind.lower()}_command_attributes"
    getattr(command, which).SetInParent()
    return command


def _new(machine: type[m.Machine]) -> m.Machine:
    """Each machine just created by the code, in the state its command was issued in."""
    made: m.Machine
    if machine is m.ActivityMachine:
        made = activity()
    elif machine is m.TimerMachine:
        made = m.TimerMachine(1, _command("START_TIMER"), None)
    elif machine is m.ChildWorkflowMachine:
        made = m.ChildWorkflowMachine(
            1,
            _command("START_CHILD_WORKFLOW_EXECUTION"),
            m.ChildCancellationType.TRY_CANCEL,
            None,
        )
    elif machine is m.SignalExternalMachine:
        made = m.SignalExternalMachine(1, _command("SIGNAL_EXTERNAL_WORKFLOW_EXECUTION"), None)
    elif machine is m.NexusOperationMachine:
        made = nexus_operation()
    elif machine is m.CancelExternalMachine:
        made = m.CancelExternalMachine(
            1, _command("REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION"), None
        )
    else:
        command = {
            m.CompleteWorkflowMachine: "COMPLETE_WORKFLOW_EXECUTION",
            m.FailWorkflowMachine: "FAIL_WORKFLOW_EXECUTION",
            m.CancelWorkflowMachine: "CANCEL_WORKFLOW_EXECUTION",
            m.ContinueAsNewMachine: "CONTINUE_AS_NEW_WORKFLOW_EXECUTION",
        }[machine]
        made = machine(0, _command(command), None)  # type: ignore[call-arg]
    made.flags = Flags()
    return made


@pytest.mark.parametrize("machine", MACHINES, ids=lambda c: c.__name__)
def test_an_illegal_event_leaves_the_machine_where_it_was(machine: type[m.Machine]) -> None:
    made = _new(machine)
    state, path = made.state, list(made.path)
    # A fire before any command was recorded is never legal for a machine just issued.
    assert not made.can_fire("timer_fired") or machine is m.TimerMachine
    trigger = "activity_task_completed" if machine is m.TimerMachine else "timer_fired"
    with pytest.raises(NondeterminismError) as info:
        made.fire(trigger, event(trigger, 9))
    assert made.state is state
    assert made.path == path
    assert made.new_commands == []
    assert info.value.path == " / ".join(path)
    assert f"the command's state machine went: {info.value.path}" in str(info.value)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda c: c.__name__)
def test_an_illegal_request_from_code_is_a_coded_engine_error(machine: type[m.Machine]) -> None:
    made = _new(machine)
    state, path = made.state, list(made.path)
    with pytest.raises(IllegalMoveError) as info:
        made.fire("schedule")  # a command is issued once; asking again is illegal
    assert made.state is state
    assert made.path == path
    text = str(info.value)
    assert text.startswith(f"[TMPYRL1002] Illegal move: the {made.kind} (seq {made.seq})")
    assert f"in state {state.name} cannot take schedule" in text
    assert "its path so far: CREATED / schedule->" in text


def test_a_mismatch_error_carries_the_machine_path() -> None:
    command = command_pb2.Command(command_type=CommandType.COMMAND_TYPE_START_TIMER)
    command.start_timer_command_attributes.timer_id = "2"
    timer = m.TimerMachine(2, command, None)
    with pytest.raises(NondeterminismError) as info:
        timer.check_command_event(command, event("timer_started", 5, timer_id="1"))
    assert info.value.path == "CREATED / schedule->START_COMMAND_CREATED"


def test_a_history_move_asked_without_its_event_is_refused_and_changes_nothing() -> None:
    machine = activity()
    with pytest.raises(IllegalMoveError, match="SCHEDULE_COMMAND_CREATED"):
        machine.fire("activity_task_scheduled")
    assert machine.state.name == "SCHEDULE_COMMAND_CREATED"
    assert machine.path == ["CREATED", "schedule->SCHEDULE_COMMAND_CREATED"]


def _scheduled_and_started(machine: m.NexusOperationMachine) -> None:
    machine.fire("nexus_operation_scheduled", event("nexus_operation_scheduled", 5))
    [start] = machine.fire(
        "nexus_operation_started",
        event("nexus_operation_started", 6, scheduled_event_id=5, operation_token="tok"),
    )
    assert start == ResolveNexusStart(1, "started", operation_token="tok")


def test_a_synchronous_nexus_operation_starts_and_completes_in_one_event() -> None:
    machine = nexus_operation()
    machine.fire("nexus_operation_scheduled", event("nexus_operation_scheduled", 5))
    start, outcome = machine.fire(
        "nexus_operation_completed", event("nexus_operation_completed", 6, scheduled_event_id=5)
    )
    assert start == ResolveNexusStart(1, "sync")
    assert isinstance(outcome, ResolveNexus)
    assert outcome.status == "completed"
    assert machine.is_final


def test_a_nexus_operation_that_fails_before_starting_fails_its_start() -> None:
    machine = nexus_operation()
    machine.fire("nexus_operation_scheduled", event("nexus_operation_scheduled", 5))
    failed = event("nexus_operation_failed", 6, scheduled_event_id=5)
    failed.nexus_operation_failed_event_attributes.failure.message = "handler said no"
    [job] = machine.fire("nexus_operation_failed", failed)
    assert isinstance(job, ResolveNexusStart)
    assert job.status == "failed"
    assert job.failure is not None
    assert job.failure.message == "handler said no"


def test_a_nexus_operation_cancelled_before_it_was_sent_vanishes() -> None:
    machine = nexus_operation()
    [job] = machine.request_cancel()
    assert isinstance(job, ResolveNexusStart)
    assert job.status == "failed"
    assert job.failure is not None
    assert job.failure.message == "Nexus Operation cancelled before scheduled"
    assert job.failure.cause.HasField("canceled_failure_info")
    assert machine.cancelled_before_sent
    assert machine.new_commands == []


@pytest.mark.parametrize(
    ("cancellation", "resolves_now", "sends_request"),
    [
        (m.NexusCancellationType.ABANDON, True, False),
        (m.NexusCancellationType.TRY_CANCEL, True, True),
        (m.NexusCancellationType.WAIT_REQUESTED, False, True),
        (m.NexusCancellationType.WAIT_COMPLETED, False, True),
    ],
)
def test_nexus_cancellation_types(
    cancellation: m.NexusCancellationType, resolves_now: bool, sends_request: bool
) -> None:
    machine = nexus_operation(cancellation)
    _scheduled_and_started(machine)
    jobs = machine.request_cancel()
    assert bool(jobs) is resolves_now
    sent = list(machine.new_commands)
    assert [c.command_type for c in sent] == (
        [CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION] if sends_request else []
    )
    if sent:
        assert sent[0].request_cancel_nexus_operation_command_attributes.scheduled_event_id == 5
    assert machine.request_cancel() == []  # a second cancel sends nothing more
    assert len(machine.new_commands) == len(sent)
    if sends_request:
        machine.fire("nexus_operation_cancel_requested", event("nexus_operation_cancel_requested"))
    done = machine.fire(
        "nexus_operation_cancel_request_completed",
        event("nexus_operation_cancel_request_completed", 9, scheduled_event_id=5),
    )
    if cancellation is m.NexusCancellationType.WAIT_REQUESTED:
        [job] = done
        assert isinstance(job, ResolveNexus)
        assert job.status == "cancelled"
        assert job.failure is not None
        assert job.failure.nexus_operation_execution_failure_info.operation_token == "tok"
    else:
        assert done == []
    outcome = machine.fire(
        "nexus_operation_canceled", event("nexus_operation_canceled", 10, scheduled_event_id=5)
    )
    waited = cancellation is m.NexusCancellationType.WAIT_COMPLETED
    assert [getattr(job, "status", None) for job in outcome] == (["cancelled"] if waited else [])
    assert machine.is_final


def test_a_failed_cancel_request_fails_a_wait_requested_await() -> None:
    machine = nexus_operation(m.NexusCancellationType.WAIT_REQUESTED)
    _scheduled_and_started(machine)
    machine.request_cancel()
    machine.fire("nexus_operation_cancel_requested", event("nexus_operation_cancel_requested"))
    failed = event("nexus_operation_cancel_request_failed", 9, scheduled_event_id=5)
    failed.nexus_operation_cancel_request_failed_event_attributes.failure.message = "too late"
    [job] = machine.fire("nexus_operation_cancel_request_failed", failed)
    assert isinstance(job, ResolveNexus)
    assert job.status == "failed"
    assert job.failure is not None
    assert job.failure.message == "Nexus operation cancellation request failed"
    assert job.failure.cause.message == "too late"
    # The operation still ends later: history may say so, and the await has its answer already.
    assert (
        machine.fire(
            "nexus_operation_completed",
            event("nexus_operation_completed", 12, scheduled_event_id=5),
        )
        == []
    )


def test_an_operation_abandoned_before_it_started_may_still_start_and_finish() -> None:
    machine = nexus_operation(m.NexusCancellationType.ABANDON)
    machine.fire("nexus_operation_scheduled", event("nexus_operation_scheduled", 5))
    [job] = machine.request_cancel()
    assert isinstance(job, ResolveNexus)
    assert job.status == "cancelled"
    assert machine.new_commands == []  # the handler is told nothing
    started = event("nexus_operation_started", 7, scheduled_event_id=5, operation_token="tok")
    assert machine.fire("nexus_operation_started", started) == []
    completed = event("nexus_operation_completed", 9, scheduled_event_id=5)
    assert machine.fire("nexus_operation_completed", completed) == []
    assert machine.is_final
