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
