"""One workflow run on the in-memory server: its history and its workflow-task lifecycle.

The history is written as the official server writes it:

* every event gets the next id, the virtual time and a rising task id;
* an event that arrives while a workflow task is running (a signal, an activity result) is
  buffered and written after that task's ``WorkflowTaskCompleted`` and command events, then a new
  workflow task is scheduled; otherwise it is written at once and a task is scheduled if none is;
* a workflow task retried after a failure (attempt 2 and up) is transient: its scheduled and
  started events are sent to the worker but only written when it completes;
* a task completed with a closing command while events were buffered is failed with cause
  ``UNHANDLED_COMMAND`` and a new one scheduled, so the workflow sees those events first.

``Execution`` knows nothing about queues or commands: the server hands tasks out and applies
commands (``_memory_server_commands``), through the methods here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from google.protobuf.message import Message

from tempyral.api.common.v1.message_pb2 import WorkflowExecution, WorkflowType
from tempyral.api.dependencies.google.protobuf.duration_pb2 import Duration
from tempyral.api.dependencies.google.protobuf.timestamp_pb2 import Timestamp
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.failed_cause_pb2 import WorkflowTaskFailedCause
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_KIND_STICKY
from tempyral.api.enums.v1.workflow_pb2 import (
    WORKFLOW_EXECUTION_STATUS_RUNNING,
    WorkflowExecutionStatus,
)
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.history.v1.message_pb2 import (
    History,
    HistoryEvent,
    WorkflowTaskCompletedEventAttributes,
    WorkflowTaskFailedEventAttributes,
    WorkflowTaskScheduledEventAttributes,
    WorkflowTaskStartedEventAttributes,
)
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import PollWorkflowTaskQueueResponse

__all__ = ["EventSpec", "Execution", "WorkflowTask", "duration", "new_event", "timestamp"]

EventSpec = Message
"""The attributes of an event to write (``TimerFiredEventAttributes(...)``): they say its type."""

Builder = Callable[[int], EventSpec]
"""Makes an event once its id is known (for events that name the id of one written with them)."""


def _attribute_fields() -> dict[str, tuple[EventType, str]]:
    """Attributes message name -> (event type, HistoryEvent field), from the proto schema."""
    fields: dict[str, tuple[EventType, str]] = {}
    for attribute_field in HistoryEvent.DESCRIPTOR.oneofs_by_name["attributes"].fields:
        type_name = "EVENT_TYPE_" + attribute_field.name.removesuffix("_event_attributes").upper()
        message_type = attribute_field.message_type
        assert message_type is not None  # every attributes field is a message
        # EventType.Value is typed as a plain int; the name is one of EventType's by construction.
        fields[message_type.name] = (
            cast("EventType", EventType.Value(type_name)),
            attribute_field.name,
        )
    return fields


_ATTRIBUTE_FIELDS = _attribute_fields()


def new_event(event_id: int, when: datetime, task_id: int, attributes: EventSpec) -> HistoryEvent:
    """A history event carrying ``attributes`` (its type follows from theirs)."""
    event_type, attribute_field = _ATTRIBUTE_FIELDS[type(attributes).DESCRIPTOR.name]
    event = HistoryEvent(
        event_id=event_id, event_type=event_type, task_id=task_id, event_time=timestamp(when)
    )
    getattr(event, attribute_field).CopyFrom(attributes)
    return event


_WORKFLOW_TASK_TIMEOUT = timedelta(seconds=10)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def timestamp(moment: datetime) -> Timestamp:
    """``moment`` (naive: UTC) as a Timestamp; what ``Timestamp.FromDatetime`` gives, in a
    fraction of its time (every event and task carries one)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    since = moment - _EPOCH
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def duration(span: timedelta) -> Duration:
    value = Duration()
    value.FromTimedelta(span)
    return value


@dataclass
class WorkflowTask:
    """The run's current workflow task, scheduled or handed to a worker."""

    attempt: int
    queue: str
    scheduled_event_id: int
    scheduled_time: datetime
    token: bytes = field(default_factory=lambda: uuid.uuid4().bytes)
    started_event_id: int = 0
    transient: list[HistoryEvent] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.started_event_id > 0


