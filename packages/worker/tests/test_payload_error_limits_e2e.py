"""The namespace's payload error limits on a tempyral worker against a dev server (2 MiB): a
workflow task whose result is over the limit fails with cause ``PAYLOADS_TOO_LARGE`` instead of
being sent, and an activity whose result or heartbeat details are over it fails with a
retryable ``PayloadsTooLarge`` application failure, as the official Core SDK does."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.failed_cause_pb2 import WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE
from tempyral.client import Client
from tempyral.common import RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

TOO_LARGE = 3 * 1024 * 1024  # over the dev server's 2 MiB blob error limit


@workflow.defn
class ReturnsTooMuch:
    @workflow.run
    async def run(self, size: int) -> str:
        return "x" * size


@activity.defn
async def big_result(size: int) -> str:
    return "x" * size


@activity.defn
async def big_heartbeat(size: int) -> str:
    activity.heartbeat("x" * size)
    await asyncio.sleep(10)  # cancelled when the heartbeat is refused
    return "never"


@workflow.defn
class CallsBigActivity:
    @workflow.run
    async def run(self, size: int, name: str = "big_result") -> list[str]:
        try:
            await workflow.execute_activity(
                name,
                size,
                start_to_close_timeout=timedelta(seconds=20),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            return [cause.type or "", str(cause.non_retryable), cause.message[:40]]
        return ["completed"]


async def test_a_workflow_task_over_the_limit_fails_with_its_cause(client: Client) -> None:
    task_queue = f"too-large-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[ReturnsTooMuch]):
        handle = await client.start_workflow(
            ReturnsTooMuch.run, TOO_LARGE, id=f"too-large-{uuid.uuid4()}", task_queue=task_queue
        )
        failed = None
        for _ in range(150):
            for event in (await handle.fetch_history()).events:
                if event.HasField("workflow_task_failed_event_attributes"):
                    failed = event.workflow_task_failed_event_attributes
            if failed is not None:
                break
            await asyncio.sleep(0.1)
        await handle.terminate()
    assert failed is not None
    assert failed.cause == WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE
    assert failed.failure.message.startswith("[TMPRL1103] Attempted to upload payloads")
    assert failed.failure.application_failure_info.type == "PayloadsTooLarge"


async def test_an_activity_result_over_the_limit_fails_the_attempt(client: Client) -> None:
    task_queue = f"too-large-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[CallsBigActivity], activities=[big_result]
    ):
        result = await client.execute_workflow(
            CallsBigActivity.run, TOO_LARGE, id=f"too-large-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == ["PayloadsTooLarge", "False", "[TMPRL1103] Attempted to upload payloads"]


async def test_an_activity_result_under_the_limit_completes(client: Client) -> None:
    task_queue = f"small-enough-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[CallsBigActivity], activities=[big_result]
    ):
        result = await client.execute_workflow(
            CallsBigActivity.run, 1024, id=f"small-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == ["completed"]


async def test_heartbeat_details_over_the_limit_fail_the_attempt(client: Client) -> None:
    task_queue = f"too-large-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[CallsBigActivity], activities=[big_heartbeat]
    ):
        result = await client.execute_workflow(
            CallsBigActivity.run,
            args=[TOO_LARGE, "big_heartbeat"],
            id=f"too-large-{uuid.uuid4()}",
            task_queue=task_queue,
        )
    assert result == ["PayloadsTooLarge", "False", "[TMPRL1103] Attempted to upload payloads"]
