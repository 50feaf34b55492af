"""Activities run by a tempyral worker, scheduled by workflows on an official worker.

Covers async and sync activities, argument decoding by type hints, results the official side
decodes, ``activity.info()`` fields, dynamic activities, interceptors and the activity context
functions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tempyral import activity
from tempyral.common import RawValue
from tempyral.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

pytestmark = pytest.mark.integration


@dataclasses.dataclass
class Order:
    item: str
    quantity: int


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn(name="total-price")
async def total(order: Order, unit_price: float) -> dict[str, Any]:
    # The dataclass arrives as a dataclass: arguments are decoded by type hint.
    assert isinstance(order, Order)
    return {"item": order.item, "total": order.quantity * unit_price}


@activity.defn
def sync_greet(name: str) -> str:
    assert not activity.is_cancelled()
    return f"Hi {name} from {threading.current_thread().name}"


captured: dict[str, Any] = {}


@activity.defn
async def capture_info() -> str:
    captured["info"] = activity.info()
    captured["in_activity"] = activity.in_activity()
    captured["worker_shutdown"] = activity.is_worker_shutdown()
    captured["payload_converter"] = activity.payload_converter()
    captured["client"] = activity.client()
    captured["cancellation_details"] = activity.cancellation_details()
    return "ok"


@activity.defn
def sync_capture_info() -> str:
    captured["sync_info"] = activity.info()
    with pytest.raises(RuntimeError, match="only available in `async def`"):
        activity.client()
    return "ok"


@activity.defn(dynamic=True)
async def anything(args: Sequence[RawValue]) -> dict[str, Any]:
    values = [activity.payload_converter().from_payload(raw.payload) for raw in args]
    return {"type": activity.info().activity_type, "args": values}


async def test_async_and_sync_activities(harness: Any, client: Any, task_queue: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="act") as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            activities=[greet, total, sync_greet],
            activity_executor=executor,
        ):
            hello, priced, sync = await asyncio.gather(
                harness.run_activity(
                    {"activity": "greet", "args": ["tempyral"], "task_queue": task_queue}
                ),
                harness.run_activity(
                    {
                        "activity": "total-price",
                        "args": [{"item": "tea", "quantity": 3}, 2.5],
                        "task_queue": task_queue,
                    }
                ),
                harness.run_activity(
                    {"activity": "sync_greet", "args": ["sync"], "task_queue": task_queue}
                ),
            )
    assert hello == {"result": "Hello, tempyral!"}
    assert priced == {"result": {"item": "tea", "total": 7.5}}
    assert sync["result"].startswith("Hi sync from act")


async def test_info_fields(harness: Any, client: Any, task_queue: str) -> None:
    captured.clear()
    before = datetime.now(timezone.utc)
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            activities=[capture_info, sync_capture_info],
            activity_executor=executor,
        ):
            outcome = await harness.run_activity(
                {
                    "activity": "capture_info",
                    "task_queue": task_queue,
                    "activity_id": "info-activity",
                    "start_to_close_ms": 20_000,
                    "schedule_to_close_ms": 40_000,
                    "heartbeat_timeout_ms": 5_000,
                    "retry": {"initial_ms": 100, "backoff": 1.5, "max_attempts": 7},
                }
            )
            sync_outcome = await harness.run_activity(
                {"activity": "sync_capture_info", "task_queue": task_queue}
            )
    assert outcome == {"result": "ok"}
    assert sync_outcome == {"result": "ok"}
    info: activity.Info = captured["info"]
    assert info.activity_id == "info-activity"
    assert info.activity_type == "capture_info"
    assert info.attempt == 1
    assert info.heartbeat_details == []
    assert info.heartbeat_timeout == timedelta(seconds=5)
    assert info.start_to_close_timeout == timedelta(seconds=20)
    assert info.schedule_to_close_timeout == timedelta(seconds=40)
    assert info.is_local is False
    assert info.namespace == "default"
    assert info.task_queue == task_queue
    assert info.task_token
    assert info.workflow_type == "RunActivity"
    assert info.workflow_id is not None
    assert info.workflow_id.startswith("RunActivity-")
    assert info.workflow_run_id
    assert info.workflow_namespace == "default"
    assert info.in_workflow
    assert info.activity_run_id is None
    for moment in (info.scheduled_time, info.started_time, info.current_attempt_scheduled_time):
        assert moment.tzinfo is timezone.utc
        assert before - timedelta(seconds=5) < moment < datetime.now(timezone.utc)
    assert info.scheduled_time <= info.started_time
    assert info.retry_policy is not None
    assert info.retry_policy.maximum_attempts == 7
    assert info.retry_policy.initial_interval == timedelta(milliseconds=100)
    assert info.retry_policy.backoff_coefficient == 1.5
    assert info.priority.priority_key is None
    assert captured["in_activity"] is True
    assert captured["worker_shutdown"] is False
    assert captured["client"] is client
    assert captured["cancellation_details"] is None
    assert captured["payload_converter"].to_payload("x").data == b'"x"'
    assert captured["sync_info"].activity_type == "sync_capture_info"
    assert not activity.in_activity()
    with pytest.raises(RuntimeError, match="Not in activity context"):
        activity.info()


async def test_dynamic_activity_takes_unregistered_types(
    harness: Any, client: Any, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, activities=[greet, anything]):
        named = await harness.run_activity(
            {"activity": "greet", "args": ["named"], "task_queue": task_queue}
        )
        dynamic = await harness.run_activity(
            {"activity": "made-up-type", "args": [1, "two", [3]], "task_queue": task_queue}
        )
    assert named == {"result": "Hello, named!"}
    assert dynamic == {"result": {"type": "made-up-type", "args": [1, "two", [3]]}}


async def test_unregistered_activity_fails_with_not_found(
    harness: Any, client: Any, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, activities=[greet]):
        outcome = await harness.run_activity(
            {
                "activity": "missing",
                "task_queue": task_queue,
                "retry": {"max_attempts": 1},
            }
        )
    cause = outcome["error"]["cause"]
    assert cause["type"] == "NotFoundError"
    assert "Activity function missing for workflow" in cause["message"]
    assert "available activities: greet" in cause["message"]


calls: list[str] = []


class Recording(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _RecordingInbound(next)


class _RecordingInbound(ActivityInboundInterceptor):
    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        calls.append("init")
        super().init(_RecordingOutbound(outbound))

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        calls.append(f"execute {input.fn.__name__} {list(input.args)}")
        result = await super().execute_activity(input)
        return f"{result} (intercepted)"


class _RecordingOutbound(ActivityOutboundInterceptor):
    def info(self) -> activity.Info:
        calls.append("info")
        return super().info()

    def heartbeat(self, *details: Any) -> None:
        calls.append(f"heartbeat {list(details)}")
        super().heartbeat(*details)


@activity.defn
async def uses_outbound(name: str) -> str:
    activity.heartbeat("beat")
    return f"{activity.info().activity_type}:{name}"


async def test_interceptors_wrap_execution_info_and_heartbeat(
    harness: Any, client: Any, task_queue: str
) -> None:
    calls.clear()
    async with Worker(
        client, task_queue=task_queue, activities=[uses_outbound], interceptors=[Recording()]
    ):
        outcome = await harness.run_activity(
            {"activity": "uses_outbound", "args": ["x"], "task_queue": task_queue}
        )
    assert outcome == {"result": "uses_outbound:x (intercepted)"}
    assert calls == ["init", "execute uses_outbound ['x']", "heartbeat ['beat']", "info"]


class Store:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @activity.defn
    async def fetch(self, order: Order) -> str:
        assert isinstance(order, Order)
        return f"{self.prefix}:{order.item}"


@activity.defn(name="callable-doubler")
class Doubler:
    async def __call__(self, order: Order) -> int:
        assert isinstance(order, Order)
        return order.quantity * 2


async def test_methods_and_callable_instances(harness: Any, client: Any, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[Store("shop").fetch, Doubler()]):
        fetched, doubled = await asyncio.gather(
            harness.run_activity(
                {
                    "activity": "fetch",
                    "args": [{"item": "pen", "quantity": 2}],
                    "task_queue": task_queue,
                }
            ),
            harness.run_activity(
                {
                    "activity": "callable-doubler",
                    "args": [{"item": "pen", "quantity": 21}],
                    "task_queue": task_queue,
                }
            ),
        )
    assert fetched == {"result": "shop:pen"}
    assert doubled == {"result": 42}
