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
from typing import Any, TypeVar

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

    ``threads`` (the worker's own) take the cheap path: one queue put, one timer and one
    wake-up of the loop per call. A user's ``executor`` is used through ``run_in_executor``.
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
        future: asyncio.Future[T] = loop.create_future()
        call = _Call(fn)

        def on_thread() -> None:
            try:
                result = call()
            except BaseException as error:  # handed to the awaiting task, as an executor does
                outcome: tuple[Callable[..., None], object] = (_set_exception, error)
            else:
                outcome = (_set_result, result)
            # RuntimeError: the loop closed meanwhile (a run given up on as deadlocked came
            # back late); nobody waits, and the thread must live on for the next call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(outcome[0], future, outcome[1])

        threads.submit(on_thread)
        timeout = self._deadlock_timeout
        if timeout is None:
            return await future
        timer = loop.call_later(timeout, _set_exception, future, _Expired())
        try:
            return await future
        except _Expired:
            stack = call.stack()
            call.interrupt()
            raise DeadlockError(timeout, stack) from None
        finally:
            timer.cancel()


def _set_result(future: asyncio.Future[Any], result: object) -> None:
    if not future.done():  # expired or cancelled meanwhile: nobody waits for it
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()
