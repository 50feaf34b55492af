"""Worker lifecycle: run and shutdown, graceful shutdown of in-flight activities, slots, rate
limits, fatal errors, and what the worker's polls tell the server (identity, rate, versions)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import time
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity
from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.enums.v1.deployment_pb2 import (
    WORKER_VERSIONING_MODE_UNVERSIONED,
    WORKER_VERSIONING_MODE_VERSIONED,
)
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_TYPE_ACTIVITY
from tempyral.api.taskqueue.v1.message_pb2 import PollerInfo, TaskQueue
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeTaskQueueRequest,
    DescribeWorkflowExecutionRequest,
)
from tempyral.common import WorkerDeploymentVersion
from tempyral.worker import Worker, WorkerDeploymentConfig, load_default_build_id

pytestmark = pytest.mark.integration

state: dict[str, Any] = {}


@activity.defn
async def quick() -> str:
    return "quick"


async def test_run_and_shutdown_states(client: Any, task_queue: str, eventually: Any) -> None:
    worker = Worker(client, task_queue=task_queue, activities=[quick])
    assert not worker.is_running
    assert not worker.is_shutdown
    running = asyncio.create_task(worker.run())
    await eventually(lambda: worker.is_running)
    with pytest.raises(RuntimeError, match="Already started"):
        await worker.run()
    await worker.shutdown()
    await running
    assert worker.is_shutdown
    assert not worker.is_running
    await worker.shutdown()  # again: returns at once


async def test_cancelling_run_shuts_the_worker_down(
    client: Any, task_queue: str, eventually: Any
) -> None:
    worker = Worker(client, task_queue=task_queue, activities=[quick])
    running = asyncio.create_task(worker.run())
    await eventually(lambda: worker.is_running)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert worker.is_shutdown


@activity.defn
async def finishes_after_shutdown() -> str:
    state["started"].set()
    await activity.wait_for_worker_shutdown()
    assert activity.is_worker_shutdown()
    await asyncio.sleep(0.3)
    return "finished after shutdown began"


async def test_graceful_shutdown_lets_in_flight_activities_finish(
    harness: Any, client: Any, task_queue: str
) -> None:
    state["started"] = asyncio.Event()
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[finishes_after_shutdown],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    running = asyncio.create_task(worker.run())
    workflow_id = await harness.start(
        "RunActivity", {"activity": "finishes_after_shutdown", "task_queue": task_queue}
    )
    await asyncio.wait_for(state["started"].wait(), 20)
    began = time.monotonic()
    await worker.shutdown()
    assert time.monotonic() - began < 5
    await running
    assert await harness.result(workflow_id) == {"result": "finished after shutdown began"}


@activity.defn
async def ignores_shutdown() -> str:
    info = activity.info()
    if info.attempt > 1:
        return f"attempt {info.attempt} ran on another worker"
    state["started"].set()
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        state["details"] = activity.cancellation_details()
        raise
    return "never"


async def test_activities_past_the_grace_period_are_cancelled_and_retried(
    harness: Any, client: Any, task_queue: str
) -> None:
    state["started"] = asyncio.Event()
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[ignores_shutdown],
        graceful_shutdown_timeout=timedelta(milliseconds=300),
    )
    running = asyncio.create_task(worker.run())
    workflow_id = await harness.start(
        "RunActivity",
        {"activity": "ignores_shutdown", "task_queue": task_queue, "retry": {"initial_ms": 100}},
    )
    await asyncio.wait_for(state["started"].wait(), 20)
    await worker.shutdown()
    await running
    assert state["details"] == activity.ActivityCancellationDetails(worker_shutdown=True)
    # Reported as a retryable WorkerShutdown failure, so the server retries it at once.
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    [pending] = described.pending_activities
    assert pending.last_failure.application_failure_info.type == "WorkerShutdown"
    assert pending.attempt == 2
    async with Worker(client, task_queue=task_queue, activities=[ignores_shutdown]):
        outcome = await harness.result(workflow_id)
    assert outcome == {"result": "attempt 2 ran on another worker"}


@activity.defn
async def track_concurrency(index: int) -> int:
    state["current"] += 1
    state["peak"] = max(state["peak"], state["current"])
    state["starts"].append(time.monotonic())
    await asyncio.sleep(0.3)
    state["current"] -= 1
    return index


async def test_max_concurrent_activities_bounds_running_activities(
    harness: Any, client: Any, task_queue: str
) -> None:
    state.update(current=0, peak=0, starts=[])
    async with Worker(
        client, task_queue=task_queue, activities=[track_concurrency], max_concurrent_activities=2
    ):
        workflow_id = await harness.start(
            "RunMany",
            {
                "activity": "track_concurrency",
                "task_queue": task_queue,
                "count": 6,
                "parallel": True,
            },
        )
        assert await harness.result(workflow_id) == list(range(6))
    assert state["peak"] == 2


async def test_max_activities_per_second_spaces_activity_starts(
    harness: Any, client: Any, task_queue: str
) -> None:
    state.update(current=0, peak=0, starts=[])
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[track_concurrency],
        max_activities_per_second=4,
        max_concurrent_activity_task_polls=1,
    ):
        workflow_id = await harness.start(
            "RunMany",
            {
                "activity": "track_concurrency",
                "task_queue": task_queue,
                "count": 5,
                "parallel": True,
            },
        )
        assert await harness.result(workflow_id) == list(range(5))
    starts = sorted(state["starts"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # The poll open since the worker started may take the first task and the next poll goes out
    # at once (a burst of one, as in the core SDK's limiter); after that, polls are 0.25 s apart.
    assert sorted(gaps)[1] > 0.2, gaps
    assert starts[-1] - starts[0] > 0.7, gaps


async def activity_pollers(client: Any, task_queue: str) -> list[PollerInfo]:
    deadline = time.monotonic() + 10
    while True:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        if described.pollers or time.monotonic() > deadline:
            return list(described.pollers)
        await asyncio.sleep(0.1)


async def test_polls_carry_identity_rate_limit_and_build_id(client: Any, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[quick],
        identity="custom-identity",
        build_id="build-1234",
        max_task_queue_activities_per_second=7.5,
    ):
        [poller] = await activity_pollers(client, task_queue)
    assert poller.identity == "custom-identity"
    assert poller.rate_per_second == 7.5
    assert poller.worker_version_capabilities.build_id == "build-1234"
    assert not poller.worker_version_capabilities.use_versioning

    other_queue = f"{task_queue}-default-build"
    async with Worker(client, task_queue=other_queue, activities=[quick]):
        [poller] = await activity_pollers(client, other_queue)
    assert poller.identity == client.identity
    assert poller.worker_version_capabilities.build_id == load_default_build_id()


@pytest.mark.parametrize("versioned", [False, True])
async def test_polls_carry_the_deployment_version(
    client: Any, task_queue: str, versioned: bool
) -> None:
    version = WorkerDeploymentVersion(deployment_name=f"deploy-{versioned}", build_id="b-7")
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[quick],
        deployment_config=WorkerDeploymentConfig(version, use_worker_versioning=versioned),
    ):
        [poller] = await activity_pollers(client, task_queue)
    options = poller.deployment_options
    assert options.deployment_name == f"deploy-{versioned}"
    assert options.build_id == "b-7"
    expected = WORKER_VERSIONING_MODE_VERSIONED if versioned else WORKER_VERSIONING_MODE_UNVERSIONED
    assert options.worker_versioning_mode == expected


class BrokenPool(concurrent.futures.ThreadPoolExecutor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        raise concurrent.futures.thread.BrokenThreadPool("the pool is broken")


@activity.defn
def needs_the_pool() -> str:
    return "never runs"


async def test_broken_executor_is_fatal(harness: Any, client: Any, task_queue: str) -> None:
    fatal: list[BaseException] = []

    async def on_fatal_error(error: BaseException) -> None:
        fatal.append(error)

    with BrokenPool(1) as pool:
        worker = Worker(
            client,
            task_queue=task_queue,
            activities=[needs_the_pool],
            activity_executor=pool,
            max_concurrent_activities=1,
            on_fatal_error=on_fatal_error,
        )
        await harness.start(
            "RunActivity",
            {"activity": "needs_the_pool", "task_queue": task_queue, "retry": {"max_attempts": 1}},
        )
        with pytest.raises(RuntimeError, match="Activity worker failed") as raised:
            await asyncio.wait_for(worker.run(), 30)
    assert isinstance(raised.value.__cause__, concurrent.futures.thread.BrokenThreadPool)
    assert fatal == [raised.value]
    assert worker.is_shutdown
