"""The raw-gRPC floor of ``load.py``: a poll/respond loop with no SDK logic.

It serves the ``no_activity`` and ``one_activity`` workloads with the generated stubs alone: no
engine, no sticky queue, no payload conversion, no interceptors, the payloads passed through as
they came. What an SDK's worker costs above this loop is the SDK's own work. It counts its RPCs by
method, as the SDKs' ``temporal_request`` metrics do.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import grpc

from tempyral.api.command.v1 import (
    Command,
    CompleteWorkflowExecutionCommandAttributes,
    ScheduleActivityTaskCommandAttributes,
)
from tempyral.api.common.v1 import ActivityType, Payloads
from tempyral.api.enums.v1 import CommandType, EventType
from tempyral.api.taskqueue.v1 import TaskQueue
from tempyral.api.workflowservice.v1 import (
    PollActivityTaskQueueRequest,
    PollWorkflowTaskQueueRequest,
    RespondActivityTaskCompletedRequest,
    RespondWorkflowTaskCompletedRequest,
    WorkflowServiceStub,
)

IDENTITY = "load-floor"
POLLERS = 5  # the SDKs' default number of pollers per task queue kind
# The server refuses a call without a deadline: the SDKs' long-poll and call deadlines.
POLL_DEADLINE, CALL_DEADLINE = 70.0, 10.0


class Floor:
    def __init__(self, target: str, task_queue: str, scenario: str) -> None:
        if scenario not in ("no_activity", "one_activity"):
            raise ValueError(f"the floor serves no_activity and one_activity, not {scenario}")
        self.channel = grpc.aio.insecure_channel(target)
        self.stub: Any = WorkflowServiceStub(self.channel)
        self.task_queue = task_queue
        self.with_activity = scenario == "one_activity"
        self.rpcs: Counter[str] = Counter()

    async def run(self) -> None:
        loops = [self.workflow_loop() for _ in range(POLLERS)]
        if self.with_activity:
            loops += [self.activity_loop() for _ in range(POLLERS)]
        await asyncio.gather(*loops)

    async def workflow_loop(self) -> None:
        request = PollWorkflowTaskQueueRequest(
            namespace="default", task_queue=TaskQueue(name=self.task_queue), identity=IDENTITY
        )
        while True:
            self.rpcs["PollWorkflowTaskQueue"] += 1
            task = await self.stub.PollWorkflowTaskQueue(request, timeout=POLL_DEADLINE)
            if not task.task_token:
                continue
            self.rpcs["RespondWorkflowTaskCompleted"] += 1
            await self.stub.RespondWorkflowTaskCompleted(
                RespondWorkflowTaskCompletedRequest(
                    namespace="default",
                    task_token=task.task_token,
                    identity=IDENTITY,
                    commands=[self.next_command(task)],
                ),
                timeout=CALL_DEADLINE,
            )

    def next_command(self, task: Any) -> Command:
        started = task.history.events[0].workflow_execution_started_event_attributes
        result: Payloads = started.input
        for event in task.history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                result = event.activity_task_completed_event_attributes.result
                break
        else:
            if self.with_activity:
                return Command(
                    command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                    schedule_activity_task_command_attributes=ScheduleActivityTaskCommandAttributes(
                        activity_id="1",
                        activity_type=ActivityType(name="echo"),
                        task_queue=TaskQueue(name=self.task_queue),
                        input=started.input,
                        start_to_close_timeout=timedelta(seconds=60),
                    ),
                )
        return Command(
            command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(
                result=result
            ),
        )

    async def activity_loop(self) -> None:
        request = PollActivityTaskQueueRequest(
            namespace="default", task_queue=TaskQueue(name=self.task_queue), identity=IDENTITY
        )
        while True:
            self.rpcs["PollActivityTaskQueue"] += 1
            task = await self.stub.PollActivityTaskQueue(request, timeout=POLL_DEADLINE)
            if not task.task_token:
                continue
            self.rpcs["RespondActivityTaskCompleted"] += 1
            await self.stub.RespondActivityTaskCompleted(
                RespondActivityTaskCompletedRequest(
                    namespace="default",
                    task_token=task.task_token,
                    identity=IDENTITY,
                    result=task.input,
                ),
                timeout=CALL_DEADLINE,
            )
