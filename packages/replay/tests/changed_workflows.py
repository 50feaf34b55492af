"""Golden workflows with deliberate, replay-breaking changes, each after a ``# CHANGED`` comment.

Each class keeps the workflow type name of the golden workflow it changes, so the recorded
histories are replayed against it.
"""

from __future__ import annotations

from datetime import timedelta

from tempyral import workflow
from tempyral.common import RetryPolicy
from tempyral.exceptions import ActivityError, ApplicationError

SHORT = timedelta(seconds=10)


@workflow.defn(name="ActivitySuccess")
class ActivitySwapped:
    @workflow.run
    async def run(self, name: str) -> str:
        # CHANGED: the next line
        return await workflow.execute_activity("greet_loudly", name, start_to_close_timeout=SHORT)


@workflow.defn(name="ActivityFailure")
class TimerAdded:
    @workflow.run
    async def run(self) -> str:
        # CHANGED: the next line
        await workflow.sleep(1)
        try:
            await workflow.execute_activity(
                "fail_always",
                start_to_close_timeout=SHORT,
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            return str(err)
        return "not reached"


@workflow.defn(name="Parent")
class ChildrenReordered:
    @workflow.run
    async def run(self) -> list[str]:
        wid = workflow.info().workflow_id
        results = []
        try:
            # CHANGED: the next line
            await workflow.execute_child_workflow("Child", args=["b", True], id=f"{wid}-child-b")
        except Exception as err:
            results.append(str(err))
        results.append(
            await workflow.execute_child_workflow("Child", args=["a", False], id=f"{wid}-child-a")
        )
        return results


@workflow.defn(name="Failing")
class CommandAddedAtTheEnd:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(0.05)
        # CHANGED: the next line
        await workflow.execute_activity("greet", "one more", start_to_close_timeout=SHORT)
        raise ApplicationError("workflow gave up", non_retryable=True)


@workflow.defn(name="Timers")
class TimerRemoved:
    @workflow.run
    async def run(self) -> float:
        await workflow.sleep(1)
        return 0.0  # CHANGED: the rest of the timers are gone
