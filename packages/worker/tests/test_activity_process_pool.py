"""``def`` activities in a process pool (``activity_executor=ProcessPoolExecutor``,
``shared_state_manager=SharedStateManager.create_from_multiprocessing(...)``): they run in
another process, their heartbeats reach the server through the worker, and a cancellation
requested by the workflow reaches them. The workflow runs on the official SDK's host worker."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.workflowservice.v1.request_response_pb2 import DescribeWorkflowExecutionRequest
from tempyral.converter import DataConverter
from tempyral.worker import SharedStateManager, Worker

pytestmark = pytest.mark.integration

# The activities are pickled by reference: their module must import by the same plain name in
# the pool's processes (which start with this process's sys.path) as here.
sys.path.insert(0, str(Path(__file__).parent))
from process_pool_activities import (  # noqa: E402
    add_in_process,
    heartbeat_until_cancelled,
    wait_for_worker_shutdown,
)

# A fresh interpreter per process: forking a process with live gRPC threads is not safe.
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[concurrent.futures.Executor, SharedStateManager]]:
    with (
        concurrent.futures.ProcessPoolExecutor(2, mp_context=SPAWN) as executor,
        SPAWN.Manager() as manager,
    ):
        yield executor, SharedStateManager.create_from_multiprocessing(manager)


async def _pending_heartbeat(client: Any, workflow_id: str) -> list[Any] | None:
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    if not described.pending_activities:
        return None
    details = described.pending_activities[0].heartbeat_details
    return await DataConverter.default.decode_wrapper(details) if details.payloads else None


async def test_a_process_pool_activity_returns_its_result(
    harness: Any, client: Any, task_queue: str, pool: Any
) -> None:
    executor, manager = pool
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[add_in_process],
        activity_executor=executor,
        shared_state_manager=manager,
    ):
        outcome = await harness.run_activity(
            {"activity": "add_in_process", "args": [2, 3], "task_queue": task_queue}
        )
    total, pid = outcome["result"]
    assert total == 5
    assert pid != os.getpid()


async def test_a_process_pool_activity_heartbeats_and_is_cancelled(
    harness: Any, client: Any, task_queue: str, pool: Any, tmp_path: Path
) -> None:
    report = tmp_path / "report.txt"
    executor, manager = pool
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[heartbeat_until_cancelled],
        activity_executor=executor,
        shared_state_manager=manager,
    ):
        workflow_id = await harness.start(
            "RunActivity",
            {
                "activity": "heartbeat_until_cancelled",
                "args": [str(report)],
                "task_queue": task_queue,
                "heartbeat_timeout_ms": 2000,
                "cancel_on_signal": True,
                "cancellation_type": "WAIT_CANCELLATION_COMPLETED",
            },
        )
        beats: list[Any] | None = None
        for _ in range(200):  # heartbeats cross from the pool's process to the server
            beats = await _pending_heartbeat(client, workflow_id)
            if beats and beats[1] >= 2:
                break
            await asyncio.sleep(0.1)
        assert beats is not None
        assert beats[0] != os.getpid()
        await harness.signal(workflow_id, "cancel_activity")
        outcome = await harness.result(workflow_id)
    assert outcome["error"]["cause"]["class"] == "CancelledError", outcome
    seen = report.read_text()  # the cancellation reached the activity in its process
    assert seen.startswith(f"cancelled in process {beats[0]} after ")
    assert int(seen.split()[-2]) >= beats[1]


async def test_a_process_pool_activity_sees_the_worker_shut_down(
    client: Any, task_queue: str, pool: Any, tmp_path: Path
) -> None:
    executor, manager = pool
    report = tmp_path / "report.txt"
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[wait_for_worker_shutdown],
        activity_executor=executor,
        shared_state_manager=manager,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    async with worker:
        handle = await client.start_activity(
            wait_for_worker_shutdown,
            str(report),
            id=f"shutdown-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        for _ in range(200):
            if report.exists():
                break
            await asyncio.sleep(0.1)
    # The worker waited for the attempt, which heard the shutdown in its own process.
    assert report.read_text().startswith("saw the worker shut down in process ")
    assert await handle.result() == "finished after shutdown"
