"""What the in-memory server holds, and the operations every RPC and command shares.

``ServerState`` owns the runs (by run id, and the latest run per workflow id), the task queues,
the virtual clock and task tokens. It starts runs (client starts, children, continue-as-new) and
closes them: a closing run tells its parent (``ChildWorkflowExecution*`` events), applies its
children's parent-close policy, and wakes whoever waits on its history.

Idle (for time skipping) means: no workflow task scheduled or running, no activity queued or
running, no activity fake running.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message

from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.enums.v1 import workflow_pb2 as wf
from tempyral.api.history.v1 import message_pb2 as h
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import PollWorkflowTaskQueueResponse
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing._memory_server_clock import VirtualClock
from tempyral.testing._memory_server_execution import Execution, duration, timestamp
from tempyral.testing._memory_server_queues import TaskQueues

__all__ = ["QueryTask", "RunStart", "ServerState", "not_found"]

_CHILD_CLOSE_EVENTS: dict[int, Callable[..., Any]] = {
    wf.WORKFLOW_EXECUTION_STATUS_COMPLETED: h.ChildWorkflowExecutionCompletedEventAttributes,
    wf.WORKFLOW_EXECUTION_STATUS_FAILED: h.ChildWorkflowExecutionFailedEventAttributes,
    wf.WORKFLOW_EXECUTION_STATUS_CANCELED: h.ChildWorkflowExecutionCanceledEventAttributes,
    wf.WORKFLOW_EXECUTION_STATUS_TERMINATED: h.ChildWorkflowExecutionTerminatedEventAttributes,
    wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: h.ChildWorkflowExecutionTimedOutEventAttributes,
}


def not_found(what: str) -> RPCError:
    return RPCError(what, RPCStatusCode.NOT_FOUND, b"")


@dataclass
class QueryTask:
    """A query waiting for a worker (sent as a legacy query task on the workflow task queue)."""

    run: Execution
    request: Any  # WorkflowQuery
    answer: Any  # asyncio.Future of RespondQueryTaskCompletedRequest
    token: bytes = field(default_factory=lambda: uuid.uuid4().bytes)


@dataclass
class RunStart:
    """Everything a new run is started from (the fields of ``WorkflowExecutionStarted``)."""

    namespace: str
    workflow_id: str
    attributes: h.WorkflowExecutionStartedEventAttributes
    request_id: str = ""
    first_task_delay: timedelta = timedelta(0)
    signal: h.WorkflowExecutionSignaledEventAttributes | None = None
    parent: tuple[Execution, int] | None = None
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class ServerState:
    """Runs, queues, clock and tokens of one in-memory server."""

    def __init__(self, *, namespace: str, start_time: datetime | None) -> None:
        self.namespace = namespace
        self.clock = VirtualClock(start=start_time, is_idle=self.is_idle)
        self.runs: dict[str, Execution] = {}
        # The runs not closed yet: the clock asks is_idle() after every change, and a test that
        # ran many workflows must not pay for scanning the closed ones each time.
        self._open_runs: dict[str, Execution] = {}
        self.latest: dict[tuple[str, str], Execution] = {}
        self.workflow_queues: TaskQueues[Execution | QueryTask] = TaskQueues()
        self.busy_work = 0  # activities queued or running, fakes running
        self.on_close: list[Callable[[Execution], None]] = []
        self._task_ids = itertools.count(1_048_576)

    # -- lookups ------------------------------------------------------------------------------

    def run(self, namespace: str, execution: WorkflowExecution) -> Execution:
        """The run named (the latest one when the run id is empty), or NOT_FOUND."""
        if namespace != self.namespace:
            raise not_found(
                f"namespace {namespace!r} not found (the in-process server has only "
                f"{self.namespace!r})"
            )
        if execution.run_id:
            found = self.runs.get(execution.run_id)
            if found is not None and found.workflow_id == execution.workflow_id:
                return found
        else:
            latest = self.latest.get((namespace, execution.workflow_id))
            if latest is not None:
                return latest
        raise not_found(
            f"workflow execution not found: workflow id {execution.workflow_id!r}"
            + (f", run id {execution.run_id!r}" if execution.run_id else "")
        )

    def is_idle(self) -> bool:
        if self.busy_work:
            return False
        return not any(
            run.running and run.workflow_task is not None for run in self._open_runs.values()
        )

    def next_task_id(self) -> int:
        return next(self._task_ids)

    # -- starting -----------------------------------------------------------------------------

    def start_run(self, start: RunStart) -> Execution:
        attributes = start.attributes
        attributes.workflow_id = start.workflow_id
        attributes.original_execution_run_id = start.run_id
        if not attributes.first_execution_run_id:
            attributes.first_execution_run_id = start.run_id
        attributes.attempt = attributes.attempt or 1
        if not attributes.HasField("workflow_task_timeout"):
            attributes.workflow_task_timeout.CopyFrom(duration(timedelta(seconds=10)))
        if start.first_task_delay:
            attributes.first_workflow_task_backoff.CopyFrom(duration(start.first_task_delay))
        run = Execution(
            namespace=start.namespace,
            workflow_id=start.workflow_id,
            run_id=start.run_id,
            workflow_type=attributes.workflow_type.name,
            task_queue=attributes.task_queue.name,
            now=self.clock.now,
            next_task_id=self.next_task_id,
            enqueue=self._enqueue_workflow_task,
        )
        run.request_id = start.request_id
        run.parent = start.parent
        if attributes.HasField("workflow_execution_timeout") and not attributes.HasField(
            "workflow_execution_expiration_time"
        ):
            timeout = attributes.workflow_execution_timeout.ToTimedelta()
            if timeout:
                attributes.workflow_execution_expiration_time.CopyFrom(
                    timestamp(self.clock.now() + timeout)
                )
        self.runs[run.run_id] = run
        self._open_runs[run.run_id] = run
        self.latest[(start.namespace, start.workflow_id)] = run
        run.append(attributes)
        if start.signal is not None:
            run.append(start.signal)
        self._arm_run_timeouts(run, attributes)
        if start.first_task_delay:
            run.run_timers.append(
                self.clock.call_later(start.first_task_delay, lambda: self._first_task(run))
            )
        else:
            run.schedule_workflow_task()
        self.clock.poke()
        return run

    def _first_task(self, run: Execution) -> None:
        if run.running and run.workflow_task is None:
            run.schedule_workflow_task()

    def _arm_run_timeouts(
        self, run: Execution, attributes: h.WorkflowExecutionStartedEventAttributes
    ) -> None:
        deadlines = []
        if (
            attributes.HasField("workflow_run_timeout")
            and attributes.workflow_run_timeout.ToTimedelta()
        ):
            deadlines.append(self.clock.now() + attributes.workflow_run_timeout.ToTimedelta())
        expiration = attributes.workflow_execution_expiration_time
        if attributes.HasField("workflow_execution_expiration_time") and expiration.seconds:
            deadlines.append(
                attributes.workflow_execution_expiration_time.ToDatetime(
                    tzinfo=self.clock.now().tzinfo
                )
            )
        if deadlines:
            run.run_timers.append(self.clock.call_at(min(deadlines), lambda: self._time_out(run)))

    def _time_out(self, run: Execution) -> None:
        if run.running:
            attributes = h.WorkflowExecutionTimedOutEventAttributes(
                retry_state=wf.RETRY_STATE_TIMEOUT
            )
            self.close_run(
                run,
                wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
                attributes,
            )

    # -- workflow tasks -----------------------------------------------------------------------

    def _enqueue_workflow_task(self, run: Execution) -> None:
        task = run.workflow_task
        assert task is not None
        self.workflow_queues[task.queue].put(run)
        self.clock.poke()

    def hand_out(
        self, item: Execution | QueryTask, queue: str, identity: str
    ) -> PollWorkflowTaskQueueResponse | None:
        """The poll response for a queued item, or None when the item went stale."""
        if isinstance(item, QueryTask):
            if item.answer.done():
                return None
            run = item.run
            return PollWorkflowTaskQueueResponse(
                task_token=item.token,
                workflow_execution=run.execution,
                workflow_type=run.workflow_type,
                history=h.History(events=run.events),
                query=item.request,
                workflow_execution_task_queue=TaskQueue(name=run.task_queue),
            )
        task = item.workflow_task
        if not item.running or task is None or task.started or task.queue != queue:
            return None
        return item.start_workflow_task(identity, sticky=queue != item.task_queue)

    def move_sticky_tasks(self, sticky_queue: str) -> None:
        """A worker went away: its runs' tasks go to their normal queues, with full histories."""
        for run in self.runs.values():
            if run.sticky_queue == sticky_queue:
                run.sticky_queue = ""
                task = run.workflow_task
                if task is not None and not task.started:
                    task.queue = run.task_queue
                    self.workflow_queues[run.task_queue].put(run)
        for item in self.workflow_queues[sticky_queue].drain():
            if isinstance(item, QueryTask):
                self.workflow_queues[item.run.task_queue].put(item)

    # -- closing ------------------------------------------------------------------------------

    def close_run(self, run: Execution, status: wf.WorkflowExecutionStatus, spec: Message) -> None:
        run.close(status, spec)
        self._open_runs.pop(run.run_id, None)
        for hook in self.on_close:
            hook(run)
        self._tell_parent(run, status)
        self.clock.poke()

    def _tell_parent(self, run: Execution, status: wf.WorkflowExecutionStatus) -> None:
        if run.parent is None or status == wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
            return
        parent, initiated_event_id = run.parent
        close = run.events[-1]
        started_event_id = run.extra.get("child_started_event_id", 0)
        attributes: Any = _CHILD_CLOSE_EVENTS[status](
            namespace=run.namespace,
            workflow_execution=run.execution,
            workflow_type=run.workflow_type,
            initiated_event_id=initiated_event_id,
            started_event_id=started_event_id,
        )
        if status == wf.WORKFLOW_EXECUTION_STATUS_COMPLETED:
            attributes.result.CopyFrom(close.workflow_execution_completed_event_attributes.result)
        elif status == wf.WORKFLOW_EXECUTION_STATUS_FAILED:
            failed = close.workflow_execution_failed_event_attributes
            attributes.failure.CopyFrom(failed.failure)
            attributes.retry_state = failed.retry_state
        elif status == wf.WORKFLOW_EXECUTION_STATUS_CANCELED:
            attributes.details.CopyFrom(close.workflow_execution_canceled_event_attributes.details)
        elif status == wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
            attributes.retry_state = close.workflow_execution_timed_out_event_attributes.retry_state
        parent.deliver(attributes)

    def terminate(self, run: Execution, reason: str, identity: str = "") -> None:
        attributes = h.WorkflowExecutionTerminatedEventAttributes(reason=reason, identity=identity)
        self.close_run(
            run,
            wf.WORKFLOW_EXECUTION_STATUS_TERMINATED,
            attributes,
        )

    def request_cancel(
        self,
        run: Execution,
        *,
        reason: str,
        identity: str = "",
        external: tuple[int, WorkflowExecution] | None = None,
    ) -> None:
        attributes = h.WorkflowExecutionCancelRequestedEventAttributes(
            cause=reason, identity=identity
        )
        if external is not None:
            attributes.external_initiated_event_id = external[0]
            attributes.external_workflow_execution.CopyFrom(external[1])
        run.deliver(attributes)
