"""The threads workflow activations run on, when the worker is not given an executor.

A ``ThreadPoolExecutor`` with ``run_in_executor`` costs, per call, two locks and a Python-level
queue in ``submit``, a ``concurrent.futures.Future`` chained to an asyncio one, and a thread
check at every submit; for a workflow task that is a sizeable share of the worker's CPU. Here a
call is one ``SimpleQueue.put`` (in C) to an idle thread and one ``call_soon_threadsafe`` back.
A thread is started only when none is idle (up to ``max_threads``); when every thread is busy
the call waits for the first to finish, so a thread stuck in workflow code (a deadlock) never
holds up the others.

A thread whose worker shut down is parked (a few per process) rather than ended, and the next
worker takes parked threads before starting any: starting a thread blocks the event loop until
the new thread runs (0.15 ms and more on a busy machine, and the first activations on a new
thread are slower), which a test suite starting a worker per test would pay every time. Handing
a thread over wakes nothing: an idle thread waits on a queue of its own, and only which pool
it belongs to changes. A parked thread holds nothing of its last worker, and takes up the
trace and profile hooks of ``threading.settrace``/``setprofile`` as a new thread would (debuggers
and coverage see the workflow code it runs). A forked child forgets the parked threads (they do
not exist there).

Threads are daemons: a thread stuck inside a blocking call in workflow code does not keep the
process from exiting.
"""

from __future__ import annotations

import collections
import os
import queue
import sys
import threading
from collections.abc import Callable

__all__ = ["WorkflowThreads"]

_Call = Callable[[], None]

_PARKED_NAME = "tempyral_workflow_parked"
_MAX_PARKED = 8
"""Idle threads kept for later workers; one more ends instead (a few cover a worker per test)."""


class _Thread:
    """One workflow thread: its own queue of calls, and the pool it serves (None: parked)."""

    __slots__ = ("calls", "owner", "taken_over", "thread")

    def __init__(self, owner: WorkflowThreads, name: str) -> None:
        self.calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self.owner: WorkflowThreads | None = owner
        # Taken from the parking: takes up the trace and profile hooks as a new thread would.
        self.taken_over = False
        self.thread = threading.Thread(target=_serve, args=(self,), name=name, daemon=True)


class _Parked:
    """The process's parked threads, and the one lock every pool's bookkeeping takes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: list[_Thread] = []

    def forget(self) -> None:
        """In a forked child: the parked threads stayed in the parent, the lock may be held."""
        self.lock = threading.Lock()
        self.threads = []


_parked = _Parked()
os.register_at_fork(after_in_child=_parked.forget)


class WorkflowThreads:
    """Runs callables on up to ``max_threads`` threads, taking or starting them as needed."""

    def __init__(self, max_threads: int, *, name_prefix: str) -> None:
        if max_threads < 1:
            raise ValueError(f"at least one workflow thread is needed, got {max_threads}")
        self._max_threads = max_threads
        self._name_prefix = name_prefix
        self._threads = 0
        self._idle: list[_Thread] = []
        self._backlog: collections.deque[_Call] = collections.deque()
        self._shut_down = False

    def submit(self, call: _Call) -> None:
        """Queue ``call`` for a thread; it must not raise (it reports its own outcome)."""
        with _parked.lock:
            if self._shut_down:
                raise RuntimeError("the workflow threads are shut down; no activation can run")
            if not self._idle:
                if self._threads >= self._max_threads:
                    self._backlog.append(call)  # every thread is busy: the first free takes it
                    return
                self._add_thread()
            worker = self._idle.pop()  # the last to finish: its caches are the warmest
        worker.calls.put(call)

    def start_one(self) -> None:
        """Have one idle thread ahead of the first call, unless the pool has a thread already."""
        with _parked.lock:
            if self._shut_down or self._threads > 0:
                return
            self._add_thread()

    def shutdown(self) -> None:
        """Let every thread go (parked or ended) once the calls queued before this are done."""
        with _parked.lock:
            self._shut_down = True
            idle, self._idle = self._idle, []
            ending = [worker for worker in idle if not _park(worker)]
        for worker in ending:
            worker.calls.put(None)

    def _add_thread(self) -> None:
        """Give the pool one more idle thread, a parked one if any (called holding the lock)."""
        name = f"{self._name_prefix}{self._threads}"
        self._threads += 1
        while _parked.threads:
            worker = _parked.threads.pop()
            if worker.thread.is_alive():
                worker.owner = self
                worker.taken_over = True
                worker.thread.name = name
                self._idle.append(worker)
                return
        worker = _Thread(self, name)
        self._idle.append(worker)  # its queue holds a call handed over before it runs
        worker.thread.start()

    def _after_call(self, worker: _Thread) -> _Call | None:
        """The thread's next call from the backlog, or None once it went idle or was parked;
        raises _End when the thread is to end."""
        with _parked.lock:
            if self._backlog:
                return self._backlog.popleft()
            if not self._shut_down:
                self._idle.append(worker)
                return None
            if _park(worker):
                return None
        raise _End


def _take_up_thread_hooks() -> None:
    """Trace and profile this thread as ``threading.settrace``/``setprofile`` ask for new threads
    (a debugger or coverage tool set them after the thread was started for an earlier worker)."""
    sys.settrace(threading.gettrace())
    sys.setprofile(threading.getprofile())


class _End(Exception):
    """The thread's pool shut down and enough threads are parked: the thread ends."""


def _park(worker: _Thread) -> bool:
    """Park an idle thread whose pool shut down (called holding the lock); False when full."""
    if len(_parked.threads) >= _MAX_PARKED:
        return False
    worker.owner = None
    worker.thread.name = _PARKED_NAME
    _parked.threads.append(worker)
    return True


def _serve(worker: _Thread) -> None:
    call = worker.calls.get()
    while call is not None:
        if worker.taken_over:
            _take_up_thread_hooks()
            worker.taken_over = False
        call()
        owner = worker.owner
        assert owner is not None  # a thread is handed calls only by the pool that owns it
        try:
            call = owner._after_call(worker)
        except _End:
            return
        del owner  # not held while waiting: a parked thread keeps nothing of its last pool
        if call is None:
            call = worker.calls.get()
