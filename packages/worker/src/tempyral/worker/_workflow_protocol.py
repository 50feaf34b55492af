"""The workflow task protocol's messages: what the worker fetches and sends for a workflow task.

Kept apart from the task logic (``_workflow_task``) so that each message's fields are in one
place: the full history of a run (paged), sticky attributes, failures as the server wants them,
and query answers. Answers to protocol messages (update requests) come from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from tempyral.api.common.v1.message_pb2 import Payload, Payloads, WorkflowExecution
from tempyral.api.enums.v1.failed_cause_pb2 import (
    WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
    WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE,
    WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
    WorkflowTaskFailedCause,
)
from tempyral.api.enums.v1.query_pb2 import QUERY_RESULT_TYPE_ANSWERED, QUERY_RESULT_TYPE_FAILED
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_STICKY
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.query.v1.message_pb2 import WorkflowQueryResult
from tempyral.api.taskqueue.v1.message_pb2 import StickyExecutionAttributes, TaskQueue
from tempyral.api.update.v1.message_pb2 import Acceptance
from tempyral.api.workflowservice.v1.request_response_pb2 import GetWorkflowExecutionHistoryRequest
from tempyral.converter import DataConverter
from tempyral.replay import NondeterminismError
from tempyral.service import WorkflowService
from tempyral.worker._payload_errors import PayloadsTooLargeError
from tempyral.worker._workflow_activation import DeadlockError

__all__ = [
    "accepts_an_update",
    "failure_cause",
    "fetch_history",
    "query_answer",
    "query_failure",
    "sticky_attributes",
    "to_failure",
]


async def fetch_history(
    service: WorkflowService,
    *,
    namespace: str,
    execution: WorkflowExecution,
    first_page: Sequence[HistoryEvent] = (),
    next_page_token: bytes = b"",
    up_to_event_id: int = 0,
) -> list[HistoryEvent]:
    """A run's history from its first event, page by page.

    ``first_page`` and ``next_page_token`` are what a poll brought when it holds the history's
    beginning; otherwise the history is fetched from the start. Events after ``up_to_event_id``
    (when given) are left out: they belong to a later workflow task.
    """

    async def page(token: bytes) -> tuple[list[HistoryEvent], bytes]:
        response = await service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=namespace, execution=execution, next_page_token=token
            ),
            retry=True,
        )
        return list(response.history.events), response.next_page_token

    if first_page and first_page[0].event_id == 1:
        events, token = list(first_page), next_page_token
    else:
        events, token = await page(b"")
    while token:
        more, token = await page(token)
        events.extend(more)
    if up_to_event_id:
        events = [event for event in events if event.event_id <= up_to_event_id]
    return events


def accepts_an_update(messages: Sequence[Message]) -> bool:
    """Whether a task's answer accepts an update: the server then keeps the task in history,
    even when it was speculative (one that only rejects updates leaves no trace there)."""
    return any(m.body.Is(cast(Any, Acceptance.DESCRIPTOR)) for m in messages)


def sticky_attributes(
    sticky_queue: str, normal_queue: str, schedule_to_start: timedelta
) -> StickyExecutionAttributes:
    attributes = StickyExecutionAttributes(
        worker_task_queue=TaskQueue(
            name=sticky_queue, kind=TASK_QUEUE_KIND_STICKY, normal_name=normal_queue
        )
    )
    attributes.schedule_to_start_timeout.FromTimedelta(schedule_to_start)
    return attributes


def failure_cause(error: BaseException) -> WorkflowTaskFailedCause:
    if isinstance(error, NondeterminismError):
        return WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    if isinstance(error, PayloadsTooLargeError):
        return WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE
    return WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE


def to_failure(error: BaseException, converter: DataConverter) -> Failure:
    """The failure a task failure or a failed query reports: message, type and stack.

    A deadlock's stack is the stuck workflow code's, not the worker's.
    """
    failure = Failure()
    try:
        converter.failure_converter.to_failure(error, converter.payload_converter, failure)
    except Exception as err:  # a broken custom converter must not hide the original error
        failure = Failure(
            message=f"{type(error).__name__}: {error} (the failure converter failed: {err})",
            application_failure_info=ApplicationFailureInfo(type=type(error).__name__),
        )
    if isinstance(error, DeadlockError):
        failure.stack_trace = error.stack
    return failure


def query_answer(payload: Payload) -> WorkflowQueryResult:
    result = WorkflowQueryResult(result_type=QUERY_RESULT_TYPE_ANSWERED)
    result.answer.CopyFrom(Payloads(payloads=[payload]))
    return result


def query_failure(error: BaseException, converter: DataConverter) -> WorkflowQueryResult:
    return WorkflowQueryResult(
        result_type=QUERY_RESULT_TYPE_FAILED,
        error_message=str(error),
        failure=to_failure(error, converter),
    )
