"""Worker tuners: the public description of how many tasks of each kind a worker may hold.

A :py:class:`WorkerTuner` names one slot supplier per task kind (workflow tasks, activities,
local activities, Nexus tasks). A supplier is a description (fixed size, resource based) or the
user's own :py:class:`CustomSlotSupplier`; ``_slot_suppliers.py`` turns each into the running
slot pool the pollers reserve from. Names, fields and defaults follow ``temporalio.worker``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol, TypeAlias, runtime_checkable

from tempyral.common import WorkerDeploymentVersion

__all__ = [
    "ActivitySlotInfo",
    "CustomSlotSupplier",
    "FixedSizeSlotSupplier",
    "LocalActivitySlotInfo",
    "NexusSlotInfo",
    "ResourceBasedSlotConfig",
    "ResourceBasedSlotSupplier",
    "ResourceBasedTunerConfig",
    "SlotInfo",
    "SlotMarkUsedContext",
    "SlotPermit",
    "SlotReleaseContext",
    "SlotReserveContext",
    "SlotSupplier",
    "WorkerTuner",
    "WorkflowSlotInfo",
]

DEFAULT_RESOURCE_SLOTS_MAX = 500
"""A resource-based supplier's ``maximum_slots`` when not given (the official default)."""


@dataclass(frozen=True)
class FixedSizeSlotSupplier:
    """A slot supplier that never issues more than ``num_slots`` slots at once."""

    num_slots: int
    """The maximum number of slots that can be issued."""


@dataclass(frozen=True)
class ResourceBasedTunerConfig:
    """Targets shared by every :py:class:`ResourceBasedSlotSupplier` of one worker."""

    target_memory_usage: float
    """Target system memory usage between 0 and 1 (above 0.8 risks running out of memory)."""
    target_cpu_usage: float
    """Target system CPU usage between 0 and 1."""


@dataclass(frozen=True)
class ResourceBasedSlotConfig:
    """Options for one kind of slot of a :py:class:`ResourceBasedSlotSupplier`."""

    minimum_slots: int | None = None
    """Slots issued whatever the usage. Defaults to 5 for workflows and 1 for activities."""
    maximum_slots: int | None = None
    """Slots never exceeded. Defaults to 500."""
    ramp_throttle: timedelta | None = None
    """Least time between two slots issued above the minimum, so the last task's usage shows
    before the next is taken. Defaults to 0 for workflows and 50 ms for activities."""


@dataclass(frozen=True)
class ResourceBasedSlotSupplier:
    """Hands out slots while system memory and CPU usage stay under the tuner's targets."""

    slot_config: ResourceBasedSlotConfig
    tuner_config: ResourceBasedTunerConfig
    """Usage targets; every resource-based supplier of one worker must use the same ones."""


class SlotPermit:
    """A permit to use one slot; subclass it to carry your own data."""


class SlotReserveContext(Protocol):
    """What a :py:class:`CustomSlotSupplier` is told when a slot is wanted."""

    slot_type: Literal["workflow", "activity", "local-activity"]
    """The kind of slot wanted."""
    task_queue: str
    """The task queue the slot is for."""
    worker_identity: str
    """The identity of the worker asking."""
    worker_build_id: str
    """The build id of the worker asking (deprecated: use ``worker_deployment_version``)."""
    worker_deployment_version: WorkerDeploymentVersion | None
    """The deployment version of the worker asking, if any."""
    is_sticky: bool
    """Whether the slot is for a poll of the worker's sticky workflow queue."""


@runtime_checkable
class WorkflowSlotInfo(Protocol):
    """A slot used by a workflow task."""

    workflow_type: str
    is_sticky: bool


@runtime_checkable
class ActivitySlotInfo(Protocol):
    """A slot used by an activity task."""

    activity_type: str


@runtime_checkable
class LocalActivitySlotInfo(Protocol):
    """A slot used by a local activity."""

    activity_type: str


@runtime_checkable
class NexusSlotInfo(Protocol):
    """A slot used by a Nexus task."""

    service: str
    operation: str


SlotInfo: TypeAlias = WorkflowSlotInfo | ActivitySlotInfo | LocalActivitySlotInfo | NexusSlotInfo


@dataclass(frozen=True)
class SlotMarkUsedContext(Protocol):
    """What a :py:class:`CustomSlotSupplier` is told when a reserved slot starts a task."""

    slot_info: SlotInfo
    """The task using the slot."""
    permit: SlotPermit
    """The permit returned when the slot was reserved."""


