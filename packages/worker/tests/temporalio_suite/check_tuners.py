from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from suite_activities import Order, charge_card, reserve
from suite_workflows import OrderWorkflow
from temporalio.client import Client
from temporalio.worker import (
    ActivitySlotInfo,
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    PollerBehaviorAutoscaling,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    Worker,
    WorkerTuner,
    WorkflowSlotInfo,
)


class Recording(CustomSlotSupplier):
    def __init__(self) -> None:
        self.slot_types: set[str] = set()
        self.used: list[Any] = []

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.slot_types.add(ctx.slot_type)
        return SlotPermit()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        self.slot_types.add(ctx.slot_type)
        return SlotPermit()

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self.used.append(ctx.slot_info)

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        pass


async def test_a_custom_slot_supplier_sees_workflow_and_activity_types(client: Client) -> None:
    supplier = Recording()
    tuner = WorkerTuner.create_composite(
        workflow_supplier=supplier,
        activity_supplier=supplier,
        local_activity_supplier=FixedSizeSlotSupplier(5),
        nexus_supplier=FixedSizeSlotSupplier(5),
    )
    queue = f"suite-tuner-{uuid.uuid4()}"
    with ThreadPoolExecutor(4) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[OrderWorkflow],
            activities=[reserve, charge_card],
            activity_executor=executor,
            tuner=tuner,
            activity_task_poller_behavior=PollerBehaviorAutoscaling(initial=2),
        ):
            handle = await client.start_workflow(
                OrderWorkflow.run, Order("t-1", 2), id=f"tuned-{uuid.uuid4()}", task_queue=queue
            )
            await handle.signal(OrderWorkflow.approve)
            assert await handle.result() == "reserved 2 for t-1; charged 200"
    assert {"workflow", "activity"} <= supplier.slot_types
    workflow_types = {i.workflow_type for i in supplier.used if isinstance(i, WorkflowSlotInfo)}
    activity_types = {i.activity_type for i in supplier.used if isinstance(i, ActivitySlotInfo)}
    assert workflow_types == {"OrderWorkflow"}
    assert activity_types == {"reserve", "charge"}
