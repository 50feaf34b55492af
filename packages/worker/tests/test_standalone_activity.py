"""Standalone activities: started by a client (no workflow), run by a tempyral worker.

Covers the result and failure seen by the caller, describe, list and count, cancel and
terminate, the id reuse and conflict policies, option updates, and an activity started by the
official client (in a subprocess) that a tempyral worker runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity
from tempyral.client import (
    ActivityExecutionDescription,
    ActivityExecutionStatus,
    ActivityFailureError,
    ActivityHandle,
    ActivityOptionsKeys,
    Client,
    DescribeActivityInput,
    Interceptor,
    OutboundInterceptor,
    PendingActivityState,
    StartActivityInput,
    TerminateActivityInput,
)
from tempyral.common import ActivityIDConflictPolicy, ActivityIDReusePolicy, RetryPolicy
from tempyral.exceptions import ActivityAlreadyStartedError, ApplicationError, CancelledError
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

MINUTE = timedelta(minutes=1)


@dataclasses.dataclass
class Order:
    item: str
    quantity: int


@activity.defn
async def price(order: Order) -> dict[str, Any]:
    info = activity.info()
    return {
        "total": order.quantity * 2,
        "in_workflow": info.in_workflow,
        "workflow_id": info.workflow_id,
        "activity_id": info.activity_id,
        "activity_run_id": info.activity_run_id,
    }


@activity.defn
async def refuse(reason: str) -> None:
    raise ApplicationError(f"refused: {reason}", type="Refused", non_retryable=True)


@activity.defn
async def wait_heartbeating() -> str:
    # Heartbeats carry the cancellation to the activity; it lets CancelledError out.
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.1)


@activity.defn
async def wait_forever() -> str:
    await asyncio.Event().wait()
    return "unreachable"


async def _eventually_equal(read: Any, expected: Any, timeout: float = 15.0) -> None:
    """Visibility is eventually consistent: poll ``read()`` until it returns ``expected``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if value == expected or asyncio.get_running_loop().time() > deadline:
            assert value == expected
            return
        await asyncio.sleep(0.2)


async def test_result_of_an_activity_run_by_a_tempyral_worker(
    client: Client, task_queue: str
) -> None:
    activity_id = f"price-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, activities=[price]):
        handle = await client.start_activity(
            price,
            Order("tea", 3),
            id=activity_id,
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
        )
        result = await handle.result()
    assert handle.id == activity_id
    assert handle.run_id
    assert result == {
        "total": 6,
        "in_workflow": False,
        "workflow_id": None,
        "activity_id": activity_id,
        "activity_run_id": handle.run_id,
    }
    # A second result call uses the kept outcome.
    assert await handle.result() == result
    # A handle got later, with a result type, reads the same outcome.
    again = client.get_activity_handle(activity_id, result_type=dict)
    assert (await again.result())["total"] == 6


async def test_execute_activity_by_name_and_describe(client: Client, task_queue: str) -> None:
    activity_id = f"price-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, activities=[price]):
        result = await client.execute_activity(
            "price",
            {"item": "milk", "quantity": 5},
            id=activity_id,
            task_queue=task_queue,
            schedule_to_close_timeout=MINUTE,
        )
    assert result["total"] == 10
    description = await client.get_activity_handle(activity_id).describe(
        include_input=True, include_outcome=True
    )
    assert description.activity_id == activity_id
    assert description.activity_type == "price"
    assert description.task_queue == task_queue
    assert description.status == ActivityExecutionStatus.COMPLETED
    assert description.attempt == 1
    assert description.schedule_to_close_timeout == MINUTE
    assert await description.input() == [{"item": "milk", "quantity": 5}]
    assert description.has_result()
    assert (await description.result())["total"] == 10
    assert not description.has_outcome_failure()


async def test_failure_surfaces_as_activity_failure_error(client: Client, task_queue: str) -> None:
    activity_id = f"refuse-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, activities=[refuse]):
        handle = await client.start_activity(
            refuse, "no stock", id=activity_id, task_queue=task_queue, start_to_close_timeout=MINUTE
        )
        with pytest.raises(ActivityFailureError) as caught:
            await handle.result()
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "Refused"
    assert cause.message == "refused: no stock"
    description = await handle.describe(include_outcome=True)
    assert description.status == ActivityExecutionStatus.FAILED
    failure = await description.outcome_failure()
    assert isinstance(failure, ApplicationError)
    assert failure.type == "Refused"


