"""Workflows for the tracing tests, runnable under both SDKs.

``test_opentelemetry.py`` runs them on a tempyral worker in-process; the cross-SDK test also runs
them on an official worker in its own process (``scripts/workflow_worker.py --workflows
tracing_workflows.py``, ``tempyral`` aliased to ``temporalio`` there). ``TracedParent`` runs an
activity and a child on task queues it is given, waits for a signal and answers a query, so its
spans cover every kind the tracing interceptor makes.
"""

from __future__ import annotations

from datetime import timedelta

from tempyral import activity, workflow

SHORT = timedelta(seconds=10)


@activity.defn
async def traced_step(text: str) -> str:
    return f"step {text}"


@workflow.defn
class TracedChild:
    @workflow.run
    async def run(self, activity_queue: str) -> str:
        return await workflow.execute_activity(
            traced_step, "child", start_to_close_timeout=SHORT, task_queue=activity_queue
        )


@workflow.defn
class TracedParent:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, activity_queue: str, child_queue: str) -> list[str]:
        first = await workflow.execute_activity(
            traced_step, "parent", start_to_close_timeout=SHORT, task_queue=activity_queue
        )
        await workflow.wait_condition(lambda: self.go)
        child = await workflow.execute_child_workflow(
            TracedChild.run,
            activity_queue,
            id=f"{workflow.info().workflow_id}-child",
            task_queue=child_queue,
        )
        return [first, child]

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.query
    def state(self) -> str:
        return "going" if self.go else "waiting"


WORKFLOWS = [TracedParent, TracedChild]
ACTIVITIES = [traced_step]
