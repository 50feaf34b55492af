"""Resource-based slots: hand out slots while system memory and CPU stay under their targets.

:py:class:`ResourceMonitor` reads system-wide usage from ``/proc/meminfo`` and ``/proc/stat``
(Linux), falling back to ``os.sysconf`` pages and the load average elsewhere, so no extra
dependency is needed. Readings are cached for a tenth of a second: pollers of every kind ask
together. :py:class:`ResourceSlots` always hands out ``minimum_slots``; above that, one more slot
only when both usages are under target, fewer than ``maximum_slots`` are out, and
``ramp_throttle`` has passed since the last one (so the last task's usage shows first). The
official core steers with a PID controller; this simple threshold keeps the same contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tempyral.worker._slots import SlotPermit, SlotPool
from tempyral.worker._tuner import (
    DEFAULT_RESOURCE_SLOTS_MAX,
    ResourceBasedSlotSupplier,
    ResourceBasedTunerConfig,
)

__all__ = ["ResourceMonitor", "ResourceSlots"]

_CACHE_SECONDS = 0.1
_RECHECK_SECONDS = 0.05


def _proc_memory_usage() -> float | None:
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = float(fields["MemTotal"].split()[0])
        available = float(fields["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    return 1.0 - available / total if total > 0 else None


def _sysconf_memory_usage() -> float:
    try:
        total = os.sysconf("SC_PHYS_PAGES")
        available = os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0.0  # unknown: only the CPU target limits
    return 1.0 - available / total if total > 0 else 0.0


def _proc_cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies since boot, from the first line of ``/proc/stat``."""
    try:
        with open("/proc/stat") as stat:
            values = [float(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user time
    return total - idle, total


class ResourceMonitor:
    """System memory and CPU usage (0..1), re-read at most every 100 ms."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._read_at = float("-inf")
        self._usage = (0.0, 0.0)
        self._cpu_times = _proc_cpu_times()

    def usage(self) -> tuple[float, float]:
        """(memory, cpu) usage of the whole system, each between 0 and 1."""
        now = self._clock()
        if now - self._read_at >= _CACHE_SECONDS:
            self._read_at = now
            self._usage = (self._memory(), self._cpu())
        return self._usage

    def _memory(self) -> float:
        usage = _proc_memory_usage()
        return usage if usage is not None else _sysconf_memory_usage()

    def _cpu(self) -> float:
        times = _proc_cpu_times()
        if times is None or self._cpu_times is None:
            try:
                return min(os.getloadavg()[0] / (os.cpu_count() or 1), 1.0)
            except OSError:
                return 0.0
        (busy0, total0), (busy1, total1) = self._cpu_times, times
        self._cpu_times = times
        if total1 <= total0:
            return self._usage[1]  # too soon for the counters to move: keep the last reading
        return (busy1 - busy0) / (total1 - total0)


def _check_targets(targets: ResourceBasedTunerConfig) -> None:
    for name in ("target_memory_usage", "target_cpu_usage"):
        value = getattr(targets, name)
        if not 0 < value <= 1:
            raise ValueError(f"ResourceBasedTunerConfig {name} must be in (0, 1], got {value}")


class ResourceSlots(SlotPool):
    """Slots of one kind, issued on the system's memory and CPU usage."""

    def __init__(
        self,
        kind: str,
        supplier: ResourceBasedSlotSupplier,
        monitor: ResourceMonitor,
        *,
        default_minimum: int,
        default_ramp: timedelta,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_targets(supplier.tuner_config)
        config = supplier.slot_config
        self.kind = kind
        self.minimum = default_minimum if config.minimum_slots is None else config.minimum_slots
        self.maximum = config.maximum_slots or DEFAULT_RESOURCE_SLOTS_MAX
        if not 0 <= self.minimum <= self.maximum or self.maximum < 1:
            raise ValueError(
                f"{kind} ResourceBasedSlotConfig needs 0 <= minimum_slots <= maximum_slots and "
                f"maximum_slots >= 1, got minimum {self.minimum}, maximum {self.maximum}"
            )
        ramp = config.ramp_throttle if config.ramp_throttle is not None else default_ramp
        self._ramp_seconds = ramp.total_seconds()
        self._targets = supplier.tuner_config
        self._monitor = monitor
        self._clock = clock
        self._in_use = 0
        self._last_issued = float("-inf")
        self._released = asyncio.Event()

    @property
    def size(self) -> int:
        return self.maximum

    @property
    def in_use(self) -> int:
        return self._in_use

    def may_have_free(self) -> bool:
        return self._can_issue()

    def _can_issue(self) -> bool:
        if self._in_use < self.minimum:
            return True
        if self._in_use >= self.maximum:
            return False
        if self._clock() - self._last_issued < self._ramp_seconds:
            return False
        memory, cpu = self._monitor.usage()
        return memory < self._targets.target_memory_usage and cpu < self._targets.target_cpu_usage

    def try_reserve(self, *, sticky: bool = False) -> SlotPermit | None:
        if not self._can_issue():
            return None
        self._in_use += 1
        self._last_issued = self._clock()
        self._changed()
        return SlotPermit(self)

    async def reserve(self, *, sticky: bool = False) -> SlotPermit:
        while True:
            permit = self.try_reserve()
            if permit is not None:
                return permit
            # Usage is re-read on a timer; a release may free a slot sooner.
            self._released.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._released.wait(), _RECHECK_SECONDS)

    def _give_back(self, permit: SlotPermit) -> None:
        self._in_use -= 1
        self._released.set()
        self._changed()
