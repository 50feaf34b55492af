"""Workflows whose histories are recorded under the official SDK and replayed by tempyral.

The same source runs under both SDKs: it imports ``tempyral.workflow`` & co., and the recording
script (``record.py``) aliases those names to the official ``temporalio`` modules before importing
this file. That is the migration promise in miniature: only the import names differ.

Activities are referred to by name: they run in the recording worker, never during replay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from tempyral import workflow
from tempyral.common import RawValue, RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError, ChildWorkflowError

SHORT = timedelta(seconds=10)


@workflow.defn
class ActivitySuccess:
    @workflow.run
    async def run(self, name: str) -> dict[str, Any]:
        greeting = await workflow.execute_activity(
            "greet", name, start_to_close_timeout=SHORT, summary="say hello"
        )
        # Values that must be identical under both SDKs (history time, seeded randomness).
        return {
            "greeting": greeting,
            "now": workflow.now().isoformat(),
            "random": workflow.random().randint(0, 1_000_000),
            "uuid": str(workflow.uuid4()),
            "replaying_logged": workflow.unsafe.is_replaying() in (True, False),
        }


@workflow.defn
class ActivityFailure:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                "fail_always",
                start_to_close_timeout=SHORT,
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            if not isinstance(err.cause, ApplicationError):
                raise
            return f"caught: {err.cause.message}"
        return "not reached"


@workflow.defn
class ActivityRetried:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_activity(
            "flaky",
            3,
            start_to_close_timeout=SHORT,
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100), maximum_attempts=5
            ),
        )
        return result


@workflow.defn
class ActivityTimeout:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                "slow",
                5.0,
                start_to_close_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            return f"timed out: {type(err.cause).__name__}"
        return "not reached"


@workflow.defn
class ActivityCancelled:
    @workflow.run
    async def run(self) -> list[str]:
        outcomes = []
        for cancellation_type in (
            workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            workflow.ActivityCancellationType.TRY_CANCEL,
        ):
            handle = workflow.start_activity(
                "wait_for_cancel",
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=2),
                cancellation_type=cancellation_type,
            )
            await workflow.sleep(1)
            handle.cancel()
            try:
                await handle
            except ActivityError as err:
                outcomes.append(f"{cancellation_type.name}: {type(err.cause).__name__}")
        # Cancelled before it was ever sent: no command reaches history, and awaiting the
        # handle raises asyncio's CancelledError (the handle's task never ran).
        never = workflow.start_activity("greet", "never", start_to_close_timeout=SHORT)
        never.cancel()
        try:
            await never
        except asyncio.CancelledError:
            outcomes.append("unsent: cancelled")
        return outcomes


@workflow.defn
class Timers:
    @workflow.run
    async def run(self) -> float:
        start = workflow.now()
        await workflow.sleep(1)
        await asyncio.sleep(0.5)
        # A timer started and cancelled: an asyncio task holding a long sleep.
        long_sleep = asyncio.create_task(workflow.sleep(3600))
        await workflow.sleep(0.2)
        long_sleep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await long_sleep
        # A timer cancelled in the same task it was created: never sent.
        quick = asyncio.create_task(asyncio.sleep(100))
        await asyncio.sleep(0)
        quick.cancel()
        return (workflow.now() - start).total_seconds()


@workflow.defn
class Child:
    @workflow.run
    async def run(self, name: str, fail: bool) -> str:
        await workflow.sleep(0.1)
        if fail:
            raise ApplicationError(f"child {name} failed", non_retryable=True)
        return f"child {name} done"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self) -> list[str]:
        wid = workflow.info().workflow_id
        results = [
            await workflow.execute_child_workflow(
                Child.run,
                args=["a", False],
                id=f"{wid}-child-a",
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                memo={"k": "v"},
            )
        ]
        try:
            await workflow.execute_child_workflow("Child", args=["b", True], id=f"{wid}-child-b")
        except ChildWorkflowError as err:
            results.append(f"failed: {err.cause}")
        handle = await workflow.start_child_workflow(
            Child.run, args=["c", False], id=f"{wid}-child-c"
        )
        results.append(await handle)
        return results


@workflow.defn
class SignalTarget:
    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.signal
    def add(self, value: str) -> None:
        self.received.append(value)

    @workflow.signal(name="finish")
    async def finish(self) -> None:
        await workflow.sleep(0.1)
        self.received.append("finish")

    @workflow.query
    def seen(self) -> list[str]:
        return list(self.received)

    @workflow.run
    async def run(self, expected: int) -> list[str]:
        # Signals arrive before the timeout: the timer is cancelled.
        await workflow.wait_condition(lambda: len(self.received) >= expected, timeout=3600)
        # This one times out: the timer fires.
        try:
            await workflow.wait_condition(lambda: False, timeout=0.2)
        except asyncio.TimeoutError:
            self.received.append("timeout")
        return self.received


@workflow.defn
class SignalSender:
    @workflow.run
    async def run(self, target_id: str) -> str:
        handle = workflow.get_external_workflow_handle(target_id)
        await handle.signal("add", "from-workflow")
        await handle.signal(SignalTarget.add, "typed")
        return "sent"


@workflow.defn
class CancelTarget:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.sleep(3600)
        except asyncio.CancelledError:
            return "cancelled, then completed"
        return "not reached"


@workflow.defn
class ExternalCanceller:
    @workflow.run
    async def run(self, target_id: str) -> str:
        await workflow.get_external_workflow_handle_for(CancelTarget.run, target_id).cancel()
        return "cancel requested"


@workflow.defn
class ContinueAsNew:
    @workflow.run
    async def run(self, count: int) -> int:
        await workflow.sleep(0.05)
        if count < 2:
            workflow.continue_as_new(count + 1)
        return count


@workflow.defn
class Cancellable:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity(
                "wait_for_cancel",
                start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=timedelta(seconds=2),
            )
        except ActivityError:
            await workflow.execute_activity("greet", "cleanup", start_to_close_timeout=SHORT)
            raise


@workflow.defn
class Failing:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(0.05)
        raise ApplicationError("workflow gave up", {"detail": 1}, non_retryable=True)


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
        names = ["x", "y", "z"]
        greetings = await asyncio.gather(
            *(workflow.execute_activity("greet", n, start_to_close_timeout=SHORT) for n in names)
        )
        self.log.extend(greetings)
        tasks = [
            asyncio.ensure_future(workflow.sleep(0.3)),
            asyncio.ensure_future(
                workflow.execute_activity("greet", "w", start_to_close_timeout=SHORT)
            ),
        ]
        done, pending = await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        self.log.append(f"first done: {len(done)}, pending: {len(pending)}")
        for next_done in workflow.as_completed(tasks):
            await next_done
        await self.event.wait()
        while not self.queue.empty():
            self.log.append(await self.queue.get())
        workflow.logger.info("kitchen sink finished with %d entries", len(self.log))
        return self.log


@workflow.defn
class Patient:
    """A child that waits to be cancelled, then finishes its own way."""

    @workflow.run
    async def run(self, complete_on_cancel: bool) -> str:
        try:
            await workflow.sleep(3600)
        except asyncio.CancelledError:
            if complete_on_cancel:
                return "completed after cancel"
            raise
        return "not reached"


@workflow.defn
class ChildCancelled:
    @workflow.run
    async def run(self) -> list[str]:
        wid = workflow.info().workflow_id
        outcomes = []
        for kind in (
            workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            workflow.ChildWorkflowCancellationType.TRY_CANCEL,
            workflow.ChildWorkflowCancellationType.ABANDON,
        ):
            handle = await workflow.start_child_workflow(
                Patient.run,
                kind == workflow.ChildWorkflowCancellationType.ABANDON,
                id=f"{wid}-{kind.name.lower()}",
                cancellation_type=kind,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            await workflow.sleep(0.2)
            handle.cancel()
            try:
                outcomes.append(await handle)
            except ChildWorkflowError as err:
                outcomes.append(f"{kind.name}: {type(err.cause).__name__}")
        return outcomes


@workflow.defn
class Failures:
    """Starting what cannot start: a child whose id is taken, a signal to nobody."""

    @workflow.run
    async def run(self) -> list[str]:
        outcomes = []
        try:
            await workflow.start_child_workflow(Patient.run, False, id=workflow.info().workflow_id)
        except Exception as err:  # WorkflowAlreadyStartedError
            outcomes.append(type(err).__name__)
        try:
            await workflow.get_external_workflow_handle("nobody-by-this-id").signal("add", "x")
        except Exception as err:
            outcomes.append(type(err).__name__)
        try:
            await workflow.get_external_workflow_handle("nobody-by-this-id").cancel()
        except Exception as err:
            outcomes.append(type(err).__name__)
        return outcomes


@workflow.defn
class SignalWithStart:
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
class ManyActivities:
    """Enough events to time replay on: sequential, then parallel activities and timers."""

    @workflow.run
    async def run(self, count: int) -> int:
        total = 0
        for index in range(count):
            total += len(
                await workflow.execute_activity("greet", str(index), start_to_close_timeout=SHORT)
            )
        results = await asyncio.gather(
            *(
                workflow.execute_activity("greet", str(i), start_to_close_timeout=SHORT)
                for i in range(count)
            )
        )
        await asyncio.gather(*(workflow.sleep(0.01 * (i % 3 + 1)) for i in range(count // 2)))
        return total + sum(map(len, results))
