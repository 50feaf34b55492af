"""Workflows with local activities, recorded under the official SDK and replayed by tempyral.

As in ``golden/workflows.py``, the source runs under both SDKs (the recorder aliases the
``tempyral`` modules to ``temporalio``). Activities are named by string: they run only in the
recording worker; replay takes their results from the markers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tempyral import workflow
from tempyral.common import RetryPolicy
from tempyral.exceptions import FailureError

SHORT = timedelta(seconds=10)


@workflow.defn
class LocalSuccess:
    @workflow.run
    async def run(self, name: str) -> dict[str, Any]:
        greeting = await workflow.execute_local_activity(
            "greet", name, start_to_close_timeout=SHORT
        )
        # Time moves to the marker's completion time; both SDKs must see the same.
        after = workflow.now().isoformat()
        second = await workflow.execute_local_activity(
            "greet", "again", schedule_to_close_timeout=SHORT
        )
        return {
            "greeting": greeting,
            "second": second,
            "after_first": after,
            "now": workflow.now().isoformat(),
            "random": workflow.random().randint(0, 1_000_000),
        }


@workflow.defn
class LocalRetried:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_local_activity(
            "flaky",
            3,
            start_to_close_timeout=SHORT,
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100), maximum_attempts=5
            ),
        )
        return result


@workflow.defn
class LocalFailure:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_local_activity("fail_always", start_to_close_timeout=SHORT)
        except FailureError as err:
            return f"caught {type(err).__name__}: {err.message}"
        return "not reached"


@workflow.defn
class LocalTimeout:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_local_activity(
                "slow",
                5.0,
                start_to_close_timeout=timedelta(milliseconds=500),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except FailureError as err:
            return f"caught {type(err).__name__}: {err.message}"
        return "not reached"


@workflow.defn
class LocalCancelled:
    @workflow.run
    async def run(self) -> list[str]:
        slow = workflow.start_local_activity("slow", 30.0, start_to_close_timeout=SHORT * 6)
        greeting = await workflow.execute_local_activity(
            "greet", "first", start_to_close_timeout=SHORT
        )
        slow.cancel()
        try:
            await slow
        except FailureError as err:
            return [greeting, f"caught {type(err).__name__}: {err.message}"]
        return [greeting, "not cancelled"]


@workflow.defn
class LocalAbandoned:
    """As ``LocalCancelled``, with ABANDON: the workflow stops waiting at once, the activity is
    left running."""

    @workflow.run
    async def run(self) -> list[str]:
        slow = workflow.start_local_activity(
            "slow",
            30.0,
            start_to_close_timeout=SHORT * 6,
            cancellation_type=workflow.ActivityCancellationType.ABANDON,
        )
        greeting = await workflow.execute_local_activity(
            "greet", "first", start_to_close_timeout=SHORT
        )
        slow.cancel()
        try:
            await slow
        except FailureError as err:
            cause = getattr(err, "cause", None)
            return [greeting, f"caught {type(err).__name__} of {type(cause).__name__}"]
        return [greeting, "not cancelled"]


@workflow.defn
class LocalLong:
    """Runs longer than the workflow task timeout: the task is heartbeated meanwhile."""

    @workflow.run
    async def run(self, seconds: float) -> str:
        result: str = await workflow.execute_local_activity(
            "slow", seconds, start_to_close_timeout=SHORT * 3
        )
        return result


@workflow.defn
class LocalBackoff:
    """Backoffs over the local retry threshold become timers, then the activity is retried."""

    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_local_activity(
            "flaky",
            3,
            start_to_close_timeout=SHORT,
            local_retry_threshold=timedelta(seconds=1),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=1500), maximum_attempts=5
            ),
        )
        return result


@workflow.defn
class LocalMixed:
    """A local activity between a timer and a remote activity, then one started and awaited
    after both: markers interleave with the other commands."""

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.sleep(0.1)
        first = await workflow.execute_local_activity(
            "greet", "local", start_to_close_timeout=SHORT
        )
        remote = await workflow.execute_activity("greet", "remote", start_to_close_timeout=SHORT)
        handles = [
            workflow.start_local_activity("greet", f"batch-{n}", start_to_close_timeout=SHORT)
            for n in range(3)
        ]
        batch = [await handle for handle in handles]
        return [first, remote, *batch]


def all_workflows() -> list[Any]:
    return [
        LocalSuccess,
        LocalRetried,
        LocalFailure,
        LocalTimeout,
        LocalCancelled,
        LocalAbandoned,
        LocalLong,
        LocalBackoff,
        LocalMixed,
    ]
