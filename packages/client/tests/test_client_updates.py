"""Workflow updates and update-with-start against the official SDK's worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tempyral.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from tempyral.common import WorkflowIDConflictPolicy
from tempyral.exceptions import ApplicationError, WorkflowAlreadyStartedError

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


class Interactive:
    """Stand-in for the official worker's workflow class, for typed update references."""

    async def run(self, initial: list[str]) -> list[str]:
        raise NotImplementedError

    async def add_and_count(self, item: str) -> int:
        raise NotImplementedError


async def start_interactive(client: Client, worker: OfficialWorker) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        "Interactive", [], id=new_id("update"), task_queue=worker.task_queue
    )


async def test_execute_update(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    assert await handle.execute_update("add_and_count", "a") == 1
    assert await handle.execute_update(Interactive.add_and_count, "b", id="my-update") == 2
    # The same update id again is the same update: its result, not a second one.
    assert await handle.execute_update("add_and_count", "b", id="my-update") == 2
    assert await handle.query("items") == ["a", "b"]
    assert await handle.execute_update("finish_update") == ["a", "b"]
    assert await handle.result() == ["a", "b"]


async def test_rejected_and_failed_updates(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await handle.execute_update("add_and_count", "")
    assert isinstance(rejected.value.cause, ApplicationError)
    assert "empty items are rejected" in rejected.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update("fail_update", "broken")
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "broken"
    assert cause.type == "UpdateFailed"
    assert cause.details == ({"why": "on purpose"},)
    assert await handle.query("items") == []
    await handle.terminate()


async def test_start_update_and_wait_for_its_result(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    update = await handle.start_update(
        "wait_for_release", "late", wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="waiting"
    )
    assert update.id == "waiting"
    assert update.workflow_id == handle.id
    assert update.workflow_run_id == handle.result_run_id
    # Still running: waiting for its result with a short poll deadline and cancelling the wait
    # are both reported as the call's problem, not the update's.
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
        await asyncio.wait_for(update.result(), timeout=1)
    await handle.signal("add", "release")
    assert await update.result() == 2
    again = handle.get_update_handle("waiting")
    assert await again.result() == 2
    typed = handle.get_update_handle_for(Interactive.add_and_count, "waiting")
    assert await typed.result() == 2
    completed = await handle.start_update(
        "add_and_count", "x", wait_for_stage=WorkflowUpdateStage.COMPLETED
    )
    assert await completed.result() == 3
    with pytest.raises(ValueError, match="ADMITTED"):
        await handle.start_update("add_and_count", "x", wait_for_stage=WorkflowUpdateStage.ADMITTED)
    await handle.terminate()


async def test_update_call_deadline(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
        await handle.execute_update(
            "wait_for_release", "never", rpc_timeout=timedelta(milliseconds=300)
        )
    await handle.terminate()


async def test_update_with_start(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    workflow_id = new_id("update-with-start")

    def operation(policy: WorkflowIDConflictPolicy) -> WithStartWorkflowOperation[Any, Any]:
        return WithStartWorkflowOperation(
            "Interactive",
            ["initial"],
            id=workflow_id,
            task_queue=official_worker.task_queue,
            id_conflict_policy=policy,
        )

    starting = operation(WorkflowIDConflictPolicy.USE_EXISTING)
    count = await tempyral_client.execute_update_with_start_workflow(
        "add_and_count", "first", start_workflow_operation=starting
    )
    # Delivered with the start, the update runs in the first workflow task, after @workflow.init
    # put the initial item in place.
    assert count == 2
    handle = await starting.workflow_handle()
    assert handle.id == workflow_id
    # Running: USE_EXISTING sends the update to the same run.
    existing = operation(WorkflowIDConflictPolicy.USE_EXISTING)
    update = await tempyral_client.start_update_with_start_workflow(
        Interactive.add_and_count,
        "second",
        start_workflow_operation=existing,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    assert await update.result() == 3
    assert (await existing.workflow_handle()).result_run_id == handle.result_run_id
    with pytest.raises(RuntimeError, match="cannot be reused"):
        await tempyral_client.execute_update_with_start_workflow(
            "add_and_count", "x", start_workflow_operation=existing
        )
    # Running and FAIL: the start fails, and so does the operation's handle.
    failing = operation(WorkflowIDConflictPolicy.FAIL)
    with pytest.raises(WorkflowAlreadyStartedError):
        await tempyral_client.execute_update_with_start_workflow(
            "add_and_count", "third", start_workflow_operation=failing
        )
    with pytest.raises(WorkflowAlreadyStartedError):
        await failing.workflow_handle()
    await handle.signal("finish")
    assert await handle.result() == ["initial", "first", "second"]


async def test_update_with_start_needs_a_conflict_policy() -> None:
    with pytest.raises(ValueError, match="WorkflowIDConflictPolicy is required"):
        WithStartWorkflowOperation(
            "Interactive",
            id="x",
            task_queue="tq",
            id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED,
        )
