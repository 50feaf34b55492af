"""Retries: the policy (exact schedule, retryable codes, long polls) and a real server restart."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from loguru import logger

from tempyral.api.common.v1 import message_pb2 as common
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import (
    ConnectConfig,
    RetryConfig,
    RPCError,
    RPCStatusCode,
    ServiceClient,
)
from tempyral.service._retry import CallType, RetryPlan, call_type
from tempyral.testing import DevServer

NO_JITTER = 0.5  # rand() == 0.5 scales by exactly 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def error(status: RPCStatusCode, message: str = "boom") -> RPCError:
    return RPCError(message, status, b"")


def schedule(plan: RetryPlan, clock: FakeClock, status: RPCStatusCode, attempts: int) -> list:
    delays = []
    for attempt in range(1, attempts + 1):
        delay = plan.delay_after(attempt, error(status))
        delays.append(None if delay is None else round(delay, 4))
        if delay is None:
            break
        clock.now += delay
    return delays


# -- policy ------------------------------------------------------------------------------------


def test_default_schedule_grows_by_1_5_for_ten_attempts() -> None:
    clock = FakeClock()
    plan = RetryPlan(RetryConfig(), CallType.NORMAL, clock=clock, rand=lambda: NO_JITTER)
    delays = schedule(plan, clock, RPCStatusCode.UNAVAILABLE, 20)
    assert delays[:6] == [0.1, 0.15, 0.225, 0.3375, 0.5063, 0.7594]
    assert len(delays) == 10
    assert delays[-1] is None


def test_retrying_stops_before_the_elapsed_time_budget_is_crossed() -> None:
    clock = FakeClock()
    config = RetryConfig(max_retries=0, max_elapsed_time_millis=2000)  # only the budget limits
    plan = RetryPlan(config, CallType.NORMAL, clock=clock, rand=lambda: NO_JITTER)
    delays = schedule(plan, clock, RPCStatusCode.UNAVAILABLE, 100)
    # 0.1 + 0.15 + 0.225 + 0.3375 + 0.50625 = 1.31875 s; the next 0.759 s would end past 2 s.
    assert delays == [0.1, 0.15, 0.225, 0.3375, 0.5063, None]


def test_max_retries_counts_attempts() -> None:
    clock = FakeClock()
    config = RetryConfig(max_retries=3, max_elapsed_time_millis=None)
    plan = RetryPlan(config, CallType.NORMAL, clock=clock, rand=lambda: NO_JITTER)
    assert schedule(plan, clock, RPCStatusCode.UNAVAILABLE, 10) == [0.1, 0.15, None]


def test_delays_are_capped_at_max_interval() -> None:
    clock = FakeClock()
    config = RetryConfig(max_retries=0, max_elapsed_time_millis=None, max_interval_millis=500)
    plan = RetryPlan(config, CallType.NORMAL, clock=clock, rand=lambda: NO_JITTER)
    assert schedule(plan, clock, RPCStatusCode.UNAVAILABLE, 8)[-3:] == [0.5, 0.5, 0.5]


def test_jitter_stays_within_the_randomization_factor() -> None:
    for rand, expected in ((0.0, 0.08), (1.0, 0.12)):
        plan = RetryPlan(RetryConfig(), CallType.NORMAL, clock=FakeClock(), rand=lambda r=rand: r)
        assert plan.delay_after(1, error(RPCStatusCode.UNAVAILABLE)) == pytest.approx(expected)


@pytest.mark.parametrize(
    "status",
    [
        "DATA_LOSS",
        "INTERNAL",
        "UNKNOWN",
        "RESOURCE_EXHAUSTED",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNAVAILABLE",
    ],
)
def test_retryable_codes(status: str) -> None:
    plan = RetryPlan(RetryConfig(), CallType.NORMAL, clock=FakeClock())
    assert plan.delay_after(1, error(RPCStatusCode[status])) is not None


@pytest.mark.parametrize(
    "status",
    [
        "CANCELLED",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "FAILED_PRECONDITION",
        "UNIMPLEMENTED",
        "UNAUTHENTICATED",
    ],
)
def test_other_codes_are_final(status: str) -> None:
    plan = RetryPlan(RetryConfig(), CallType.NORMAL, clock=FakeClock())
    assert plan.delay_after(1, error(RPCStatusCode[status])) is None


def test_resource_exhausted_waits_for_the_slower_throttle_schedule() -> None:
    clock = FakeClock()
    plan = RetryPlan(
        RetryConfig(max_elapsed_time_millis=None, max_retries=0),
        CallType.NORMAL,
        clock=clock,
        rand=lambda: NO_JITTER,
    )
    assert schedule(plan, clock, RPCStatusCode.RESOURCE_EXHAUSTED, 3) == [1.0, 2.0, 4.0]


def test_message_too_large_is_not_retried() -> None:
    plan = RetryPlan(RetryConfig(), CallType.NORMAL, clock=FakeClock())
    too_large = error(
        RPCStatusCode.RESOURCE_EXHAUSTED, "grpc: received message larger than max (5 vs. 4)"
    )
    assert plan.delay_after(1, too_large) is None


def test_task_polls_retry_forever_and_through_timeouts() -> None:
    clock = FakeClock()
    plan = RetryPlan(RetryConfig(), CallType.TASK_LONG_POLL, clock=clock, rand=lambda: NO_JITTER)
    delays = schedule(plan, clock, RPCStatusCode.UNAVAILABLE, 50)
    assert delays[:4] == [0.2, 0.4, 0.8, 1.6]
    assert None not in delays
    assert delays[-1] == 10.0
    for status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        assert plan.delay_after(51, error(status)) is not None


def test_task_polls_tolerate_fatal_codes_for_a_minute() -> None:
    clock = FakeClock()
    plan = RetryPlan(RetryConfig(), CallType.TASK_LONG_POLL, clock=clock)
    assert plan.delay_after(1, error(RPCStatusCode.PERMISSION_DENIED)) == 10.0
    clock.now += 61
    assert plan.delay_after(2, error(RPCStatusCode.PERMISSION_DENIED)) is None


def test_long_poll_classification() -> None:
    assert call_type("PollWorkflowTaskQueue", wf.PollWorkflowTaskQueueRequest()) is (
        CallType.TASK_LONG_POLL
    )
    assert call_type("PollActivityTaskQueue", wf.PollActivityTaskQueueRequest()).is_long
    assert call_type("PollNexusTaskQueue", wf.PollNexusTaskQueueRequest()).is_long
    assert call_type("UpdateWorkflowExecution", wf.UpdateWorkflowExecutionRequest()) is (
        CallType.USER_LONG_POLL
    )
    waiting = wf.GetWorkflowExecutionHistoryRequest(wait_new_event=True)
    assert call_type("GetWorkflowExecutionHistory", waiting) is CallType.USER_LONG_POLL
    paging = wf.GetWorkflowExecutionHistoryRequest()
    assert call_type("GetWorkflowExecutionHistory", paging) is CallType.NORMAL
    assert CallType.NORMAL.default_timeout == 30
    assert CallType.USER_LONG_POLL.default_timeout == 70


# -- a server that goes away and comes back ------------------------------------------------------


@pytest.fixture
async def restartable_server(tmp_path: Path, unused_tcp_port: int) -> AsyncIterator[DevServer]:
    """A dev server on a fixed port whose state survives stop()/start()."""
    server = DevServer(db_filename=tmp_path / "temporal.db", port=unused_tcp_port)
    await server.start_async()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def log_records() -> Iterator[list[str]]:
    """Messages tempyral logs at DEBUG and above while the test runs (logging enabled)."""
    records: list[str] = []
    logger.enable("tempyral")
    sink = logger.add(lambda message: records.append(message.record["message"]), level="DEBUG")
    try:
        yield records
    finally:
        logger.remove(sink)
        logger.disable("tempyral")


async def test_calls_retry_until_a_restarted_server_is_back(
    restartable_server: DevServer, log_records: list[str]
) -> None:
    client = await ServiceClient.connect(ConnectConfig(target_host=restartable_server.target))
    workflow_id = f"survives-{uuid.uuid4()}"
    await client.workflow_service.start_workflow_execution(
        wf.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=common.WorkflowType(name="Anything"),
            task_queue=taskqueue.TaskQueue(name="tq"),
            request_id=str(uuid.uuid4()),
        )
    )
    restartable_server.stop()

    # Without retry the failure is immediate.
    with pytest.raises(RPCError) as caught:
        await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert caught.value.status == RPCStatusCode.UNAVAILABLE

    describe = wf.DescribeWorkflowExecutionRequest(
        namespace="default", execution=common.WorkflowExecution(workflow_id=workflow_id)
    )
    started = time.monotonic()
    call = asyncio.create_task(
        client.workflow_service.describe_workflow_execution(describe, retry=True)
    )
    await asyncio.sleep(1.5)
    assert not call.done(), "the call should still be retrying while the server is down"
    await restartable_server.start_async()
    described = await asyncio.wait_for(call, 30)
    assert described.workflow_execution_info.execution.workflow_id == workflow_id
    assert time.monotonic() - started >= 1.5
    retries = [m for m in log_records if "DescribeWorkflowExecution" in m and "retrying" in m]
    assert retries
    assert "UNAVAILABLE" in retries[0]


async def test_retries_give_up_after_the_elapsed_time_budget(restartable_server: DevServer) -> None:
    config = ConnectConfig(
        target_host=restartable_server.target,
        retry_config=RetryConfig(max_elapsed_time_millis=1000, max_retries=0),
    )
    client = await ServiceClient.connect(config)
    restartable_server.stop()
    started = time.monotonic()
    with pytest.raises(RPCError) as caught:
        # Without the budget (max_retries=0: no count limit) this would retry forever; the
        # wait_for turns that into a failure instead of a hang.
        await asyncio.wait_for(
            client.workflow_service.get_system_info(wf.GetSystemInfoRequest(), retry=True), 60
        )
    assert caught.value.status == RPCStatusCode.UNAVAILABLE
    # It retried for a while before giving up (a lower bound only: load can only lengthen it).
    assert time.monotonic() - started > 0.3


async def test_logging_is_silent_unless_enabled(unused_tcp_port: int) -> None:
    records: list[str] = []
    sink = logger.add(lambda message: records.append(message.record["message"]), level="DEBUG")
    try:
        client = await ServiceClient.connect(
            ConnectConfig(
                target_host=f"127.0.0.1:{unused_tcp_port}",
                lazy=True,
                retry_config=RetryConfig(max_retries=2),
            )
        )
        with pytest.raises(RPCError):
            await client.workflow_service.get_system_info(
                wf.GetSystemInfoRequest(), retry=True, timeout=timedelta(seconds=2)
            )
    finally:
        logger.remove(sink)
    assert records == []
