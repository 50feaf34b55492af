"""A header-propagating interceptor and its workflows, runnable under both SDKs.

The mixed-SDK interceptor tests run this file on a tempyral worker in-process and, through
``scripts/workflow_worker.py --workflows interceptor_workflows.py --sdk official``, on an official
worker in its own process (``tempyral.worker`` & co. aliased to ``temporalio``'s modules there).
The workflow interceptor copies the ``tenant`` header it received onto every activity and child it
starts; the activity interceptor appends the tenant it received to the activity's result, so the
workflow's result shows where the header arrived, whichever SDK ran each step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tempyral import activity, workflow
from tempyral.converter import PayloadConverter
from tempyral.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    Interceptor,
    StartActivityInput,
    StartChildWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

KEY = "tenant"
SHORT = timedelta(seconds=10)


def tenant(headers: Any) -> str:
    payload = headers.get(KEY)
    if payload is None:
        return "-"
    return str(PayloadConverter.default.from_payloads([payload])[0])


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, inbound: _Inbound) -> None:
        super().__init__(next)
        self._inbound = inbound

    def start_activity(self, input: StartActivityInput) -> Any:
        input.headers = {**input.headers, **self._inbound.headers}
        return super().start_activity(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> Any:
        input.headers = {**input.headers, **self._inbound.headers}
        return await super().start_child_workflow(input)


class _Inbound(WorkflowInboundInterceptor):
    headers: dict[str, Any]

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        self.headers = {}
        super().init(_Outbound(outbound, self))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        self.headers = {k: v for k, v in input.headers.items() if k == KEY}
        return await super().execute_workflow(input)


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        return f"{result}@{tenant(input.headers)}"


class TenantInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Inbound

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next)


@activity.defn
async def where(text: str) -> str:
    return text


@workflow.defn
class MixedChild:
    @workflow.run
    async def run(self, task_queue: str) -> str:
        return str(
            await workflow.execute_activity(
                where, "child", task_queue=task_queue, start_to_close_timeout=SHORT
            )
        )


@workflow.defn
class MixedParent:
    @workflow.run
    async def run(self, task_queue: str) -> list[str]:
        """Runs its activity and its child (and the child's activity) on ``task_queue``."""
        first = await workflow.execute_activity(
            where, "parent", task_queue=task_queue, start_to_close_timeout=SHORT
        )
        child = await workflow.execute_child_workflow(
            MixedChild.run,
            task_queue,
            id=f"{workflow.info().workflow_id}-child",
            task_queue=task_queue,
        )
        return [str(first), str(child)]


WORKFLOWS = [MixedParent, MixedChild]
ACTIVITIES = [where]
INTERCEPTORS = [TenantInterceptor()]
