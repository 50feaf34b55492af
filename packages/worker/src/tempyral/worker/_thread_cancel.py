"""Raising the cancellation exception inside a synchronous activity's thread.

A ``def`` activity runs in an executor thread that nothing can interrupt from outside, except
CPython's ``PyThreadState_SetAsyncExc``: it makes the thread raise an exception at its next
bytecode boundary (not inside a blocking C call such as ``time.sleep``). The official SDK raises
:py:class:`tempyral.exceptions.CancelledError` that way; so does this module, unless the activity
was defined with ``no_thread_cancel_exception=True``, and holds it back while the activity is
inside ``activity.shield_thread_cancel_exception()``.

Where the interpreter has no ``ctypes.pythonapi`` (PyPy, GraalPy), nothing is raised: the
activity sees the cancellation through ``activity.is_cancelled()``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["ThreadExceptionRaiser", "async_exceptions_supported"]


@functools.cache
def _set_async_exc() -> Callable[[int, type[BaseException] | None], int] | None:
    # Looked up on first use: importing ctypes costs every worker's import, and most workers never
    # cancel a thread.
    import ctypes

    api = getattr(ctypes, "pythonapi", None)
    function = getattr(api, "PyThreadState_SetAsyncExc", None)
    if function is None:
        return None
    function.argtypes = (ctypes.c_ulong, ctypes.py_object)
    function.restype = ctypes.c_int

    def call(thread_id: int, exc_type: type[BaseException] | None) -> int:
        # NULL (None here) clears an exception set earlier but not raised yet.
        obj = ctypes.py_object(exc_type) if exc_type is not None else ctypes.py_object()
        return int(function(ctypes.c_ulong(thread_id), obj))

    return call


def _checkpoint() -> None:
    """A call: entering it, the interpreter raises an exception set for this thread."""


def _absorb_pending_exception() -> None:
    """Raise here, and drop, an exception set for this thread but not raised yet.

    Not raised yet? Then never: the executor's own code runs next. Clearing it with
    ``PyThreadState_SetAsyncExc(id, NULL)`` instead would leave CPython 3.11's eval breaker set for
    good, and the next thread to be traced (coverage, a debugger) would spin forever.
    """
    with contextlib.suppress(BaseException):  # meant for the code that just ended
        _checkpoint()


def async_exceptions_supported() -> bool:
    """Whether this interpreter can raise an exception in another thread."""
    return _set_async_exc() is not None


class ThreadExceptionRaiser:
    """Raises an exception in the thread running an activity, when that is safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending: type[BaseException] | None = None
        self._shield_depth = 0
        self._fired = False

    @contextmanager
    def active_thread(self) -> Iterator[None]:
        """Mark the current thread as the one to raise in while the block runs."""
        thread_id = threading.get_ident()
        with self._lock:
            self._thread_id = thread_id
        try:
            yield None
        finally:
            with self._lock:
                self._thread_id = None
                self._pending = None
                fired, self._fired = self._fired, False
            if fired:
                _absorb_pending_exception()

    def raise_in_thread(self, exc_type: type[BaseException]) -> None:
        """Raise ``exc_type`` in the activity's thread now, or when its shield blocks end."""
        with self._lock:
            self._pending = exc_type
            self._fire_if_due()

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold back the exception until the outermost shielded block ends."""
        with self._lock:
            self._shield_depth += 1
        try:
            yield None
        finally:
            with self._lock:
                self._shield_depth -= 1
                self._fire_if_due()

    def _fire_if_due(self) -> None:
        if self._thread_id is None or self._shield_depth > 0 or self._pending is None:
            return
        set_async_exc = _set_async_exc()
        if set_async_exc is None:
            return
        set_async_exc(self._thread_id, self._pending)
        self._pending = None
        self._fired = True