@dataclass(frozen=True)
class SlotReleaseContext:
    """What a :py:class:`CustomSlotSupplier` is told when a slot is given back."""

    slot_info: SlotInfo | None
    """The task that used the slot; None if the slot was never used (an empty poll)."""
    permit: SlotPermit
    """The permit returned when the slot was reserved."""


class CustomSlotSupplier(ABC):
    """Your own slot policy. Errors it raises are logged and never stop the worker."""

    @abstractmethod
    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        """Wait until a slot is free and return its permit (called before each poll).

        May be cancelled (``asyncio.CancelledError``). Any other error is logged and the
        reservation is tried again after a short pause.
        """

    @abstractmethod
    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        """A permit if a slot is free now, else None; must not block (eager tasks).

        An error is logged and counts as no slot.
        """

    @abstractmethod
    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        """A reserved slot now runs a task (``ctx.slot_info``); must not block."""

    @abstractmethod
    def release_slot(self, ctx: SlotReleaseContext) -> None:
        """A permit is no longer needed (task done, or poll came back empty); must not block."""


SlotSupplier: TypeAlias = FixedSizeSlotSupplier | ResourceBasedSlotSupplier | CustomSlotSupplier


class WorkerTuner(ABC):
    """Chooses the slot supplier of each task kind; pass as ``Worker(tuner=...)``."""

    @classmethod
    def create_resource_based(
        cls,
        *,
        target_memory_usage: float,
        target_cpu_usage: float,
        workflow_config: ResourceBasedSlotConfig | None = None,
        activity_config: ResourceBasedSlotConfig | None = None,
        local_activity_config: ResourceBasedSlotConfig | None = None,
        nexus_config: ResourceBasedSlotConfig | None = None,
    ) -> WorkerTuner:
        """A tuner whose every kind of slot is resource based, with the same usage targets."""
        targets = ResourceBasedTunerConfig(target_memory_usage, target_cpu_usage)
        configs = (workflow_config, activity_config, local_activity_config, nexus_config)
        return _CompositeTuner(
            *(
                ResourceBasedSlotSupplier(config or ResourceBasedSlotConfig(), targets)
                for config in configs
            )
        )

    @classmethod
    def create_fixed(
        cls,
        *,
        workflow_slots: int | None = None,
        activity_slots: int | None = None,
        local_activity_slots: int | None = None,
        nexus_slots: int | None = None,
    ) -> WorkerTuner:
        """A tuner of fixed-size suppliers; a number not given (or 0) means 100."""
        return _CompositeTuner(
            *(
                FixedSizeSlotSupplier(slots or 100)
                for slots in (workflow_slots, activity_slots, local_activity_slots, nexus_slots)
            )
        )

    @classmethod
    def create_composite(
        cls,
        *,
        workflow_supplier: SlotSupplier,
        activity_supplier: SlotSupplier,
        local_activity_supplier: SlotSupplier,
        nexus_supplier: SlotSupplier,
    ) -> WorkerTuner:
        """A tuner of the given suppliers, one per kind of slot."""
        return _CompositeTuner(
            workflow_supplier, activity_supplier, local_activity_supplier, nexus_supplier
        )

    @abstractmethod
    def _get_workflow_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_activity_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_local_activity_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_nexus_slot_supplier(self) -> SlotSupplier: ...

    def _get_activities_max(self) -> int | None:
        return slot_supplier_max(self._get_activity_task_slot_supplier())


def slot_supplier_max(supplier: SlotSupplier) -> int | None:
    """The most slots ``supplier`` ever hands out, if known (None for a custom supplier)."""
    if isinstance(supplier, FixedSizeSlotSupplier):
        return supplier.num_slots
    if isinstance(supplier, ResourceBasedSlotSupplier):
        return supplier.slot_config.maximum_slots or DEFAULT_RESOURCE_SLOTS_MAX
    return None


@dataclass(frozen=True)
class _CompositeTuner(WorkerTuner):
    """A supplier per kind of slot, as given."""

    workflow_slot_supplier: SlotSupplier
    activity_slot_supplier: SlotSupplier
    local_activity_slot_supplier: SlotSupplier
    nexus_slot_supplier: SlotSupplier

    def _get_workflow_task_slot_supplier(self) -> SlotSupplier:
        return self.workflow_slot_supplier

    def _get_activity_task_slot_supplier(self) -> SlotSupplier:
        return self.activity_slot_supplier

    def _get_local_activity_task_slot_supplier(self) -> SlotSupplier:
        return self.local_activity_slot_supplier

    def _get_nexus_slot_supplier(self) -> SlotSupplier:
        return self.nexus_slot_supplier
