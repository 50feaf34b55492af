from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from suite_activities import Order, charge_card, reserve


@workflow.defn
class OrderWorkflow:
    def __init__(self) -> None:
        self.approved = False
        self.status = "new"

    @workflow.run
    async def run(self, order: Order) -> str:
        self.status = "reserving"
        reserved = await workflow.execute_activity(
            reserve, order, start_to_close_timeout=timedelta(seconds=10)
        )
        self.status = "awaiting approval"
        await workflow.wait_condition(lambda: self.approved)
        cents = await workflow.execute_activity(
            charge_card,
            order.quantity,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        self.status = "done"
        return f"{reserved}; charged {cents}"

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.query
    def current_status(self) -> str:
        return self.status


@workflow.defn
class RejectingWorkflow:
    @workflow.run
    async def run(self, order: Order) -> str:
        try:
            return await workflow.execute_activity(
                reserve, order, start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError as err:
            cause = err.cause
            if not isinstance(cause, ApplicationError):
                raise
            raise ApplicationError(f"order rejected: {cause.message}", type=cause.type) from err


@workflow.defn
class ChildWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        await asyncio.sleep(0.1)
        return name.upper()


@workflow.defn
class ParentWorkflow:
    @workflow.run
    async def run(self, names: list[str]) -> list[str]:
        handles = [
            await workflow.start_child_workflow(
                ChildWorkflow.run, name, id=f"{workflow.info().workflow_id}-{name}"
            )
            for name in names
        ]
        return list(await asyncio.gather(*handles))