async def test_list_and_count(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[price]):
        ids = sorted(f"listed-{i}-{uuid.uuid4()}" for i in range(3))
        for activity_id in ids:
            await client.execute_activity(
                price,
                Order("x", 1),
                id=activity_id,
                task_queue=task_queue,
                start_to_close_timeout=MINUTE,
            )
    query = f"TaskQueue = '{task_queue}'"

    async def count() -> int:
        return (await client.count_activities(query)).count

    async def listed() -> list[str]:
        return sorted([a.activity_id async for a in client.list_activities(query, page_size=2)])

    await _eventually_equal(count, 3)
    await _eventually_equal(listed, ids)
    limited = [a async for a in client.list_activities(query, limit=2)]
    assert len(limited) == 2
    assert {a.status for a in limited} == {ActivityExecutionStatus.COMPLETED}
    assert {a.activity_type for a in limited} == {"price"}


async def test_cancel_a_heartbeating_activity(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[wait_heartbeating]):
        handle = await client.start_activity(
            wait_heartbeating,
            id=f"cancel-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
            heartbeat_timeout=timedelta(seconds=5),
        )
        await _eventually_equal(lambda: _status(handle.describe()), ActivityExecutionStatus.RUNNING)
        await handle.cancel(reason="no longer needed")
        with pytest.raises(ActivityFailureError) as caught:
            await asyncio.wait_for(handle.result(), 30)
    assert isinstance(caught.value.cause, CancelledError)
    description = await handle.describe()
    assert description.status == ActivityExecutionStatus.CANCELED
    assert description.canceled_reason == "no longer needed"


async def _status(describing: Any) -> ActivityExecutionStatus:
    return (await describing).status


async def test_terminate(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[wait_forever]):
        handle = await client.start_activity(
            wait_forever,
            id=f"terminate-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
            heartbeat_timeout=timedelta(seconds=2),
        )
        await handle.terminate(reason="stop it")
        with pytest.raises(ActivityFailureError):
            await asyncio.wait_for(handle.result(), 30)
        assert (await handle.describe()).status == ActivityExecutionStatus.TERMINATED


async def test_id_conflict_and_reuse_policies(client: Client, task_queue: str) -> None:
    activity_id = f"conflict-{uuid.uuid4()}"
    first = await client.start_activity(
        "not-polled", id=activity_id, task_queue=task_queue, start_to_close_timeout=MINUTE
    )
    # Running: the default conflict policy refuses a second start ...
    with pytest.raises(ActivityAlreadyStartedError) as caught:
        await client.start_activity(
            "not-polled", id=activity_id, task_queue=task_queue, start_to_close_timeout=MINUTE
        )
    assert caught.value.activity_id == activity_id
    assert caught.value.activity_type == "not-polled"
    assert caught.value.run_id == first.run_id
    # ... and USE_EXISTING hands back the running one.
    existing = await client.start_activity(
        "not-polled",
        id=activity_id,
        task_queue=task_queue,
        start_to_close_timeout=MINUTE,
        id_conflict_policy=ActivityIDConflictPolicy.USE_EXISTING,
    )
    assert existing.run_id == first.run_id
    await first.terminate()
    # Closed: REJECT_DUPLICATE refuses the id, ALLOW_DUPLICATE (the default) starts a new run.
    with pytest.raises(ActivityAlreadyStartedError):
        await client.start_activity(
            "not-polled",
            id=activity_id,
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
            id_reuse_policy=ActivityIDReusePolicy.REJECT_DUPLICATE,
        )
    second = await client.start_activity(
        "not-polled", id=activity_id, task_queue=task_queue, start_to_close_timeout=MINUTE
    )
    assert second.run_id != first.run_id
    await second.terminate()


async def test_start_needs_a_timeout(client: Client, task_queue: str) -> None:
    with pytest.raises(ValueError, match="start_to_close_timeout"):
        await client.start_activity("x", id=f"x-{uuid.uuid4()}", task_queue=task_queue)


async def test_a_negative_start_delay_is_refused_in_the_official_wording(
    client: Client, task_queue: str
) -> None:
    with pytest.raises(ValueError, match="start_delay must be non-negative") as caught:
        await client.start_activity(
            "x",
            id=f"x-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=timedelta(seconds=5),
            start_delay=timedelta(seconds=-1),
        )
    assert "days=-1" in str(caught.value)


async def test_update_and_restore_options(client: Client, task_queue: str) -> None:
    handle = await client.start_activity(
        "not-polled",
        id=f"options-{uuid.uuid4()}",
        task_queue=task_queue,
        start_to_close_timeout=MINUTE,
    )
    updated = await handle.update_options(
        [
            ActivityOptionsKeys.start_to_close_timeout.value_set(timedelta(minutes=3)),
            ActivityOptionsKeys.retry_policy.value_set(RetryPolicy(maximum_attempts=4)),
        ]
    )
    assert updated.start_to_close_timeout == timedelta(minutes=3)
    assert updated.retry_policy is not None
    assert updated.retry_policy.maximum_attempts == 4
    description = await handle.describe()
    assert description.start_to_close_timeout == timedelta(minutes=3)
    restored = await handle.restore_original_options()
    assert restored.start_to_close_timeout == MINUTE
    with pytest.raises(ValueError, match="more than one update"):
        await handle.update_options(
            [
                ActivityOptionsKeys.heartbeat_timeout.value_set(timedelta(seconds=1)),
                ActivityOptionsKeys.heartbeat_timeout.value_unset(),
            ]
        )
    await handle.terminate()


