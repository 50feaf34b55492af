"""Cross-process primitives for ``def`` activities run in a process pool (as in the official SDK).

A ``def`` activity normally runs in a thread of the worker's process, where cancellation is a
``threading.Event`` and a heartbeat is a call handed to the event loop. In a
:py:class:`concurrent.futures.ProcessPoolExecutor` neither crosses the process boundary, so the
worker asks a :py:class:`SharedStateManager` (``Worker(shared_state_manager=...)``) for

* events the child process can read: the attempt's cancelled event and the worker's shutdown
  event (:py:meth:`SharedStateManager.new_event`);
* a picklable :py:class:`SharedHeartbeatSender` the child calls for each heartbeat; the manager
  delivers it to the heartbeat function registered for that attempt's task token, in the worker.

:py:meth:`SharedStateManager.create_from_multiprocessing` builds both from a
:py:func:`multiprocessing.Manager`: events are the manager's, heartbeats travel on one manager
queue, drained by one thread in the worker while any attempt is registered. One manager may serve
several workers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tempyral.common import logger

if TYPE_CHECKING:
    # The caller builds the manager (multiprocessing.Manager()); importing
    # multiprocessing.managers costs every worker a few milliseconds for annotations only.
    import multiprocessing.managers

__all__ = ["SharedHeartbeatSender", "SharedStateManager"]


class SharedStateManager(ABC):
    """Base class for a shared state manager providing cross-process-safe
    primitives for use by activity executors.

    Cross-worker use of the shared state manager is encouraged.
    :py:meth:`create_from_multiprocessing` provides the commonly used
    implementation.
    """

    @staticmethod
    def create_from_multiprocessing(
        mgr: multiprocessing.managers.SyncManager,
        queue_poller_executor: concurrent.futures.Executor | None = None,
    ) -> SharedStateManager:
        """Create a shared state manager from a multiprocessing manager.

        Args:
            mgr: Sync manager to create primitives from. This is usually
                :py:func:`multiprocessing.Manager`.
            queue_poller_executor: The executor used when running the
                synchronous heartbeat queue poller. This should be a
                :py:class:`concurrent.futures.ThreadPoolExecutor`. If unset, a
                thread pool executor is created with max-workers of 1.

        Returns:
            The shared state manager.
        """
        return _MultiprocessingSharedStateManager(
            mgr, queue_poller_executor or concurrent.futures.ThreadPoolExecutor(1)
        )

    @abstractmethod
    def new_event(self) -> threading.Event:
        """Create a threading.Event that can be used across processes."""
        raise NotImplementedError

    @abstractmethod
    async def register_heartbeater(
        self, task_token: bytes, heartbeat: Callable[..., None]
    ) -> SharedHeartbeatSender:
        """Register a heartbeat function.

        Args:
            task_token: Unique task token for the heartbeater.
            heartbeat: Function that should be called when the resulting sender
                is sent a heartbeat.

        Returns:
            A sender that can be pickled for use in another process.
        """
        raise NotImplementedError

    @abstractmethod
    async def unregister_heartbeater(self, task_token: bytes) -> None:
        """Unregisters a previously registered heartbeater for the task
        token. This should also flush any pending heartbeats.
        """
        raise NotImplementedError


class SharedHeartbeatSender(ABC):
    """Base class for a heartbeat sender that is picklable for use in another
    process.
    """

    @abstractmethod
    def send_heartbeat(self, task_token: bytes, *details: Any) -> None:
        """Send a heartbeat for the given task token and details."""
        raise NotImplementedError


# The details that mark an attempt's last queue entry: everything it sent before is delivered.
_FLUSHED = ["__temporal_heartbeat_complete__"]


class _MultiprocessingSharedStateManager(SharedStateManager):
    def __init__(
        self,
        mgr: multiprocessing.managers.SyncManager,
        queue_poller_executor: concurrent.futures.Executor,
    ) -> None:
        super().__init__()
        self._mgr = mgr
        self._queue_poller_executor = queue_poller_executor
        # Bounded so that a stuck worker pushes back on the activity processes.
        self._heartbeat_queue: queue.Queue[tuple[bytes, Sequence[Any]]] = mgr.Queue(1000)
        self._heartbeats: dict[bytes, Callable[..., None]] = {}
        self._flushed: dict[bytes, Callable[[], None]] = {}

    def new_event(self) -> threading.Event:
        return self._mgr.Event()

    async def register_heartbeater(
        self, task_token: bytes, heartbeat: Callable[..., None]
    ) -> SharedHeartbeatSender:
        self._heartbeats[task_token] = heartbeat
        if len(self._heartbeats) == 1:  # the first attempt: start draining the queue
            self._queue_poller_executor.submit(self._drain_heartbeats)
        return _MultiprocessingSharedHeartbeatSender(self._heartbeat_queue)

    async def unregister_heartbeater(self, task_token: bytes) -> None:
        # The marker goes behind the attempt's heartbeats: when it is read, they were delivered.
        loop = asyncio.get_running_loop()
        flushed = asyncio.Event()

        def mark_flushed() -> None:
            loop.call_soon_threadsafe(flushed.set)

        self._flushed[task_token] = mark_flushed
        try:
            self._heartbeat_queue.put((task_token, _FLUSHED), True, 5)
            await flushed.wait()
        finally:
            del self._flushed[task_token]

    def _drain_heartbeats(self) -> None:
        while self._heartbeats:
            try:
                # Wakes every half second to notice that no attempt is registered any more.
                task_token, details = self._heartbeat_queue.get(True, 0.5)
                if details == _FLUSHED:
                    del self._heartbeats[task_token]
                    done = self._flushed.get(task_token)
                    if done is not None:
                        done()
                    continue
                heartbeat = self._heartbeats.get(task_token)
                if heartbeat is not None:
                    heartbeat(*details)
            except queue.Empty:
                pass
            except Exception as err:
                logger.opt(exception=err).error(
                    "Failed during multiprocess queue poll for heartbeat"
                )
                return


class _MultiprocessingSharedHeartbeatSender(SharedHeartbeatSender):
    def __init__(self, heartbeat_queue: queue.Queue[tuple[bytes, Sequence[Any]]]) -> None:
        super().__init__()
        self._heartbeat_queue = heartbeat_queue

    def send_heartbeat(self, task_token: bytes, *details: Any) -> None:
        # Waits until the heartbeat is queued (30 s is plenty while the worker drains it).
        self._heartbeat_queue.put((task_token, details), True, 30)
