"""The workflow cache: engine instances kept between workflow tasks, least recently used first out.

A run whose instance is cached is continued from the events the next task brings (a sticky task
carries only what happened since the last one) instead of replayed from its first event. The cache
holds at most ``max_cached_workflows`` runs; adding one past that evicts the least recently used
run that is not in the middle of a task. Runs are also evicted when a task of theirs fails, when
they finish, when the history the server sends does not continue the cached one, and at shutdown.

Each run has a lock (:py:meth:`WorkflowCache.hold`): a workflow task and a legacy query of the
same run never run at once, and a run is never evicted while one of them uses it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tempyral.common import logger

if TYPE_CHECKING:
    from tempyral.replay import WorkflowInstance

__all__ = ["CachedRun", "WorkflowCache"]


@dataclass
class CachedRun:
    """One run's engine instance and how far into its history it is."""

    run_id: str
    instance: WorkflowInstance
    last_event_id: int = 0
    """Id of the last history event the instance has been given."""
    speculative: bool = False
    """The last task may vanish from history (an update was rejected): do not continue it."""
    started_at: float = 0.0
    """When the run started (epoch seconds, from its first event), for the end-to-end latency."""


@dataclass
class _Lock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class WorkflowCache:
    """LRU of :py:class:`CachedRun` by run id, with a lock per run id."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._runs: OrderedDict[str, CachedRun] = OrderedDict()
        self._locks: dict[str, _Lock] = {}

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    @asynccontextmanager
    async def hold(self, run_id: str) -> AsyncIterator[None]:
        """Exclusive use of one run (waits for a task or query of it already running)."""
        entry = self._locks.setdefault(run_id, _Lock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[run_id]

    def get(self, run_id: str) -> CachedRun | None:
        run = self._runs.get(run_id)
        if run is not None:
            self._runs.move_to_end(run_id)
        return run

    def take(self, run_id: str) -> CachedRun | None:
        """Remove a run without evicting it (its caller owns the instance now)."""
        return self._runs.pop(run_id, None)

    def put(self, run: CachedRun) -> list[CachedRun]:
        """Cache a run (most recently used); returns runs pushed out, to be evicted."""
        self._runs[run.run_id] = run
        self._runs.move_to_end(run.run_id)
        pushed_out: list[CachedRun] = []
        if len(self._runs) <= self.max_size:
            return pushed_out
        for run_id in list(self._runs):
            if len(self._runs) <= self.max_size:
                break
            if run_id == run.run_id or run_id in self._locks:
                continue  # in use: it goes once its task is done and the cache is still full
            pushed_out.append(self._runs.pop(run_id))
        if pushed_out:
            logger.debug("Workflow cache full: evicting {} run(s)", len(pushed_out))
        return pushed_out

    def take_all(self) -> list[CachedRun]:
        runs = list(self._runs.values())
        self._runs.clear()
        return runs
