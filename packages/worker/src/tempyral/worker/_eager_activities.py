"""Eager activities: the activities of a workflow task that this worker starts without a poll.

A completion asks the server to hand back, in its response, the activities it schedules on this
worker's task queue that this worker has registered and has a free slot for (up to
``max_eager_activity_reservations_per_workflow_task``); each such command is marked
``request_eager_execution`` and holds a slot from here. The response's activity tasks then go to
the activity worker on those slots; a slot the server handed nothing for is given back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempyral.api.enums.v1.command_type_pb2 import COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    RespondWorkflowTaskCompletedRequest,
    RespondWorkflowTaskCompletedResponse,
)
from tempyral.worker._slots import SlotPermit

if TYPE_CHECKING:
    from tempyral.worker._activity_worker import ActivityWorker

__all__ = ["dispatch_eager_activities", "reserve_eager_activities"]


def reserve_eager_activities(
    request: RespondWorkflowTaskCompletedRequest,
    worker: ActivityWorker | None,
    *,
    task_queue: str,
    limit: int,
) -> list[SlotPermit]:
    """Ask for eager execution of activities of ``task_queue`` that ``worker`` (None: eager
    execution is off) can start now; the slots reserved for them, in command order."""
    if worker is None:
        return []
    permits: list[SlotPermit] = []
    for command in request.commands:
        if len(permits) >= limit:
            break
        if command.command_type != COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
            continue
        attributes = command.schedule_activity_task_command_attributes
        if attributes.task_queue.name != task_queue:
            continue
        if worker.registry.find(attributes.activity_type.name) is None:
            continue
        permit = worker.try_reserve_eager_slot()
        if permit is None:
            break
        attributes.request_eager_execution = True
        permits.append(permit)
    return permits


def dispatch_eager_activities(
    response: RespondWorkflowTaskCompletedResponse,
    permits: list[SlotPermit],
    worker: ActivityWorker | None,
) -> None:
    """Start the activity tasks the server handed back on the reserved slots; give back the rest."""
    tasks = list(response.activity_tasks)
    for index, permit in enumerate(permits):
        if index < len(tasks) and worker is not None:
            worker.dispatch_eager(tasks[index], permit)
        else:
            permit.release()
