"""Commands of a completed workflow task, turned into history events and server actions.

``apply_commands`` writes one event per command right after ``WorkflowTaskCompleted`` (each
naming that event as ``workflow_task_completed_event_id``), in the order given, and starts what
the command asks for: an activity, a timer, a child run, a signal or cancel request to another
run, the next run of a continue-as-new, the close of this run. Effects that concern other runs
(a child started, a signal delivered) happen after this task's events are written, as they do on
a server, where they are separate transfer tasks.

A protocol-message command (an update's acceptance or response) is handed to the caller's
``on_protocol_message``, which writes the update's event at that place among the others. A command
the in-memory server does not model (Nexus operations) fails the call with a message that names
it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message

from tempyral.api.command.v1.message_pb2 import Command
from tempyral.api.common.v1.message_pb2 import WorkflowExecution, WorkflowType
from tempyral.api.enums.v1 import command_type_pb2 as ct
from tempyral.api.enums.v1 import failed_cause_pb2 as fc
from tempyral.api.enums.v1 import workflow_pb2 as wf
from tempyral.api.history.v1 import message_pb2 as h
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing._memory_server_activities import ActivityBook
from tempyral.testing._memory_server_execution import Execution
from tempyral.testing._memory_server_state import RunStart, ServerState

__all__ = ["CLOSING_COMMANDS", "apply_commands", "unsupported_command"]

CLOSING_COMMANDS = frozenset(
    {
        ct.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    }
)

_SUPPORTED = frozenset(
    {
        *CLOSING_COMMANDS,
        ct.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        ct.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
        ct.COMMAND_TYPE_START_TIMER,
        ct.COMMAND_TYPE_CANCEL_TIMER,
        ct.COMMAND_TYPE_RECORD_MARKER,
        ct.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        ct.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        ct.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
        ct.COMMAND_TYPE_PROTOCOL_MESSAGE,
    }
)

After = Callable[[], None]


def unsupported_command(commands: list[Command]) -> RPCError | None:
    for command in commands:
        if command.command_type not in _SUPPORTED:
            name = ct.CommandType.Name(command.command_type)
            return RPCError(
                f"the in-process test environment does not support the workflow command {name}; "
                "run this test on a real server (--tempyral-env=local or "
                "WorkflowEnvironment.start_local())",
                RPCStatusCode.UNIMPLEMENTED,
                b"",
            )
    return None


@dataclass
class _Task:
    """The completed workflow task whose commands are being applied."""

    state: ServerState
    activities: ActivityBook
    run: Execution
    completed_id: int  # the WorkflowTaskCompleted event's id
    on_protocol_message: Callable[[str], None]
    after: list[After] = field(default_factory=list)


def apply_commands(
    state: ServerState,
    activities: ActivityBook,
    run: Execution,
    commands: list[Command],
    completed_id: int,
    on_protocol_message: Callable[[str], None],
) -> list[After]:
    """Write the commands' events; return what to do once the task's events are all written.

    ``on_protocol_message(message_id)`` answers a protocol-message command (updates)."""
    task = _Task(state, activities, run, completed_id, on_protocol_message)
    for command in commands:
        _apply(task, command)
    return task.after


def _apply(task: _Task, command: Command) -> None:
    handler = _HANDLERS.get(command.command_type)
    if handler is None:
        _close(task, command)
    else:
        handler(task, command)


def _schedule_activity_task(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    given = command.schedule_activity_task_command_attributes
    run_timeout = _run_timeout(run)
    ActivityBook.fill_defaults(given, run_timeout)
    attributes = h.ActivityTaskScheduledEventAttributes(
        activity_id=given.activity_id,
        activity_type=given.activity_type,
        task_queue=given.task_queue,
        header=given.header,
        input=given.input,
        schedule_to_close_timeout=given.schedule_to_close_timeout,
        schedule_to_start_timeout=given.schedule_to_start_timeout,
        start_to_close_timeout=given.start_to_close_timeout,
        heartbeat_timeout=given.heartbeat_timeout,
        workflow_task_completed_event_id=completed_id,
        retry_policy=given.retry_policy,
        use_workflow_build_id=given.use_workflow_build_id,
        priority=given.priority,
    )
    event = run.append(attributes)
    activities = task.activities  # not the task, whose ``after`` holds this lambda
    task.after.append(lambda: activities.schedule(run, event.event_id, given))


def _request_cancel_activity_task(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    scheduled_id = command.request_cancel_activity_task_command_attributes.scheduled_event_id
    cancel = h.ActivityTaskCancelRequestedEventAttributes(
        scheduled_event_id=scheduled_id, workflow_task_completed_event_id=completed_id
    )
    event = run.append(cancel)
    task.activities.request_cancel(run, scheduled_id, event.event_id)


def _cancel_timer(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    timer_id = command.cancel_timer_command_attributes.timer_id
    started_id, timer = run.timers.pop(timer_id, (0, None))
    if timer is not None:
        timer.cancel()
    canceled = h.TimerCanceledEventAttributes(
        timer_id=timer_id,
        started_event_id=started_id,
        workflow_task_completed_event_id=completed_id,
    )
    run.append(canceled)


def _record_marker(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    marker = command.record_marker_command_attributes
    recorded = h.MarkerRecordedEventAttributes(
        marker_name=marker.marker_name,
        header=marker.header,
        workflow_task_completed_event_id=completed_id,
    )
    for key, value in marker.details.items():
        recorded.details[key].CopyFrom(value)
    if marker.HasField("failure"):
        recorded.failure.CopyFrom(marker.failure)
    run.append(recorded)


def _upsert_workflow_search_attributes(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    upsert = h.UpsertWorkflowSearchAttributesEventAttributes(
        workflow_task_completed_event_id=completed_id,
        search_attributes=command.upsert_workflow_search_attributes_command_attributes.search_attributes,
    )
    run.append(upsert)


def _modify_workflow_properties(task: _Task, command: Command) -> None:
    run = task.run
    completed_id = task.completed_id
    modified = h.WorkflowPropertiesModifiedEventAttributes(
        workflow_task_completed_event_id=completed_id,
        upserted_memo=command.modify_workflow_properties_command_attributes.upserted_memo,
    )
    run.append(modified)


def _run_timeout(run: Execution) -> Any:
    started = run.events[0].workflow_execution_started_event_attributes
    if started.HasField("workflow_run_timeout") and started.workflow_run_timeout.ToTimedelta():
        return started.workflow_run_timeout.ToTimedelta()
    return None


def _start_timer(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    given = command.start_timer_command_attributes
    started = h.TimerStartedEventAttributes(
        timer_id=given.timer_id,
        start_to_fire_timeout=given.start_to_fire_timeout,
        workflow_task_completed_event_id=completed_id,
    )
    event = run.append(started)

    def fire() -> None:
        if run.timers.pop(given.timer_id, None) is None:
            return
        fired = h.TimerFiredEventAttributes(
            timer_id=given.timer_id, started_event_id=event.event_id
        )
        run.deliver(fired)

    run.timers[given.timer_id] = (
        event.event_id,
        state.clock.call_later(given.start_to_fire_timeout.ToTimedelta(), fire),
    )


def _start_child(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    after = task.after
    given = command.start_child_workflow_execution_command_attributes
    namespace = given.namespace or run.namespace
    initiated = h.StartChildWorkflowExecutionInitiatedEventAttributes(
        namespace=namespace,
        workflow_id=given.workflow_id,
        workflow_type=given.workflow_type,
        task_queue=given.task_queue,
        input=given.input,
        workflow_execution_timeout=given.workflow_execution_timeout,
        workflow_run_timeout=given.workflow_run_timeout,
        workflow_task_timeout=given.workflow_task_timeout,
        parent_close_policy=given.parent_close_policy,
        control=given.control,
        workflow_task_completed_event_id=completed_id,
        workflow_id_reuse_policy=given.workflow_id_reuse_policy,
        retry_policy=given.retry_policy,
        cron_schedule=given.cron_schedule,
        header=given.header,
        memo=given.memo,
        search_attributes=given.search_attributes,
        priority=given.priority,
    )
    initiated_id = run.append(initiated).event_id

    def start() -> None:
        existing = state.latest.get((namespace, given.workflow_id))
        if (existing is not None and existing.running) or namespace != state.namespace:
            failed = h.StartChildWorkflowExecutionFailedEventAttributes(
                namespace=namespace,
                workflow_id=given.workflow_id,
                workflow_type=given.workflow_type,
                cause=fc.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
                if namespace == state.namespace
                else fc.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND,
                control=given.control,
                initiated_event_id=initiated_id,
                workflow_task_completed_event_id=completed_id,
            )
            run.deliver(failed)
            return
        parent_started = run.events[0].workflow_execution_started_event_attributes
        attributes = h.WorkflowExecutionStartedEventAttributes(
            workflow_type=given.workflow_type,
            parent_workflow_namespace=run.namespace,
            parent_workflow_execution=run.execution,
            parent_initiated_event_id=initiated_id,
            task_queue=given.task_queue,
            input=given.input,
            workflow_execution_timeout=given.workflow_execution_timeout,
            workflow_run_timeout=given.workflow_run_timeout,
            workflow_task_timeout=given.workflow_task_timeout,
            retry_policy=given.retry_policy,
            header=given.header,
            memo=given.memo,
            search_attributes=given.search_attributes,
            priority=given.priority,
        )
        attributes.root_workflow_execution.CopyFrom(
            parent_started.root_workflow_execution
            if parent_started.HasField("root_workflow_execution")
            else run.execution
        )
        child = state.start_run(
            RunStart(namespace, given.workflow_id, attributes, parent=(run, initiated_id))
        )
        child.extra["parent_close_policy"] = given.parent_close_policy
        run.extra.setdefault("children", []).append(child)
        started = h.ChildWorkflowExecutionStartedEventAttributes(
            namespace=namespace,
            initiated_event_id=initiated_id,
            workflow_execution=child.execution,
            workflow_type=given.workflow_type,
            header=given.header,
        )

        def started_event(event_id: int) -> Message:
            child.extra["child_started_event_id"] = event_id
            return started

        run.deliver(started_event)

    after.append(start)


def _signal_external(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    after = task.after
    given = command.signal_external_workflow_execution_command_attributes
    namespace = given.namespace or run.namespace
    initiated = h.SignalExternalWorkflowExecutionInitiatedEventAttributes(
        workflow_task_completed_event_id=completed_id,
        namespace=namespace,
        workflow_execution=given.execution,
        signal_name=given.signal_name,
        input=given.input,
        control=given.control,
        child_workflow_only=given.child_workflow_only,
        header=given.header,
    )
    initiated_id = run.append(initiated).event_id

    def deliver() -> None:
        target = _open_target(state, namespace, given.execution)
        if target is None:
            failed = h.SignalExternalWorkflowExecutionFailedEventAttributes(
                cause=fc.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflow_task_completed_event_id=completed_id,
                namespace=namespace,
                workflow_execution=given.execution,
                initiated_event_id=initiated_id,
                control=given.control,
            )
            run.deliver(failed)
            return
        signaled = h.WorkflowExecutionSignaledEventAttributes(
            signal_name=given.signal_name,
            input=given.input,
            header=given.header,
            external_workflow_execution=run.execution,
            request_id=str(uuid.uuid4()),
        )
        target.deliver(signaled)
        done = h.ExternalWorkflowExecutionSignaledEventAttributes(
            initiated_event_id=initiated_id,
            namespace=namespace,
            workflow_execution=target.execution,
            control=given.control,
        )
        run.deliver(done)

    after.append(deliver)


def _cancel_external(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    after = task.after
    given = command.request_cancel_external_workflow_execution_command_attributes
    namespace = given.namespace or run.namespace
    execution = WorkflowExecution(workflow_id=given.workflow_id, run_id=given.run_id)
    initiated = h.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(
        workflow_task_completed_event_id=completed_id,
        namespace=namespace,
        workflow_execution=execution,
        control=given.control,
        child_workflow_only=given.child_workflow_only,
        reason=given.reason,
    )
    initiated_id = run.append(initiated).event_id

    def deliver() -> None:
        target = _open_target(state, namespace, execution)
        if target is None:
            failed = h.RequestCancelExternalWorkflowExecutionFailedEventAttributes(
                cause=fc.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflow_task_completed_event_id=completed_id,
                namespace=namespace,
                workflow_execution=execution,
                initiated_event_id=initiated_id,
                control=given.control,
            )
            run.deliver(failed)
            return
        state.request_cancel(target, reason=given.reason, external=(initiated_id, run.execution))
        done = h.ExternalWorkflowExecutionCancelRequestedEventAttributes(
            initiated_event_id=initiated_id,
            namespace=namespace,
            workflow_execution=target.execution,
        )
        run.deliver(done)

    after.append(deliver)


def _open_target(
    state: ServerState, namespace: str, execution: WorkflowExecution
) -> Execution | None:
    if namespace != state.namespace:
        return None
    target = (
        state.runs.get(execution.run_id)
        if execution.run_id
        else state.latest.get((namespace, execution.workflow_id))
    )
    if target is None or target.workflow_id != execution.workflow_id or not target.running:
        return None
    return target


def _close(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    kind = command.command_type
    if kind == ct.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        completed = h.WorkflowExecutionCompletedEventAttributes(
            result=command.complete_workflow_execution_command_attributes.result,
            workflow_task_completed_event_id=completed_id,
        )
        state.close_run(run, wf.WORKFLOW_EXECUTION_STATUS_COMPLETED, completed)
    elif kind == ct.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        failed = h.WorkflowExecutionFailedEventAttributes(
            failure=command.fail_workflow_execution_command_attributes.failure,
            retry_state=wf.RETRY_STATE_RETRY_POLICY_NOT_SET,
            workflow_task_completed_event_id=completed_id,
        )
        state.close_run(run, wf.WORKFLOW_EXECUTION_STATUS_FAILED, failed)
    elif kind == ct.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        canceled = h.WorkflowExecutionCanceledEventAttributes(
            workflow_task_completed_event_id=completed_id,
            details=command.cancel_workflow_execution_command_attributes.details,
        )
        state.close_run(run, wf.WORKFLOW_EXECUTION_STATUS_CANCELED, canceled)
    else:
        _continue_as_new(task, command)


def _continue_as_new(task: _Task, command: Command) -> None:
    state, run, completed_id = task.state, task.run, task.completed_id
    given = command.continue_as_new_workflow_execution_command_attributes
    previous = run.events[0].workflow_execution_started_event_attributes
    workflow_type = (
        given.workflow_type
        if given.workflow_type.name
        else WorkflowType(name=run.workflow_type.name)
    )
    task_queue = given.task_queue if given.task_queue.name else previous.task_queue
    new_run_id = str(uuid.uuid4())
    continued = h.WorkflowExecutionContinuedAsNewEventAttributes(
        new_execution_run_id=new_run_id,
        workflow_type=workflow_type,
        task_queue=task_queue,
        input=given.input,
        workflow_run_timeout=given.workflow_run_timeout
        if given.HasField("workflow_run_timeout")
        else previous.workflow_run_timeout,
        workflow_task_timeout=given.workflow_task_timeout
        if given.HasField("workflow_task_timeout")
        else previous.workflow_task_timeout,
        workflow_task_completed_event_id=completed_id,
        backoff_start_interval=given.backoff_start_interval,
        initiator=given.initiator,
        header=given.header,
        memo=given.memo if given.HasField("memo") else previous.memo,
        search_attributes=given.search_attributes
        if given.HasField("search_attributes")
        else previous.search_attributes,
    )
    run.next_run_id = new_run_id
    state.close_run(run, wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, continued)
    attributes = h.WorkflowExecutionStartedEventAttributes(
        workflow_type=workflow_type,
        task_queue=task_queue,
        input=given.input,
        workflow_execution_timeout=previous.workflow_execution_timeout,
        workflow_run_timeout=continued.workflow_run_timeout,
        workflow_task_timeout=continued.workflow_task_timeout,
        continued_execution_run_id=run.run_id,
        initiator=given.initiator,
        first_execution_run_id=previous.first_execution_run_id,
        retry_policy=given.retry_policy
        if given.HasField("retry_policy")
        else previous.retry_policy,
        header=given.header,
        memo=continued.memo,
        search_attributes=continued.search_attributes,
    )
    if previous.HasField("parent_workflow_execution"):
        attributes.parent_workflow_namespace = previous.parent_workflow_namespace
        attributes.parent_workflow_execution.CopyFrom(previous.parent_workflow_execution)
        attributes.parent_initiated_event_id = previous.parent_initiated_event_id
    if previous.HasField("workflow_execution_expiration_time"):
        expiration = previous.workflow_execution_expiration_time
        attributes.workflow_execution_expiration_time.CopyFrom(expiration)
    if given.HasField("last_completion_result"):
        attributes.last_completion_result.CopyFrom(given.last_completion_result)
    delay = given.backoff_start_interval.ToTimedelta()
    new_run = state.start_run(
        RunStart(
            run.namespace,
            run.workflow_id,
            attributes,
            parent=run.parent,
            run_id=new_run_id,
            first_task_delay=delay,
        )
    )
    new_run.extra.update(
        {
            key: run.extra[key]
            for key in ("parent_close_policy", "child_started_event_id")
            if key in run.extra
        }
    )


def _protocol_message(task: _Task, command: Command) -> None:
    task.on_protocol_message(command.protocol_message_command_attributes.message_id)


_HANDLERS: dict[int, Callable[[_Task, Command], None]] = {
    ct.COMMAND_TYPE_PROTOCOL_MESSAGE: _protocol_message,
    ct.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: _schedule_activity_task,
    ct.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: _request_cancel_activity_task,
    ct.COMMAND_TYPE_START_TIMER: _start_timer,
    ct.COMMAND_TYPE_CANCEL_TIMER: _cancel_timer,
    ct.COMMAND_TYPE_RECORD_MARKER: _record_marker,
    ct.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _upsert_workflow_search_attributes,
    ct.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: _modify_workflow_properties,
    ct.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: _start_child,
    ct.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: _signal_external,
    ct.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: _cancel_external,
}
