"""Tuners and autoscaling pollers on a real dev server.

A fixed tuner with one activity slot runs one activity at a time however many a workflow
starts; a custom supplier is told the workflow type and activity type of the tasks its slots
run; a custom supplier that raises everywhere still lets workflows finish; an autoscaling worker
completes a burst of workflows.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.worker import (
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

pytestmark = pytest.mark.integration

_running = {"now": 0, "most": 0}


@activity.defn
async def overlap_probe(index: int) -> int:
    _running["now"] += 1
    _running["most"] = max(_running["most"], _running["now"])
    try:
        await asyncio.sleep(0.2)
    finally:
        _running["now"] -= 1
    return index


@workflow.defn
class FanOut:
    @workflow.run
    async def run(self, count: int) -> list[int]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        overlap_probe, index, start_to_close_timeout=timedelta(seconds=30)
                    )
                    for index in range(count)
                )
            )
        )


@workflow.defn
class Echo:
    @workflow.run
    async def run(self, value: int) -> int:
        return value


async def test_one_activity_slot_runs_one_activity_at_a_time(client: Client) -> None:
    _running.update(now=0, most=0)
    task_queue = f"tuner-fixed-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FanOut],
        activities=[overlap_probe],
        tuner=WorkerTuner.create_fixed(activity_slots=1),
    ):
        result = await client.execute_workflow(
            FanOut.run, 4, id=f"fan-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == [0, 1, 2, 3]
    assert _running["most"] == 1


async def test_a_resource_based_tuner_runs_workflows_and_activities(client: Client) -> None:
    task_queue = f"tuner-resource-{uuid.uuid4()}"
    # Targets at 100%: the machine's load must not decide whether the test passes.
    tuner = WorkerTuner.create_resource_based(target_memory_usage=1.0, target_cpu_usage=1.0)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FanOut],
        activities=[overlap_probe],
        tuner=tuner,
    ):
        result = await client.execute_workflow(
            FanOut.run, 3, id=f"resource-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == [0, 1, 2]


class Recording(CustomSlotSupplier):
    """Unlimited slots; records what it is told, and raises everywhere when ``broken``."""

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.reserved: list[str] = []
        self.used: list[Any] = []
        self.issued = 0
        self.released = 0

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.reserved.append(ctx.slot_type)
        if self.broken and len(self.reserved) % 2:
            raise RuntimeError("reserve_slot broke")
        self.issued += 1
        return SlotPermit()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        if self.broken:
            raise RuntimeError("try_reserve_slot broke")
        self.issued += 1  # an eager activity's slot
        return SlotPermit()

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self.used.append(ctx.slot_info)
        if self.broken:
            raise RuntimeError("mark_slot_used broke")

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        self.released += 1
        if self.broken:
            raise RuntimeError("release_slot broke")


def custom_tuner(supplier: CustomSlotSupplier) -> WorkerTuner:
    return WorkerTuner.create_composite(
        workflow_supplier=supplier,
        activity_supplier=supplier,
        local_activity_supplier=supplier,
        nexus_supplier=FixedSizeSlotSupplier(1),
    )


async def test_custom_supplier_is_told_the_workflow_and_activity_types(client: Client) -> None:
    _running.update(now=0, most=0)
    supplier = Recording()
    task_queue = f"tuner-custom-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FanOut],
        activities=[overlap_probe],
        tuner=custom_tuner(supplier),
    ):
        result = await client.execute_workflow(
            FanOut.run, 2, id=f"custom-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == [0, 1]
    workflow_infos = [info for info in supplier.used if isinstance(info, WorkflowSlotInfo)]
    activity_infos = [info for info in supplier.used if not isinstance(info, WorkflowSlotInfo)]
    assert workflow_infos
    assert {info.workflow_type for info in workflow_infos} == {"FanOut"}
    assert len(activity_infos) == 2
    assert all(isinstance(info, ActivitySlotInfo) for info in activity_infos)
    assert {info.activity_type for info in activity_infos} == {"overlap_probe"}
    assert {"workflow", "activity"} <= set(supplier.reserved)
    # Every permit (polls' and eager activities') was given back once the worker stopped.
    assert supplier.released == supplier.issued


async def test_a_raising_custom_supplier_does_not_stop_the_worker(client: Client) -> None:
    supplier = Recording(broken=True)
    task_queue = f"tuner-broken-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FanOut],
        activities=[overlap_probe],
        tuner=custom_tuner(supplier),
    ):
        result = await asyncio.wait_for(
            client.execute_workflow(
                FanOut.run, 2, id=f"broken-{uuid.uuid4()}", task_queue=task_queue
            ),
            60,
        )
    assert result == [0, 1]
    assert supplier.used  # slots were still marked used, despite the errors


async def test_an_autoscaling_worker_completes_a_burst(client: Client) -> None:
    task_queue = f"autoscaling-{uuid.uuid4()}"
    behavior = PollerBehaviorAutoscaling(minimum=1, maximum=10, initial=2)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Echo],
        activities=[overlap_probe],
        workflow_task_poller_behavior=behavior,
        activity_task_poller_behavior=behavior,
    ):
        handles = await asyncio.gather(
            *(
                client.start_workflow(
                    Echo.run, index, id=f"burst-{uuid.uuid4()}", task_queue=task_queue
                )
                for index in range(20)
            )
        )
        results = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), 60
        )
    assert sorted(results) == list(range(20))
