"""The deterministic asyncio event loop that workflow code runs on.

It has no clock and no I/O: ``time()`` is workflow time from history, ``call_later`` starts a
durable timer (a command) instead of scheduling on a clock, and ``run_once`` runs ready callbacks
in FIFO order until none is left, the way the official Python SDK's loop does, so the same code
issues its commands in the same order under both SDKs. Everything else an event loop can do (I/O,
subprocesses, executors, signals) raises: it has no place in workflow code.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tempyral.replay import _source

if TYPE_CHECKING:
    from typing_extensions import TypeVarTuple, Unpack

    from tempyral.replay._runtime import WorkflowRuntime
    from tempyral.workflow._runtime_api import WorkflowRuntimeAPI

    _Ts = TypeVarTuple("_Ts")

__all__ = ["DeterministicLoop", "TimerHandle"]

T = TypeVar("T")


class TimerHandle(asyncio.TimerHandle):
    """A loop timer that is a durable Temporal timer numbered ``seq``."""

    def __init__(
        self,
        seq: int,
        when: float,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        loop: DeterministicLoop,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context)
        self.seq = seq


class DeterministicLoop(asyncio.AbstractEventLoop):
    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._tempyral_runtime = runtime
        # What the workflow API finds on the running loop; annotated so that mypy checks here
        # that the runtime provides every call of the workflow API's interface.
        self.tempyral_workflow_api: WorkflowRuntimeAPI = runtime
        self._ready: list[asyncio.Handle] = []
        self._exception_handler: Any = None
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[Any]]] = []

    # -- running --------------------------------------------------------------------------------
    def run_once(self, *, check_conditions: bool) -> None:
        """Run until nothing is ready; wait conditions are checked each time the queue drains."""
        previous = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        try:
            while self._ready:
                self._run_ready()
                if check_conditions:
                    self._conditions[:] = [
                        (fn, fut)
                        for fn, fut in self._conditions
                        if not fut.done() and not self._satisfied(fn, fut)
                    ]
        finally:
            asyncio._set_running_loop(previous)

    def _run_ready(self) -> None:
        """Run the ready handles in order, also those scheduled meanwhile (appended behind).

        A list read by index, not a deque: an empty deque keeps a 64-slot block (~760 B for
        every parked run), an empty list nothing. The handles run are removed together at the
        end (also when one raises), so the queue stays linear in the handles run.
        """
        ready = self._ready
        ran = 0
        try:
            while ran < len(ready):
                handle = ready[ran]
                ran += 1
                if not handle._cancelled:
                    handle._run()
                self._tempyral_runtime.after_callback()
        finally:
            del ready[:ran]

    @property
    def idle(self) -> bool:
        """Nothing is scheduled to run."""
        return not self._ready

    @staticmethod
    def _satisfied(fn: Callable[[], bool], fut: asyncio.Future[Any]) -> bool:
        if fn():
            fut.set_result(True)
            return True
        return False

    def add_condition(self, fn: Callable[[], bool], fut: asyncio.Future[Any]) -> None:
        self._conditions.append((fn, fut))

    # -- what workflow code may use -------------------------------------------------------------
    def time(self) -> float:
        return self._tempyral_runtime.time_ns / 1e9

    def call_soon(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(
        self,
        delay: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self._tempyral_runtime.start_timer(delay, callback, args, context)

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        # asyncio.timeout() (and wait_for on 3.12+) schedule by absolute loop time.
        return self.call_later(round(when - self.time(), 3), callback, *args, context=context)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        assert isinstance(handle, TimerHandle)
        self._tempyral_runtime.cancel_timer(handle)

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(
        self,
        coro: Coroutine[Any, Any, T] | Generator[Any, None, T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[T]:
        if sys.version_info >= (3, 11):
            task = asyncio.Task(coro, loop=self, name=name, context=context)
        else:  # pragma: no cover
            task = asyncio.Task(coro, loop=self, name=name)
        # A run dropped with tasks pending (evicted, or replay ended) is normal here.
        task._log_destroy_pending = False  # type: ignore[attr-defined]
        return task

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return True

    def is_closed(self) -> bool:
        return False

    def get_exception_handler(self) -> Any:
        return self._exception_handler

    def set_exception_handler(self, handler: Any) -> None:
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        if self._tempyral_runtime.deleting:
            return
        exception = context.get("exception")
        self._tempyral_runtime.log.opt(exception=exception).error(
            "{}", context.get("message", "Unhandled exception in workflow code")
        )

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._exception_handler is not None:
            self._exception_handler(self, context)
        else:
            self.default_exception_handler(context)

    def get_task_factory(self) -> None:
        return None

    def _not_allowed(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("workflow code cannot do I/O on its event loop; use an activity")

    getaddrinfo = _not_allowed
    create_connection = _not_allowed
    create_server = _not_allowed
    subprocess_exec = _not_allowed
    subprocess_shell = _not_allowed
    sock_connect = _not_allowed

    # Written out, not assigned like the rest: their signatures are checked against asyncio's.
    def run_in_executor(
        self, executor: Any, func: Callable[[Unpack[_Ts]], T], *args: Unpack[_Ts]
    ) -> asyncio.Future[T]:
        self._not_allowed()

    def add_reader(
        self, fd: Any, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts]
    ) -> None:
        self._not_allowed()

    def add_writer(
        self, fd: Any, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts]
    ) -> None:
        self._not_allowed()

    def add_signal_handler(
        self, sig: int, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts]
    ) -> None:
        self._not_allowed()


_source.BOUNDARY_CODES.update(
    (DeterministicLoop.run_once.__code__, DeterministicLoop._run_ready.__code__)
)
