"""The threads workflow activations run on, when the worker is not given an executor.

A ``ThreadPoolExecutor`` with ``run_in_executor`` costs, per call, two locks and a Python-level
queue in ``submit``, a ``concurrent.futures.Future`` chained to an asyncio one, and a thread
check at every submit; for a workflow task that is a sizeable share of the worker's CPU. Here a
call is one ``SimpleQueue.put`` (in C) and one ``call_soon_threadsafe`` back: idle threads wait
on one queue, and a thread is started only when none is idle (up to ``max_threads``), so a
thread stuck in workflow code (a deadlock) never holds up the others.

A thread whose worker shut down is parked (a few per process) rather than ended, and the next
worker's first thread is a parked one: starting a thread blocks the event loop until the new
thread runs (about 0.15 ms, more on a busy machine), which a test suite starting a worker per
test would otherwise pay every time. A parked thread holds nothing of its last worker.

Threads are daemons: a thread stuck inside a blocking call in workflow code does not keep the
process from exiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["WorkflowThreads"]

_PARKED_NAME = "tempyral_workflow_parked"
_MAX_PARKED = 8
"""Idle threads kept for later workers; one more ends instead (a few cover a worker per test)."""


class WorkflowThreads:
    """Runs callables on up to ``max_threads`` threads, starting them as they are needed."""

    def __init__(self, max_threads: int, *, name_prefix: str) -> None:
        if max_threads < 1:
            raise ValueError(f"at least one workflow thread is needed, got {max_threads}")
        self._max_threads = max_threads
        self._name_prefix = name_prefix
        self._calls: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._shut_down = False

    def submit(self, call: Callable[[], None]) -> None:
        """Queue ``call`` for a thread; it must not raise (it reports its own outcome)."""
        with self._lock:
            if self._shut_down:
                raise RuntimeError("the workflow threads are shut down; no activation can run")
            if self._idle > 0:
                self._idle -= 1  # that thread takes this call
            elif self._threads < self._max_threads:
                self._threads += 1
                self._start_thread(self._threads - 1)
            # else: every thread is busy; the call waits for the first one to finish.
        self._calls.put(call)

    def start_one(self) -> None:
        """Start one idle thread ahead of the first call, unless a thread was started already."""
        with self._lock:
            if self._shut_down or self._threads > 0:
                return
            self._threads += 1
            self._idle += 1  # counted idle from the start: the first call is handed to it
            self._start_thread(0)

    def shutdown(self) -> None:
        """Let every thread go (parked or ended) once the calls queued before this are done."""
        with self._lock:
            self._shut_down = True
            threads = self._threads
        for _ in range(threads):
            self._calls.put(None)

    def serve(self) -> None:
        """Run this pool's calls on the current thread until :py:meth:`shutdown` reaches it."""
        calls = self._calls
        while (call := calls.get()) is not None:
            call()
            with self._lock:
                self._idle += 1

    def _start_thread(self, number: int) -> None:
        name = f"{self._name_prefix}{number}"
        if not _parking.hand_over(self, name):
            threading.Thread(target=_parking.run, args=(self,), name=name, daemon=True).start()


class _Parking:
    """The process's parked workflow threads, each waiting to be handed a pool to serve."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: list[tuple[threading.Thread, queue.SimpleQueue[WorkflowThreads]]] = []

    def hand_over(self, pool: WorkflowThreads, name: str) -> bool:
        """Give ``pool`` a parked thread (renamed ``name``); False when none is parked."""
        with self._lock:
            if not self._parked:
                return False
            thread, assignment = self._parked.pop()
        thread.name = name
        assignment.put(pool)
        return True

    def run(self, pool: WorkflowThreads) -> None:
        """A workflow thread's life: serve a pool, park, serve the next pool it is handed."""
        assignment: queue.SimpleQueue[WorkflowThreads] = queue.SimpleQueue()
        thread = threading.current_thread()
        while True:
            pool.serve()
            with self._lock:
                if len(self._parked) >= _MAX_PARKED:
                    return
                thread.name = _PARKED_NAME
                self._parked.append((thread, assignment))
            del pool  # a parked thread keeps nothing of the pool it served
            pool = assignment.get()


_parking = _Parking()
