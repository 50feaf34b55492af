"""How workflows of the official SDK's worker end, as tempyral.client reports it.

Failures raised in official-SDK workflows arrive as tempyral exceptions with their details intact;
bad input fails before anything is sent, saying what could not be converted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from tempyral.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from tempyral.common import QueryRejectCondition
from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    RetryState,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


async def run_failing(
    client: Client, worker: OfficialWorker, kind: str, **kwargs: object
) -> BaseException:
    with pytest.raises(WorkflowFailureError) as raised:
        await client.execute_workflow(
            "Failing",
            kind,
            id=new_id(kind),
            task_queue=worker.task_queue,
            **kwargs,  # type: ignore[arg-type]
        )
    assert str(raised.value) == "Workflow execution failed"
    return raised.value.cause


async def test_application_error_keeps_type_details_and_retryability(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    cause = await run_failing(tempyral_client, official_worker, "application")
    assert isinstance(cause, ApplicationError)
    assert cause.message == "application failure"
    assert cause.type == "CustomType"
    assert cause.details == ({"detail": 1}, "two")
    assert cause.non_retryable is True
    assert cause.failure is not None
    assert "application failure" in str(cause)


async def test_activity_failure_arrives_as_a_cause_chain(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    cause = await run_failing(tempyral_client, official_worker, "activity")
    assert isinstance(cause, ActivityError)
    assert cause.activity_type == "failing_activity"
    assert cause.retry_state == RetryState.NON_RETRYABLE_FAILURE
    inner = cause.__cause__
    assert isinstance(inner, ApplicationError)
    assert inner.message == "activity failure"
    assert inner.type == "ActivityFailure"
    assert inner.details == ("activity detail",)
    assert inner.non_retryable is True


async def test_execution_timeout(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    cause = await run_failing(
        tempyral_client, official_worker, "wait", execution_timeout=timedelta(seconds=1)
    )
    assert isinstance(cause, TimeoutError)
    assert cause.type == TimeoutType.START_TO_CLOSE


async def test_cancellation(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    handle = await tempyral_client.start_workflow(
        "Failing", "wait", id=new_id("cancel"), task_queue=official_worker.task_queue
    )
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as raised:
        await handle.result()
    assert isinstance(raised.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED


async def test_termination_keeps_reason_and_details(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await tempyral_client.start_workflow(
        "Failing", "wait", id=new_id("terminate"), task_queue=official_worker.task_queue
    )
    await handle.terminate("detail", {"n": 2}, reason="enough")
    with pytest.raises(WorkflowFailureError) as raised:
        await handle.result()
    cause = raised.value.cause
    assert isinstance(cause, TerminatedError)
    assert cause.message == "enough"
    assert cause.details == ("detail", {"n": 2})
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED


async def test_query_failures_and_rejections(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await tempyral_client.start_workflow(
        "Interactive", ["x"], id=new_id("query"), task_queue=official_worker.task_queue
    )
    with pytest.raises(WorkflowQueryFailedError, match="query failed on purpose"):
        await handle.query("fail_query")
    with pytest.raises(WorkflowQueryFailedError, match="no_such_query"):
        await handle.query("no_such_query")
    await handle.signal("finish")
    await handle.result()
    # Closed workflows still answer queries, unless a reject condition says otherwise.
    assert await handle.query("items") == ["x"]
    with pytest.raises(WorkflowQueryRejectedError) as raised:
        await handle.query("items", reject_condition=QueryRejectCondition.NOT_OPEN)
    assert raised.value.status == WorkflowExecutionStatus.COMPLETED
    rejecting = Client(
        tempyral_client.service_client,
        default_workflow_query_reject_condition=QueryRejectCondition.NOT_OPEN,
    )
    with pytest.raises(WorkflowQueryRejectedError):
        await rejecting.get_workflow_handle(handle.id).query("items")


async def test_unknown_workflow(tempyral_client: Client) -> None:
    handle = tempyral_client.get_workflow_handle(new_id("missing"))
    with pytest.raises(RPCError) as raised:
        await handle.describe()
    assert raised.value.status == RPCStatusCode.NOT_FOUND
    with pytest.raises(RPCError) as raised:
        await handle.signal("add", "x")
    assert raised.value.status == RPCStatusCode.NOT_FOUND


class NotSerializable:
    pass


async def test_non_serializable_arguments_fail_before_sending(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    workflow_id = new_id("bad-input")
    with pytest.raises(
        TypeError, match=r"arguments of workflow 'Greeting'.*NotSerializable"
    ) as raised:
        await tempyral_client.start_workflow(
            "Greeting", NotSerializable(), id=workflow_id, task_queue=official_worker.task_queue
        )
    assert isinstance(raised.value.__cause__, TypeError)
    with pytest.raises(RPCError) as not_started:
        await tempyral_client.get_workflow_handle(workflow_id).describe()
    assert not_started.value.status == RPCStatusCode.NOT_FOUND

    handle = await tempyral_client.start_workflow(
        "Interactive", [], id=workflow_id, task_queue=official_worker.task_queue
    )
    with pytest.raises(TypeError, match="arguments of signal 'add'"):
        await handle.signal("add", NotSerializable())
    with pytest.raises(TypeError, match="arguments of query 'prefixed'"):
        await handle.query("prefixed", NotSerializable())
    with pytest.raises(TypeError, match="arguments of update 'add_and_count'"):
        await handle.execute_update("add_and_count", NotSerializable())
    with pytest.raises(TypeError, match="arguments of signal 'add'"):
        await tempyral_client.start_workflow(
            "Interactive",
            [],
            id=workflow_id,
            task_queue=official_worker.task_queue,
            start_signal="add",
            start_signal_args=[NotSerializable()],
        )
    await handle.terminate()


async def test_bad_workflow_references(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    async def not_a_method(name: str) -> str:
        return name

    with pytest.raises(ValueError, match="not a workflow method"):
        await tempyral_client.start_workflow(
            not_a_method, "x", id=new_id("bad"), task_queue=official_worker.task_queue
        )
    with pytest.raises(TypeError, match="string or callable"):
        await tempyral_client.start_workflow(
            42,
            id=new_id("bad"),
            task_queue=official_worker.task_queue,  # type: ignore[call-overload]
        )