_OFFICIAL_STARTER = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from datetime import timedelta
    from temporalio.client import Client

    async def main() -> None:
        client = await Client.connect(sys.argv[1])
        handle = await client.start_activity(
            "price", {"item": "bread", "quantity": 4}, id=sys.argv[3], task_queue=sys.argv[2],
            start_to_close_timeout=timedelta(minutes=1),
        )
        print(json.dumps({"run_id": handle.run_id, "result": await handle.result()}), flush=True)

    asyncio.run(main())
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
    """
)


async def test_activity_started_by_the_official_client_runs_on_a_tempyral_worker(
    client: Client, task_queue: str, tempyral_target: str
) -> None:
    activity_id = f"official-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, activities=[price]):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _OFFICIAL_STARTER,
            tempyral_target,
            task_queue,
            activity_id,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    printed = json.loads(stdout)
    assert printed["result"]["total"] == 8
    assert printed["result"]["in_workflow"] is False
    assert printed["result"]["activity_run_id"] == printed["run_id"]
    # The official run is the one tempyral's handle sees.
    description = await client.get_activity_handle(activity_id).describe()
    assert description.activity_run_id == printed["run_id"]


async def test_pause_and_unpause(client: Client, task_queue: str) -> None:
    handle = await client.start_activity(
        "not-polled",
        id=f"pause-{uuid.uuid4()}",
        task_queue=task_queue,
        start_to_close_timeout=MINUTE,
    )
    await handle.pause(reason="maintenance")
    paused = await handle.describe()
    assert paused.status == ActivityExecutionStatus.PAUSED
    assert paused.run_state == PendingActivityState.PAUSED
    await handle.unpause(reason="done")
    resumed = await handle.describe()
    assert resumed.status == ActivityExecutionStatus.RUNNING
    assert resumed.run_state != PendingActivityState.PAUSED
    await handle.terminate()


class _Recorder(Interceptor):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _RecordingOutbound(next, self.calls)


class _RecordingOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, calls: list[str]) -> None:
        super().__init__(next)
        self.calls = calls

    async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        self.calls.append(f"start {input.activity_type} {input.id}")
        return await super().start_activity(input)

    async def describe_activity(self, input: DescribeActivityInput) -> ActivityExecutionDescription:
        self.calls.append(f"describe {input.activity_id}")
        return await super().describe_activity(input)

    async def terminate_activity(self, input: TerminateActivityInput) -> None:
        self.calls.append(f"terminate {input.activity_id} {input.reason}")
        await super().terminate_activity(input)


async def test_client_interceptors_see_standalone_activity_calls(
    client: Client, task_queue: str
) -> None:
    recorder = _Recorder()
    config = client.config()
    config["interceptors"] = [recorder]
    intercepted = Client(**config)
    activity_id = f"intercepted-{uuid.uuid4()}"
    handle = await intercepted.start_activity(
        "not-polled", id=activity_id, task_queue=task_queue, start_to_close_timeout=MINUTE
    )
    await handle.describe()
    await handle.terminate(reason="seen")
    assert recorder.calls == [
        f"start not-polled {activity_id}",
        f"describe {activity_id}",
        f"terminate {activity_id} seen",
    ]


class Shelf:
    def __init__(self, stock: int) -> None:
        self.stock = stock

    @activity.defn(name="shelf-take")
    async def take(self, count: int) -> int:
        self.stock -= count
        return self.stock


async def test_execute_activity_method_of_a_registered_instance(
    client: Client, task_queue: str
) -> None:
    shelf = Shelf(10)
    async with Worker(client, task_queue=task_queue, activities=[shelf.take]):
        left = await client.execute_activity_method(
            Shelf.take,
            3,
            id=f"shelf-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
        )
    assert left == 7
    assert shelf.stock == 7


async def undecorated(name: str) -> str:
    return name


async def test_an_undecorated_function_is_refused_before_any_call(
    client: Client, task_queue: str
) -> None:
    with pytest.raises(TypeError, match=r"@activity\.defn"):
        await client.start_activity(
            undecorated,
            "x",
            id=f"x-{uuid.uuid4()}",
            task_queue=task_queue,
            start_to_close_timeout=MINUTE,
        )
    with pytest.raises(ValueError, match="restore_original_options"):
        await client.get_activity_handle("any").update_options([])