class Execution:
    """A workflow run: history, status, and the state the server keeps beside the history."""

    def __init__(
        self,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        task_queue: str,
        now: Callable[[], datetime],
        next_task_id: Callable[[], int],
        enqueue: Callable[[Execution], None],
    ) -> None:
        self.namespace = namespace
        self.execution = WorkflowExecution(workflow_id=workflow_id, run_id=run_id)
        self.workflow_type = WorkflowType(name=workflow_type)
        self.task_queue = task_queue
        self.sticky_queue = ""
        self.status: WorkflowExecutionStatus = WORKFLOW_EXECUTION_STATUS_RUNNING
        self.events: list[HistoryEvent] = []
        self.workflow_task: WorkflowTask | None = None
        self.last_task_failure: Failure | None = None
        self.previous_started_event_id = 0
        self.start_time = now()
        self.close_time: datetime | None = None
        self.next_run_id = ""  # set when this run continued as new
        self.parent: tuple[Execution, int] | None = None  # parent run, initiated event id
        self.request_id = ""
        self.timers: dict[str, Any] = {}  # timer id -> (started event id, clock timer)
        self.run_timers: list[Any] = []  # run/execution timeouts
        self.extra: dict[str, Any] = {}  # what the server's other parts keep per run
        self._now = now
        self._next_task_id = next_task_id
        self._enqueue = enqueue
        self._buffer: list[Builder] = []
        self._completing = False
        self._needs_task = False
        self._watchers: list[asyncio.Future[None]] = []

    # -- identity -----------------------------------------------------------------------------

    @property
    def workflow_id(self) -> str:
        return self.execution.workflow_id

    @property
    def run_id(self) -> str:
        return self.execution.run_id

    @property
    def running(self) -> bool:
        return bool(self.status == WORKFLOW_EXECUTION_STATUS_RUNNING)

    def __repr__(self) -> str:
        return f"Execution({self.workflow_id!r}, run {self.run_id})"

    # -- writing events -----------------------------------------------------------------------

    def append(self, spec: EventSpec | Builder) -> HistoryEvent:
        """Write one event now."""
        event_id = len(self.events) + 1
        attributes = spec(event_id) if callable(spec) else spec
        event = new_event(event_id, self._now(), self._next_task_id(), attributes)
        self.events.append(event)
        self._notify()
        return event

    def deliver(self, *specs: EventSpec | Builder) -> None:
        """Events from outside the workflow task (signals, results): written, then a task."""
        if not self.running:
            return
        if self.workflow_task is not None and self.workflow_task.started:
            self._buffer.extend(_as_builder(spec) for spec in specs)
            return
        for spec in specs:
            self.append(spec)
        if self._completing:
            self._needs_task = True
        elif self.workflow_task is None:
            self.schedule_workflow_task()

    def want_workflow_task(self) -> None:
        """Something that is no event needs the workflow (an update): a task, if none is coming.

        A scheduled task will carry it; for a running one the server asks for the next task when
        that one completes."""
        if not self.running:
            return
        if self._completing:
            self._needs_task = True
        elif self.workflow_task is None:
            self.schedule_workflow_task()

    def has_buffered_events(self) -> bool:
        return bool(self._buffer)

    # -- the workflow task lifecycle ----------------------------------------------------------

    def schedule_workflow_task(self, attempt: int = 1) -> None:
        queue = self.sticky_queue or self.task_queue
        task = WorkflowTask(attempt, queue, 0, self._now())
        if attempt == 1:
            scheduled = self.append(self._scheduled_spec(attempt, queue))
            task.scheduled_event_id = scheduled.event_id
        self.workflow_task = task
        self._enqueue(self)

    def start_workflow_task(self, identity: str, *, sticky: bool) -> PollWorkflowTaskQueueResponse:
        """Hand the scheduled task to a worker: the poll response (full or sticky history)."""
        task = self.workflow_task
        if task is None or task.started:
            raise RuntimeError(f"{self}: no workflow task is waiting to be handed out")
        started_spec = self._started_spec(identity)
        if task.attempt == 1:
            task.started_event_id = self.append(started_spec(task.scheduled_event_id)).event_id
        else:
            task.scheduled_event_id = len(self.events) + 1
            task.started_event_id = task.scheduled_event_id + 1
            task.transient = [
                self._event(
                    task.scheduled_event_id, self._scheduled_spec(task.attempt, task.queue)
                ),
                self._event(task.started_event_id, started_spec(task.scheduled_event_id)),
            ]
        first = self.previous_started_event_id + 1 if sticky else 1
        history = [event for event in self.events if event.event_id >= first] + task.transient
        return PollWorkflowTaskQueueResponse(
            task_token=task.token,
            workflow_execution=self.execution,
            workflow_type=self.workflow_type,
            previous_started_event_id=self.previous_started_event_id,
            started_event_id=task.started_event_id,
            attempt=task.attempt,
            history=History(events=history),
            workflow_execution_task_queue=TaskQueue(name=self.task_queue),
            scheduled_time=timestamp(task.scheduled_time),
            started_time=timestamp(self._now()),
        )

    def begin_completion(self, attributes: WorkflowTaskCompletedEventAttributes) -> int:
        """Write ``WorkflowTaskCompleted``; command events follow. Returns its event id."""
        task = self._take_started_task()
        for event in task.transient:
            self.events.append(event)
        attributes.scheduled_event_id = task.scheduled_event_id
        attributes.started_event_id = task.started_event_id
        self.previous_started_event_id = task.started_event_id
        self.last_task_failure = None
        self._completing = True
        self._needs_task = False
        return self.append(attributes).event_id

    def end_completion(self, *, new_task: bool) -> None:
        """Write the buffered events, then schedule a task if anything needs one."""
        self._completing = False
        pending = self._flush_buffer()
        if self.running and (pending or new_task or self._needs_task):
            self.schedule_workflow_task()
        self._needs_task = False

    def fail_workflow_task(
        self,
        *,
        cause: WorkflowTaskFailedCause,
        failure: Failure | None,
        identity: str,
        retry_in: float | None,
    ) -> None:
        """Record a failed task (written for attempt 1 only, as the server does); retry it."""
        task = self._take_started_task()
        self.sticky_queue = ""  # the worker dropped the run: full histories from now on
        if failure is not None:
            self.last_task_failure = failure
        attempt = task.attempt + 1
        if task.attempt == 1 or self._buffer:
            for event in task.transient:
                self.events.append(event)
            attributes = WorkflowTaskFailedEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                cause=cause,
                identity=identity,
            )
            if failure is not None:
                attributes.failure.CopyFrom(failure)
            self.append(attributes)
        if self._flush_buffer():
            attempt = 1
        if not self.running:
            return
        if retry_in is None or attempt == 1:
            self.schedule_workflow_task(attempt)
        else:
            # A placeholder keeps the run busy (no time skipping) until the retry is queued.
            self.workflow_task = WorkflowTask(attempt, self.task_queue, 0, self._now())
            asyncio.get_running_loop().call_later(retry_in, self._retry_task, attempt)

    # -- closing and watching -----------------------------------------------------------------

    def close(self, status: WorkflowExecutionStatus, spec: EventSpec) -> HistoryEvent:
        """Write the closing event (buffered events first) and mark the run closed."""
        self._flush_buffer()
        event = self.append(spec)
        self.status = status
        self.close_time = self._now()
        self.workflow_task = None
        for _started_id, timer in self.timers.values():
            timer.cancel()
        for timer in self.run_timers:
            timer.cancel()
        self._notify()
        return event

    async def wait_for_change(self) -> None:
        """Return after the next event is written (or the run closes)."""
        watcher: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.append(watcher)
        try:
            await watcher
        finally:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    # -- internals ----------------------------------------------------------------------------

    def _retry_task(self, attempt: int) -> None:
        task = self.workflow_task
        if self.running and task is not None and not task.started and task.attempt == attempt:
            self.schedule_workflow_task(attempt)

    def _take_started_task(self) -> WorkflowTask:
        task = self.workflow_task
        if task is None or not task.started:
            raise RuntimeError(f"{self}: no workflow task is running")
        self.workflow_task = None
        return task

    def _flush_buffer(self) -> bool:
        buffered, self._buffer = self._buffer, []
        for builder in buffered:
            self.append(builder)
        return bool(buffered)

    def _scheduled_spec(self, attempt: int, queue: str) -> EventSpec:
        attributes = WorkflowTaskScheduledEventAttributes(
            task_queue=TaskQueue(
                name=queue,
                kind=TASK_QUEUE_KIND_STICKY if queue != self.task_queue else TASK_QUEUE_KIND_NORMAL,
            ),
            start_to_close_timeout=duration(_WORKFLOW_TASK_TIMEOUT),
            attempt=attempt,
        )
        if queue != self.task_queue:
            attributes.task_queue.normal_name = self.task_queue
        return attributes

    def _started_spec(self, identity: str) -> Callable[[int], EventSpec]:
        def spec(scheduled_event_id: int) -> EventSpec:
            size = sum(event.ByteSize() for event in self.events)
            attributes = WorkflowTaskStartedEventAttributes(
                scheduled_event_id=scheduled_event_id,
                identity=identity,
                request_id=str(uuid.uuid4()),
                history_size_bytes=size,
            )
            return attributes

        return spec

    def _event(self, event_id: int, spec: EventSpec) -> HistoryEvent:
        return new_event(event_id, self._now(), self._next_task_id(), spec)

    def _notify(self) -> None:
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            if not watcher.done():
                watcher.set_result(None)


def _as_builder(spec: EventSpec | Builder) -> Builder:
    if callable(spec):
        return spec
    return lambda _event_id: spec
