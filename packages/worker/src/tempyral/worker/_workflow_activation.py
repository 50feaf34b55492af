"""Running the engine off the event loop, with a deadlock detector.

Workflow code runs synchronously inside the engine (``WorkflowInstance.activate``). The worker
runs each such call on a thread of the workflow task executor, so polls, heartbeats and other
workflows go on meanwhile, and waits for it at most ``deadlock_timeout`` seconds. Workflow code
that holds its thread longer than that (a busy loop, a blocking call) is reported as a
:py:class:`DeadlockError` carrying the stuck thread's Python stack: the workflow task fails with
it, and the thread is interrupted at its next Python instruction so that it comes back to the
pool (code blocked inside a C call comes back when the call returns).

The official SDK fixes the timeout at 2 s; tempyral's worker takes ``workflow_deadlock_timeout``
(``None`` disables it). ``debug_mode`` (or ``TEMPYRAL_DEBUG`` / ``TEMPORAL_DEBUG`` in the
environment) turns detection off, so a breakpoint can pause workflow code for as long as needed,
and runs activations on the event loop's own thread, where debuggers and coverage tools that
trace only the threads they know about see workflow code too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar, cast

from tempyral.worker._workflow_threads import WorkflowThreads

__all__ = ["ActivationRunner", "DeadlockError"]

T = TypeVar("T")

# Frames of these files are the machinery around workflow code, not workflow code.
_MACHINERY = (
    "/threading.py",
    "concurrent/futures/thread.py",
    "tempyral/worker/",
    "tempyral/replay/",
    "asyncio/",
)


class DeadlockError(Exception):
    """Workflow code did not give its thread back within the deadlock timeout."""

    def __init__(self, timeout: float, stack: str) -> None:
        # The official SDK's code and wording, so searches for it find this too.
        super().__init__(
            f"[TMPRL1101] Potential deadlock detected: workflow didn't yield within "
            f"{timeout:g} second(s). Workflow code must not block its thread (no busy loops, "
            "no blocking I/O or locks): use workflow.sleep/wait_condition and activities. "
            "While debugging, run the worker with debug_mode=True (or TEMPYRAL_DEBUG=1). "
            f"The workflow's stack when it was found stuck:\n{stack}"
        )
        self.timeout = timeout
        self.stack = stack


class _Interrupted(SystemExit):
    """Raised into a thread whose activation was given up on (deadlock).

    A ``SystemExit`` so that asyncio's task and callback wrappers let it through: the engine call
    ends at once rather than the workflow code seeing an error it might catch.
    """


class _Call:
    """One engine call on an executor thread; knows its thread while it runs.

    Unlike ``_thread_cancel.ThreadExceptionRaiser`` (activities), an exception set but not yet
    raised when the call ends is never cleared with ``PyThreadState_SetAsyncExc(id, NULL)``: on
    CPython 3.11 that clear leaves the interpreter's eval breaker set, and any thread that is
    traced afterwards (coverage, debuggers) spins forever. Such an exception is raised inside
    ``__call__`` instead, and swallowed there.
    """

    def __init__(self, fn: Callable[[], object]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._thread: int | None = None
        self._finished = False

    def __call__(self) -> object:
        try:
            with self._lock:
                self._thread = threading.get_ident()
            try:
                return self._fn()
            finally:
                with self._lock:
                    self._finished = True
        except _Interrupted:
            return None  # nobody waits for this result any more

    def stack(self) -> str:
        thread = self._thread
        frame = sys._current_frames().get(thread) if thread is not None else None
        if frame is None:
            return "  (the stack could not be read)\n"
        frames = traceback.extract_stack(frame)
        # The thread's outer frames are the executor's and the engine's; the workflow's own
        # begin at the first frame that is neither (what it calls may be machinery again).
        start = next(
            (
                index
                for index, summary in enumerate(frames)
                if not any(part in summary.filename for part in _MACHINERY)
            ),
            0,
        )
        return "".join(traceback.format_list(frames[start:]))

    def interrupt(self) -> None:
        """Raise into the thread, if it still runs this call (it may have moved on)."""
        import ctypes  # only a deadlocked workflow needs it; not every worker's import

        with self._lock:
            if self._thread is None or self._finished:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread), ctypes.py_object(_Interrupted)
            )


class _Expired(Exception):
    """The deadlock timeout passed before the engine call came back."""


class ActivationRunner:
    """Runs engine calls on worker threads with a deadlock timeout (or inline, when debugging).

    ``threads`` (the worker's own) take the cheap path: one queue put and a short blocking wait
    for the outcome (see ``_WAIT_ON_LOOP``); a longer call comes back through the loop, timed.
    A user's ``executor`` is used through ``run_in_executor``.
    """

    def __init__(
        self,
        executor: concurrent.futures.ThreadPoolExecutor | None,
        *,
        deadlock_timeout: float | None,
        inline: bool = False,
        threads: WorkflowThreads | None = None,
    ) -> None:
        self._executor = executor
        self._threads = threads
        self._deadlock_timeout = deadlock_timeout
        self._inline = inline

    @property
    def deadlock_timeout(self) -> float | None:
        return self._deadlock_timeout

    async def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` (an engine call) and return its result; raise DeadlockError if stuck."""
        if self._inline:
            return fn()
        if self._threads is not None:
            return await self._run_on_threads(self._threads, fn)
        call = _Call(fn)
        future = asyncio.get_running_loop().run_in_executor(self._executor, call)
        if self._deadlock_timeout is None:
            return await future  # type: ignore[return-value]
        done, _ = await asyncio.wait({future}, timeout=self._deadlock_timeout)
        if done:
            return future.result()  # type: ignore[return-value]
        stack = call.stack()
        call.interrupt()
        future.add_done_callback(_retrieve)
        raise DeadlockError(self._deadlock_timeout, stack)

    async def _run_on_threads(self, threads: WorkflowThreads, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        call = _Call(fn)
        handoff = _Handoff()
        # Made before the call is handed over: the thread needs it once the loop stops waiting.
        future: asyncio.Future[T] = loop.create_future()

        def on_thread() -> None:
            try:
                result, error = call(), None
            except BaseException as raised:  # handed to the awaiting task, as an executor does
                result, error = None, raised
            if handoff.finish(result, error):
                return
            # RuntimeError: the loop closed meanwhile (a run given up on as deadlocked came
            # back late); nobody waits, and the thread must live on for the next call.
            with contextlib.suppress(RuntimeError):
                if error is None:
                    loop.call_soon_threadsafe(_set_result, future, result)
                else:
                    loop.call_soon_threadsafe(_set_exception, future, error)

        timeout = self._deadlock_timeout
        wait = _WAIT_ON_LOOP if timeout is None else min(_WAIT_ON_LOOP, timeout)
        threads.submit(on_thread)
        if handoff.wait(wait):
            if handoff.error is not None:
                raise handoff.error
            return cast(T, handoff.result)
        if timeout is None:
            return await future
        timer = loop.call_later(timeout - wait, _set_exception, future, _Expired())
        try:
            return await future
        except _Expired:
            stack = call.stack()
            call.interrupt()
            raise DeadlockError(timeout, stack) from None
        finally:
            timer.cancel()


_WAIT_ON_LOOP = 0.002
"""Seconds the event loop waits, blocked, for an engine call before going on with other work.

Most activations take well under a millisecond. Waiting for one costs two lock operations, and
the workflow thread gets the GIL at once (the waiting loop gives it up); not waiting costs a
self-pipe write and a ``select`` wake-up to bring the outcome back through
``call_soon_threadsafe``, a task step, and the thread may wait for the GIL until the busy loop
next blocks. A call still running after the wait (slow or stuck workflow code) comes back through
the loop as before, and its deadlock timer counts the wait in. Other tasks of the loop (polls,
heartbeats) are held up by at most this long.
"""


class _Handoff:
    """The outcome of one call on a workflow thread: taken by the waiting loop, or, once the loop
    stopped waiting, sent to it (the thread is told which under a lock, so it is never lost)."""

    __slots__ = ("_done", "_given_up", "_state", "error", "result")

    def __init__(self) -> None:
        self._state = threading.Lock()
        self._done = threading.Lock()
        self._done.acquire()
        self._given_up = False
        self.result: object = None
        self.error: BaseException | None = None

    def finish(self, result: object, error: BaseException | None) -> bool:
        """On the thread: True when the waiting loop takes the outcome; False: send it."""
        with self._state:
            if self._given_up:
                return False
            self.result = result
            self.error = error
            self._done.release()
            return True

    def wait(self, timeout: float) -> bool:
        """On the loop: True once the outcome is set; False when it will be sent."""
        if self._done.acquire(timeout=timeout):
            return True
        with self._state:
            if not self._done.locked():  # finished between the timeout and here
                return True
            self._given_up = True
            return False


def _set_result(future: asyncio.Future[Any], result: object) -> None:
    if not future.done():  # expired or cancelled meanwhile: nobody waits for it
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()
