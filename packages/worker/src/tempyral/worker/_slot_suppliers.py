"""From a worker's configuration to its running slot pools, one per kind of task.

``Worker(tuner=...)`` names a supplier per kind; without a tuner the ``max_concurrent_*``
options make fixed-size ones (as the official SDK does through ``WorkerTuner.create_fixed``).
The resource-based pools of one worker share one :py:class:`ResourceMonitor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from tempyral.common import WorkerDeploymentVersion
from tempyral.worker._slots import SlotPool, SlotSupplier
from tempyral.worker._tuner import (
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    ResourceBasedSlotSupplier,
    WorkerTuner,
)
from tempyral.worker._tuner import SlotSupplier as SlotSupplierSpec

if TYPE_CHECKING:
    from tempyral.worker._resource_slots import ResourceMonitor

__all__ = ["WorkerSlots", "tuner_of", "worker_slots"]

_SlotType = Literal["workflow", "activity", "local-activity", "nexus"]
_DEFAULT_WORKFLOW_SLOTS = 100


@dataclass(frozen=True)
class WorkerSlots:
    """The slot pools of one worker."""

    workflow: SlotPool
    activity: SlotPool
    local_activity: SlotPool
    nexus: SlotPool


def tuner_of(config: Any) -> WorkerTuner:
    """The worker's tuner: the one given, or fixed sizes from the ``max_concurrent_*`` options."""
    tuner: WorkerTuner | None = config.get("tuner")
    if tuner is not None:
        return tuner
    return WorkerTuner.create_fixed(
        workflow_slots=config.get("max_concurrent_workflow_tasks") or _DEFAULT_WORKFLOW_SLOTS,
        activity_slots=config.get("max_concurrent_activities"),
        local_activity_slots=config.get("max_concurrent_local_activities"),
        nexus_slots=config.get("max_concurrent_nexus_tasks"),
    )


def _check_one_resource_target(tuner: WorkerTuner) -> None:
    specs = (
        tuner._get_workflow_task_slot_supplier(),
        tuner._get_activity_task_slot_supplier(),
        tuner._get_local_activity_task_slot_supplier(),
        tuner._get_nexus_slot_supplier(),
    )
    targets = {s.tuner_config for s in specs if isinstance(s, ResourceBasedSlotSupplier)}
    if len(targets) > 1:
        raise ValueError(
            "All resource-based slot suppliers must have the same ResourceBasedTunerOptions: "
            f"got {sorted(map(str, targets))}; give every ResourceBasedSlotSupplier of the worker "
            "the same ResourceBasedTunerConfig"
        )


def worker_slots(
    config: Any,
    *,
    identity: str,
    build_id: str,
    deployment_version: WorkerDeploymentVersion | None,
) -> WorkerSlots:
    """Build the pools of the worker configured by ``config`` (a ``WorkerConfig``)."""
    tuner = tuner_of(config)
    _check_one_resource_target(tuner)
    # Only resource-based suppliers read it; building one reads /proc/stat, on every worker
    # start (a test suite starts a worker per test).
    monitors: list[ResourceMonitor] = []

    def monitor() -> ResourceMonitor:
        from tempyral.worker._resource_slots import ResourceMonitor

        if not monitors:
            monitors.append(ResourceMonitor())
        return monitors[0]

    def build(spec: SlotSupplierSpec, slot_type: _SlotType, kind: str) -> SlotPool:
        if isinstance(spec, FixedSizeSlotSupplier):
            return SlotSupplier(kind, spec.num_slots)
        # The resource-based and custom pools load with the first supplier of their kind: most
        # workers have fixed sizes only.
        if isinstance(spec, ResourceBasedSlotSupplier):
            from tempyral.worker._resource_slots import ResourceSlots

            workflow = slot_type == "workflow"
            return ResourceSlots(
                kind,
                spec,
                monitor(),
                default_minimum=5 if workflow else 1,
                default_ramp=timedelta() if workflow else timedelta(milliseconds=50),
            )
        if isinstance(spec, CustomSlotSupplier):
            from tempyral.worker._custom_slots import CustomSlots, ReserveContext

            context = ReserveContext(
                # The official SlotReserveContext's type leaves "nexus" out, though its core
                # passes it for Nexus slots, as tempyral does.
                slot_type=cast(Any, slot_type),
                task_queue=config["task_queue"],
                worker_identity=identity,
                worker_build_id=build_id,
                worker_deployment_version=deployment_version,
                is_sticky=False,
            )
            return CustomSlots(spec, context)
        raise TypeError(
            f"{kind} slot supplier must be a FixedSizeSlotSupplier, ResourceBasedSlotSupplier "
            f"or CustomSlotSupplier, got {type(spec).__name__}"
        )

    return WorkerSlots(
        workflow=build(tuner._get_workflow_task_slot_supplier(), "workflow", "workflow task"),
        activity=build(tuner._get_activity_task_slot_supplier(), "activity", "activity"),
        local_activity=build(
            tuner._get_local_activity_task_slot_supplier(), "local-activity", "local activity"
        ),
        nexus=build(tuner._get_nexus_slot_supplier(), "nexus", "Nexus task"),
    )
