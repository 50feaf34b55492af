"""Workflows and activities of the workflow worker tests, runnable under both SDKs.

The tests run them on tempyral's worker in-process; ``scripts/workflow_worker.py`` runs them in a
worker process of either SDK (with ``--sdk official`` it aliases ``tempyral.workflow`` & co. to
the official ``temporalio`` modules before importing this file, as the replay package's golden
recorder does), so that a run started under one SDK can be finished under the other. Only the
import names differ: the migration promise in miniature.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta

from tempyral import activity, workflow
from tempyral.common import RawValue, RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError, ChildWorkflowError

SHORT = timedelta(seconds=10)
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0)


# -- activities ---------------------------------------------------------------------------------


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def fail_always(message: str) -> None:
    raise ApplicationError(message, non_retryable=True)


@activity.defn
async def flaky(succeed_on_attempt: int) -> str:
    attempt = activity.info().attempt
    if attempt < succeed_on_attempt:
        raise ApplicationError(f"attempt {attempt} failed")
    return f"succeeded on attempt {attempt}"


@activity.defn
async def wait_for_cancel() -> str:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.1)


@activity.defn
async def slow_index(delay_ms: int, index: int) -> int:
    await asyncio.sleep(delay_ms / 1000)
    return index


ACTIVITIES = [greet, fail_always, flaky, wait_for_cancel, slow_index]


# -- workflows ----------------------------------------------------------------------------------


@workflow.defn
class Activities:
    """Succeeding, failing (caught), retried, and cancelled activities."""

    @workflow.run
    async def run(self) -> list[str]:
        outcomes = [
            await workflow.execute_activity(greet, "tempyral", start_to_close_timeout=SHORT)
        ]
        try:
            await workflow.execute_activity(
                fail_always, "no luck", start_to_close_timeout=SHORT, retry_policy=FAST_RETRY
            )
        except ActivityError as err:
            outcomes.append(f"caught: {err.cause}")
        outcomes.append(
            await workflow.execute_activity(
                flaky, 3, start_to_close_timeout=SHORT, retry_policy=FAST_RETRY
            )
        )
        handle = workflow.start_activity(
            wait_for_cancel,
            start_to_close_timeout=SHORT,
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(0.3)
        handle.cancel()
        try:
            await handle
        except ActivityError as err:
            outcomes.append(f"cancelled: {type(err.cause).__name__}")
        return outcomes


@workflow.defn
class Timers:
    @workflow.run
    async def run(self) -> float:
        start = workflow.now()
        await workflow.sleep(0.3)
        await asyncio.sleep(0.2)
        long_sleep = asyncio.create_task(workflow.sleep(3600))
        await workflow.sleep(0.1)
        long_sleep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await long_sleep
        return (workflow.now() - start).total_seconds()


@workflow.defn
class Child:
    @workflow.run
    async def run(self, name: str, fail: bool) -> str:
        await workflow.sleep(0.05)
        if fail:
            raise ApplicationError(f"child {name} failed", non_retryable=True)
        return f"child {name} done"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self) -> list[str]:
        wid = workflow.info().workflow_id
        results = [
            await workflow.execute_child_workflow(Child.run, args=["a", False], id=f"{wid}-a")
        ]
        try:
            await workflow.execute_child_workflow(Child.run, args=["b", True], id=f"{wid}-b")
        except ChildWorkflowError as err:
            results.append(f"failed: {err.cause}")
        return results


@workflow.defn
class SignalTarget:
    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.signal
    def add(self, value: str) -> None:
        self.received.append(value)

    @workflow.query
    def seen(self) -> list[str]:
        return list(self.received)

    @workflow.query
    def broken(self) -> str:
        raise ValueError("this query always fails")

    @workflow.run
    async def run(self, expected: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.received) >= expected, timeout=3600)
        try:
            await workflow.wait_condition(lambda: False, timeout=0.1)
        except asyncio.TimeoutError:
            self.received.append("timeout")
        return self.received


@workflow.defn
class SignalSender:
    @workflow.run
    async def run(self, target_id: str) -> str:
        await workflow.get_external_workflow_handle(target_id).signal("add", "from-workflow")
        return "sent"


@workflow.defn
class Sleeper:
    """Waits to be cancelled; finishes its own way (used for external and client cancels)."""

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.sleep(3600)
        except asyncio.CancelledError:
            await workflow.execute_activity(greet, "cleanup", start_to_close_timeout=SHORT)
            raise
        return "not reached"


@workflow.defn
class ExternalCanceller:
    @workflow.run
    async def run(self, target_id: str) -> str:
        await workflow.get_external_workflow_handle(target_id).cancel()
        return "cancel requested"


@workflow.defn
class ContinueAsNew:
    @workflow.run
    async def run(self, count: int) -> int:
        await workflow.sleep(0.01)
        if count < 2:
            workflow.continue_as_new(count + 1)
        return count


@workflow.defn(name="KitchenSink")
class KitchenSink:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.lock = asyncio.Lock()
        self.event = asyncio.Event()
        self.log: list[str] = []

    @workflow.signal
    async def push(self, item: str) -> None:
        async with self.lock:
            await self.queue.put(item)
        self.event.set()

    @workflow.run
    async def run(self) -> list[str]:
        greetings = await asyncio.gather(
            *(workflow.execute_activity(greet, n, start_to_close_timeout=SHORT) for n in "xyz")
        )
        self.log.extend(greetings)
        tasks = [
            asyncio.ensure_future(workflow.sleep(0.2)),
            asyncio.ensure_future(
                workflow.execute_activity(greet, "w", start_to_close_timeout=SHORT)
            ),
        ]
        done, _ = await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        self.log.append(f"first done: {len(done)}")
        for next_done in workflow.as_completed(tasks):
            await next_done
        await self.event.wait()
        while not self.queue.empty():
            self.log.append(await self.queue.get())
        return self.log


@workflow.defn
class Fails:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(0.01)
        raise ApplicationError("workflow gave up", {"detail": 1}, non_retryable=True)


@workflow.defn
class DynamicSignals:
    def __init__(self) -> None:
        self.values: list[str] = []

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        self.values.append(f"{name}:{len(args)}")

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.values) >= 2)
        return self.values


@workflow.defn
class Handover:
    """Waits on one thing (``timer``, ``signal`` or ``activity``), then finishes: a run one SDK's
    worker starts and the other's finishes. The activity runs on ``activity_queue``, which nobody
    polls until the test says so."""

    def __init__(self) -> None:
        self.signalled = False

    @workflow.signal
    def go(self) -> None:
        self.signalled = True

    @workflow.run
    async def run(self, wait_on: str, activity_queue: str) -> list[str]:
        steps = [await workflow.execute_activity(greet, "before", start_to_close_timeout=SHORT)]
        if wait_on == "timer":
            await workflow.sleep(6)
        elif wait_on == "signal":
            await workflow.wait_condition(lambda: self.signalled)
        else:
            steps.append(
                await workflow.execute_activity(
                    greet, "late", task_queue=activity_queue, start_to_close_timeout=SHORT
                )
            )
        steps.append(await workflow.execute_activity(greet, "after", start_to_close_timeout=SHORT))
        steps.append(f"{wait_on} done at {workflow.info().attempt}")
        return steps


@workflow.defn
class Load:
    """A few activities one after another: the unit of the load and restart tests."""

    @workflow.run
    async def run(self, count: int, delay_ms: int) -> list[int]:
        return [
            await workflow.execute_activity(
                slow_index, args=[delay_ms, index], start_to_close_timeout=SHORT
            )
            for index in range(count)
        ]


@workflow.defn
class UpdateCounter:
    """An update that waits on a timer (long enough to kill its worker), and a finish signal."""

    def __init__(self) -> None:
        self.total = 0
        self.finished = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.finished and workflow.all_handlers_finished())
        return self.total

    @workflow.update
    async def slow_add(self, amount: int) -> int:
        await workflow.sleep(3)
        self.total += amount
        return self.total

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class LocalHandover:
    """Local activities and patches around a wait (``signal``, or ``timer``: a local retry
    backoff over the threshold, a timer in history), so one SDK's worker records markers the
    other replays: the worker before the wait records a patch, the one after it finds that patch
    in history (still taken) and records one of its own."""

    def __init__(self) -> None:
        self.signalled = False

    @workflow.signal
    def go(self) -> None:
        self.signalled = True

    @workflow.run
    async def run(self, wait_on: str) -> list[str]:
        steps = [
            await workflow.execute_local_activity(greet, "before", start_to_close_timeout=SHORT)
        ]
        if workflow.patched("handover-before-wait"):
            steps.append("patched before the wait")
        if wait_on == "signal":
            await workflow.wait_condition(lambda: self.signalled)
        else:
            # Attempt 1 fails; its 4 s backoff is over the 1 s threshold: a timer, then attempt 2.
            steps.append(
                await workflow.execute_local_activity(
                    flaky,
                    2,
                    start_to_close_timeout=SHORT,
                    local_retry_threshold=timedelta(seconds=1),
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=4)),
                )
            )
        if workflow.patched("handover-before-wait"):
            steps.append("still patched after the wait")
        if workflow.patched("handover-after-wait"):
            steps.append("patched after the wait")
        steps.append(
            await workflow.execute_local_activity(greet, "after", start_to_close_timeout=SHORT)
        )
        return steps


WORKFLOWS = [
    Activities,
    Timers,
    Child,
    Parent,
    SignalTarget,
    SignalSender,
    Sleeper,
    ExternalCanceller,
    ContinueAsNew,
    KitchenSink,
    Fails,
    DynamicSignals,
    Handover,
    Load,
    UpdateCounter,
    LocalHandover,
]
