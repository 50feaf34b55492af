"""Slot suppliers, tuners and poller scaling, without a server.

Fixed suppliers cap how many tasks run at once; a custom supplier is told of each reservation,
use and release with what the task is, and its errors never reach the worker; resource-based
slots follow usage, minimum, maximum and ramp throttle; autoscaling pollers grow on tasks and
shrink on empty polls.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tempyral.worker import (
    ActivitySlotInfo,
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    LocalActivitySlotInfo,
    ResourceBasedSlotConfig,
    ResourceBasedSlotSupplier,
    ResourceBasedTunerConfig,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    WorkerTuner,
    WorkflowSlotInfo,
)
from tempyral.worker._poller import TaskPoller
from tempyral.worker._poller_scaling import PollerScaler
from tempyral.worker._resource_slots import ResourceMonitor, ResourceSlots
from tempyral.worker._slot_suppliers import worker_slots
from tempyral.worker._slots import ActivitySlot, LocalActivitySlot, WorkflowSlot


def slots_of(tuner: WorkerTuner) -> Any:
    return worker_slots(
        {"task_queue": "tq", "tuner": tuner},
        identity="me@host",
        build_id="build-1",
        deployment_version=None,
    )


async def test_fixed_tuner_caps_how_many_slots_are_out() -> None:
    slots = slots_of(WorkerTuner.create_fixed(activity_slots=2)).activity
    first, second = await slots.reserve(), await slots.reserve()
    third = asyncio.create_task(slots.reserve())
    await asyncio.sleep(0.05)
    assert not third.done()  # two slots, both out
    assert slots.try_reserve() is None
    first.release()
    permit = await asyncio.wait_for(third, 1)
    assert slots.in_use == 2
    second.release()
    permit.release()
    assert slots.in_use == 0


def test_fixed_tuner_defaults_to_100_slots_per_kind() -> None:
    slots = slots_of(WorkerTuner.create_fixed(workflow_slots=7))
    assert (slots.workflow.size, slots.activity.size, slots.local_activity.size) == (7, 100, 100)


class Recording(CustomSlotSupplier):
    """Records every call; fails the calls named in ``failing``."""

    def __init__(self, *, failing: set[str] | None = None, fail_reserves: int = 0) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failing = failing or set()
        self.fail_reserves = fail_reserves

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.calls.append(("reserve", ctx))
        if self.fail_reserves:
            self.fail_reserves -= 1
            raise RuntimeError("reserve broke")
        return Numbered(len(self.calls))

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        self.calls.append(("try_reserve", ctx))
        if "try_reserve" in self.failing:
            raise RuntimeError("try_reserve broke")
        return Numbered(len(self.calls))

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self.calls.append(("mark_used", ctx))
        if "mark_used" in self.failing:
            raise RuntimeError("mark_used broke")

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        self.calls.append(("release", ctx))
        if "release" in self.failing:
            raise RuntimeError("release broke")


@dataclass
class Numbered(SlotPermit):
    number: int


def custom_tuner(supplier: CustomSlotSupplier) -> WorkerTuner:
    return WorkerTuner.create_composite(
        workflow_supplier=supplier,
        activity_supplier=supplier,
        local_activity_supplier=supplier,
        nexus_supplier=FixedSizeSlotSupplier(1),
    )


async def test_custom_supplier_sees_reserve_use_and_release_with_the_task() -> None:
    supplier = Recording()
    slots = slots_of(custom_tuner(supplier))

    permit = await slots.workflow.reserve(sticky=True)
    permit.mark_used(WorkflowSlot(workflow_type="Greeter", is_sticky=True))
    permit.release()
    permit.release()  # a second release is not passed on
    empty = await slots.activity.reserve()
    empty.release()  # a poll that brought nothing
    local = slots.local_activity.try_reserve()
    assert local is not None
    local.mark_used(LocalActivitySlot(activity_type="charge"))
    local.release()

    kinds = [kind for kind, _ in supplier.calls]
    assert kinds == [
        "reserve", "mark_used", "release", "reserve", "release", "try_reserve", "mark_used",
        "release",
    ]  # fmt: skip
    reserve = supplier.calls[0][1]
    assert (reserve.slot_type, reserve.task_queue, reserve.is_sticky) == ("workflow", "tq", True)
    assert (reserve.worker_identity, reserve.worker_build_id) == ("me@host", "build-1")
    used = supplier.calls[1][1]
    assert isinstance(used.slot_info, WorkflowSlotInfo)
    assert used.slot_info.workflow_type == "Greeter"
    assert used.permit == Numbered(1)  # the supplier's own permit comes back to it
    released = supplier.calls[2][1]
    assert released.slot_info == used.slot_info
    assert released.permit == Numbered(1)
    assert supplier.calls[3][1].slot_type == "activity"
    assert supplier.calls[4][1].slot_info is None  # never used
    assert supplier.calls[5][1].slot_type == "local-activity"
    local_info = supplier.calls[6][1].slot_info
    assert isinstance(local_info, LocalActivitySlotInfo)
    assert local_info.activity_type == "charge"


async def test_errors_of_a_custom_supplier_are_logged_and_never_raised() -> None:
    supplier = Recording(failing={"try_reserve", "mark_used", "release"}, fail_reserves=2)
    slots = slots_of(custom_tuner(supplier)).activity

    permit = await asyncio.wait_for(slots.reserve(), 5)  # retried after two failures
    assert [kind for kind, _ in supplier.calls] == ["reserve"] * 3
    permit.mark_used(ActivitySlot(activity_type="work"))
    permit.release()
    assert slots.in_use == 0
    assert slots.try_reserve() is None  # a failing try_reserve means "no slot"
    info = supplier.calls[3][1].slot_info
    assert isinstance(info, ActivitySlotInfo)
    assert info.activity_type == "work"


class FakeMonitor(ResourceMonitor):
    def __init__(self) -> None:
        super().__init__()
        self.memory = 0.1
        self.cpu = 0.1

    def usage(self) -> tuple[float, float]:
        return self.memory, self.cpu


def resource_slots(config: ResourceBasedSlotConfig, monitor: ResourceMonitor, clock: Any) -> Any:
    supplier = ResourceBasedSlotSupplier(config, ResourceBasedTunerConfig(0.8, 0.9))
    return ResourceSlots(
        "activity",
        supplier,
        monitor,
        default_minimum=1,
        default_ramp=timedelta(milliseconds=50),
        clock=clock,
    )


def test_resource_slots_follow_usage_minimum_maximum_and_ramp() -> None:
    monitor, now = FakeMonitor(), [100.0]
    config = ResourceBasedSlotConfig(minimum_slots=2, maximum_slots=4)
    slots = resource_slots(config, monitor, lambda: now[0])
    monitor.memory = 0.95  # over target: only the minimum is handed out
    held = [slots.try_reserve(), slots.try_reserve()]
    assert all(held)
    assert slots.try_reserve() is None
    monitor.memory = 0.5
    assert slots.try_reserve() is None  # within the 50 ms ramp throttle
    now[0] += 0.06
    held.append(slots.try_reserve())
    assert held[-1] is not None
    assert slots.try_reserve() is None  # within the ramp throttle again
    now[0] += 0.06
    held.append(slots.try_reserve())
    now[0] += 0.06
    assert held[-1] is not None
    assert slots.try_reserve() is None  # the maximum, 4
    held[0].release()
    monitor.cpu = 0.95
    assert slots.try_reserve() is None  # CPU over target, above the minimum
    monitor.cpu = 0.2
    assert slots.try_reserve() is not None


async def test_resource_slots_wait_until_usage_drops() -> None:
    monitor = FakeMonitor()
    slots = resource_slots(ResourceBasedSlotConfig(minimum_slots=0), monitor, lambda: 0.0)
    monitor.cpu = 1.0
    waiting = asyncio.create_task(slots.reserve())
    await asyncio.sleep(0.15)
    assert not waiting.done()
    monitor.cpu = 0.1
    permit = await asyncio.wait_for(waiting, 1)
    permit.release()


def test_resource_config_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="target_cpu_usage must be in"):
        slots_of(WorkerTuner.create_resource_based(target_memory_usage=0.5, target_cpu_usage=1.5))
    bad = WorkerTuner.create_resource_based(
        target_memory_usage=0.5,
        target_cpu_usage=0.5,
        activity_config=ResourceBasedSlotConfig(minimum_slots=10, maximum_slots=3),
    )
    with pytest.raises(ValueError, match="minimum_slots <= maximum_slots"):
        slots_of(bad)


def test_resource_suppliers_of_one_worker_share_their_targets() -> None:
    def supplier(cpu: float) -> ResourceBasedSlotSupplier:
        return ResourceBasedSlotSupplier(
            ResourceBasedSlotConfig(), ResourceBasedTunerConfig(0.5, cpu)
        )

    tuner = WorkerTuner.create_composite(
        workflow_supplier=supplier(0.5),
        activity_supplier=supplier(0.7),
        local_activity_supplier=FixedSizeSlotSupplier(1),
        nexus_supplier=FixedSizeSlotSupplier(1),
    )
    with pytest.raises(ValueError, match="must have the same ResourceBasedTunerOptions"):
        slots_of(tuner)


def test_resource_monitor_reads_real_usage() -> None:
    memory, cpu = ResourceMonitor().usage()
    assert 0 < memory < 1
    assert 0 <= cpu <= 1


def test_poller_scaler_moves_within_bounds() -> None:
    scaler = PollerScaler(minimum=1, maximum=3, initial=2)
    for _ in range(5):
        scaler.observe(object(), has_task=True)
    assert scaler.target == 3
    for _ in range(5):
        scaler.observe(object(), has_task=False)
    assert scaler.target == 1
    fixed = PollerScaler.fixed(4)
    fixed.observe(object(), has_task=False)
    assert fixed.target == 4


async def test_autoscaling_poller_grows_on_tasks_and_shrinks_on_empty_polls() -> None:
    slots = slots_of(WorkerTuner.create_fixed()).activity
    queue: asyncio.Queue[bool] = asyncio.Queue()
    got: list[bool] = []
    open_polls = [0]
    most = [0]

    async def poll() -> bool:
        open_polls[0] += 1
        most[0] = max(most[0], open_polls[0])
        try:
            return await queue.get()
        finally:
            open_polls[0] -= 1

    def on_task(task: bool, permit: Any) -> None:
        got.append(task)
        permit.release()

    poller: TaskPoller[bool] = TaskPoller(
        name="test",
        scaler=PollerScaler(minimum=1, maximum=6, initial=2),
        slots=slots,
        poll=poll,
        has_task=lambda task: task,
        on_task=on_task,
    )
    targets: list[int] = []
    poller.on_scaled = targets.append  # the num_pollers gauge
    running = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)
    assert poller.running_loops == 2
    for _ in range(10):
        queue.put_nowait(True)
        await asyncio.sleep(0.01)
    assert poller.running_loops == 6
    assert most[0] == 6
    for _ in range(10):
        queue.put_nowait(False)
        await asyncio.sleep(0.01)
    assert poller.running_loops == 1
    assert targets == [3, 4, 5, 6, 5, 4, 3, 2, 1]
    assert len(got) == 10
    poller.initiate_shutdown()
    await asyncio.wait_for(running, 2)
    assert slots.in_use == 0
