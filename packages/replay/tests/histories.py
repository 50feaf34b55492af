"""Tiny synthetic histories for unit tests: a started workflow and its first task."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import WorkflowHistory

E = EventType


def first_task(
    workflow_type: str, args: Sequence[Any] = (), *, run_id: str = "run-1"
) -> list[history_pb2.HistoryEvent]:
    """WorkflowExecutionStarted, WorkflowTaskScheduled, WorkflowTaskStarted."""
    started = history_pb2.HistoryEvent(
        event_id=1, event_type=E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    )
    started.event_time.FromSeconds(1_700_000_000)
    attrs = started.workflow_execution_started_event_attributes
    attrs.workflow_type.name = workflow_type
    attrs.task_queue.name = "tq"
    attrs.original_execution_run_id = attrs.first_execution_run_id = run_id
    attrs.workflow_task_timeout.FromSeconds(10)
    for value in args:
        payload = attrs.input.payloads.add()
        payload.metadata["encoding"] = b"json/plain"
        payload.data = json.dumps(value).encode()
    scheduled = history_pb2.HistoryEvent(
        event_id=2, event_type=E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
    )
    scheduled.event_time.FromSeconds(1_700_000_000)
    task_started = history_pb2.HistoryEvent(
        event_id=3, event_type=E.EVENT_TYPE_WORKFLOW_TASK_STARTED
    )
    task_started.event_time.FromSeconds(1_700_000_001)
    task_started.workflow_task_started_event_attributes.scheduled_event_id = 2
    return [started, scheduled, task_started]


def history(workflow_type: str, args: Sequence[Any] = ()) -> WorkflowHistory:
    return WorkflowHistory("wf-id", first_task(workflow_type, args))


class Builder:
    """Build a history event by event: ``b.started("Type", 1); b.task(); ...``."""

    def __init__(self) -> None:
        self.events: list[history_pb2.HistoryEvent] = []
        self.seconds = 1_700_000_000

    def add(self, kind: str, **attributes: Any) -> history_pb2.HistoryEvent:
        event = history_pb2.HistoryEvent(
            event_id=len(self.events) + 1, event_type=E.Value(f"EVENT_TYPE_{kind.upper()}")
        )
        self.seconds += 1
        event.event_time.FromSeconds(self.seconds)
        field = f"{kind.lower()}_event_attributes"
        target = getattr(event, field)
        target.SetInParent()
        for name, value in attributes.items():
            setattr(target, name, value)
        self.events.append(event)
        return event

    def started(self, workflow_type: str, *args: Any, run_id: str = "run-1") -> None:
        first = first_task(workflow_type, args, run_id=run_id)[0]
        first.event_id = 1
        self.events.append(first)
        self.task()

    def task(self) -> None:
        """WorkflowTaskScheduled, WorkflowTaskStarted: where the code runs next."""
        self.add("workflow_task_scheduled")
        self.add("workflow_task_started")

    def completed(self) -> None:
        """WorkflowTaskCompleted of the task before it (commands follow it)."""
        self.add("workflow_task_completed")

    def signal(self, name: str, *args: Any) -> None:
        event = self.add("workflow_execution_signaled", signal_name=name)
        for value in args:
            payload = event.workflow_execution_signaled_event_attributes.input.payloads.add()
            payload.metadata["encoding"] = b"json/plain"
            payload.data = json.dumps(value).encode()
