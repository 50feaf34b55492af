"""The threads workflow activations run on, when the worker is not given an executor.

A ``ThreadPoolExecutor`` with ``run_in_executor`` costs, per call, two locks and a Python-level
queue in ``submit``, a ``concurrent.futures.Future`` chained to an asyncio one, and a thread
check at every submit; for a workflow task that is a sizeable share of the worker's CPU. Here a
call is one ``SimpleQueue.put`` (in C) and one ``call_soon_threadsafe`` back: idle threads wait
on one queue, and a thread is started only when none is idle (up to ``max_threads``), so a
thread stuck in workflow code (a deadlock) never holds up the others.

Threads are daemons: a thread stuck inside a blocking call in workflow code does not keep the
process from exiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["WorkflowThreads"]


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
        """Let every thread end once the calls queued before this are done."""
        with self._lock:
            self._shut_down = True
            threads = self._threads
        for _ in range(threads):
            self._calls.put(None)

    def _serve(self) -> None:
        calls = self._calls
        while (call := calls.get()) is not None:
            call()
            with self._lock:
                self._idle += 1

    def _start_thread(self, number: int) -> None:
        threading.Thread(
            target=self._serve, name=f"{self._name_prefix}{number}", daemon=True
        ).start()
