"""At every workflow task of every golden history, tempyral, running the task as new, issues the
commands the official worker issued there: same types, same order, same key attributes (ids,
types, inputs, timeouts, results). This is what makes a run interchangeable between the SDKs."""

from __future__ import annotations

from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import Replayer, WorkflowHistory
from tempyral.replay._history import is_command_event
from tempyral.replay._machines._base import EVENT_FOR_COMMAND

from .conftest import golden_histories

HISTORIES = [(n, h) for n, h in golden_histories() if not n.endswith(".cli")]

# command attributes field -> (event attributes field, [(command path, event path)])
COMPARED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "schedule_activity_task_command_attributes": (
        "activity_task_scheduled_event_attributes",
        [
            (p, p)
            for p in (
                "activity_id",
                "activity_type.name",
                "task_queue.name",
                "input",
                "start_to_close_timeout",
                "heartbeat_timeout",
            )
        ],
    ),
    "start_timer_command_attributes": (
        "timer_started_event_attributes",
        [("timer_id", "timer_id"), ("start_to_fire_timeout",) * 2],
    ),
    "cancel_timer_command_attributes": (
        "timer_canceled_event_attributes",
        [("timer_id", "timer_id")],
    ),
    "start_child_workflow_execution_command_attributes": (
        "start_child_workflow_execution_initiated_event_attributes",
        [
            (p, p)
            for p in (
                "workflow_id",
                "workflow_type.name",
                "input",
                "parent_close_policy",
                "cron_schedule",
                "memo",
            )
        ],
    ),
    "signal_external_workflow_execution_command_attributes": (
        "signal_external_workflow_execution_initiated_event_attributes",
        [
            ("signal_name", "signal_name"),
            ("input", "input"),
            ("execution.workflow_id", "workflow_execution.workflow_id"),
        ],
    ),
    "request_cancel_external_workflow_execution_command_attributes": (
        "request_cancel_external_workflow_execution_initiated_event_attributes",
        [("workflow_id", "workflow_execution.workflow_id"), ("child_workflow_only",) * 2],
    ),
    "complete_workflow_execution_command_attributes": (
        "workflow_execution_completed_event_attributes",
        [("result", "result")],
    ),
    "fail_workflow_execution_command_attributes": (
        "workflow_execution_failed_event_attributes",
        [("failure.message", "failure.message")],
    ),
    "continue_as_new_workflow_execution_command_attributes": (
        "workflow_execution_continued_as_new_event_attributes",
        [("workflow_type.name", "workflow_type.name"), ("input", "input")],
    ),
}


def _get(message: Any, path: str) -> Any:
    for part in path.split("."):
        message = getattr(message, part)
    return message


def recorded_commands(
    events: list[history_pb2.HistoryEvent], start: int
) -> list[history_pb2.HistoryEvent]:
    found = []
    for event in events[start:]:
        if not is_command_event(event):
            break
        found.append(event)
    return found


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=[n for n, _ in HISTORIES])
def test_each_task_issues_the_recorded_commands(
    replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    events = history.events
    checked = 0
    for index, event in enumerate(events[:-1]):
        if not (
            event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
            and events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            continue
        instance = replayer.new_instance(history.workflow_id)
        completion = instance.activate(events[: index + 1])
        assert completion.failure is None
        recorded = recorded_commands(events, index + 2)
        produced = completion.commands
        assert [EVENT_FOR_COMMAND[c.command_type] for c in produced] == [
            e.event_type for e in recorded
        ], f"{name}: task ending at event {index + 1}"
        for command, recorded_event in zip(produced, recorded, strict=True):
            field = command.WhichOneof("attributes")
            assert field is not None
            if field not in COMPARED:
                continue
            event_field, paths = COMPARED[field]
            for command_path, event_path in paths:
                ours = _get(getattr(command, field), command_path)
                theirs = _get(getattr(recorded_event, event_field), event_path)
                assert ours == theirs, f"{name} event {recorded_event.event_id}: {command_path}"
        checked += 1
    assert checked
