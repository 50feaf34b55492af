"""The determinism guard: calls that break replay raise inside workflow code.

Two mechanisms, both idle unless workflow code is running:

- an audit hook (``sys.addaudithook``) for what CPython audits: opening files, sockets and name
  lookups, subprocesses and ``os.system``/``exec``/``fork``, file system changes;
- shims over what is not audited: ``time.time``/``time_ns``/``perf_counter``/``monotonic``,
  ``time.sleep``, ``threading.Thread.start``, the global ``random`` functions,
  ``uuid.uuid1``/``uuid4`` and ``os.urandom``. Names bound before tempyral was imported
  (``from time import time``) keep the original function and are not caught.
  ``datetime.now()`` cannot be shimmed (a C type) and is not caught: use ``workflow.now()``.

A violation raises :py:class:`RestrictedWorkflowAccessError` where it happens and is also recorded,
so the workflow task fails even when the code catches the error. Escape hatches:
``workflow.unsafe.sandbox_unrestricted()`` (and ``imports_passed_through()``) suspend the guard;
``@workflow.defn(sandboxed=False)`` runs a workflow without it. Imports stay allowed: module files
are read by the import system, not by workflow code.

Garbage collection is not workflow code: finalizers and weakref callbacks of objects collected
while a workflow runs (a temporary directory's cleanup, a socket's close) run unguarded.

The guard's state is per thread (a worker runs activations of different workflows on several
threads at once); within a thread the engine runs one activation at a time.
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import gc
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "RestrictedWorkflowAccessError",
    "active",
    "is_active",
    "resume",
    "suspend",
    "suspended",
]


class RestrictedWorkflowAccessError(Exception):
    """Workflow code called something that would make replay nondeterministic."""

    def __init__(self, what: str) -> None:
        self.qualified_name = what
        super().__init__(
            f"Cannot call {what} from workflow code: its result would differ on replay. Use the"
            " workflow API instead (workflow.now(), workflow.random(), workflow.uuid4(),"
            " workflow.sleep(), activities for I/O), or wrap code you vouch for in"
            " `with workflow.unsafe.sandbox_unrestricted():`."
        )


class _State(threading.local):
    # Class attributes are each thread's defaults; assignments stay in the assigning thread.
    thread: int | None = None  # the thread running guarded workflow code
    depth = 0  # > 0 while suspended
    violations: list[RestrictedWorkflowAccessError] | None = None


_state = _State()

# Audit events that mean I/O, processes or threads. ``open`` is checked apart (imports read files).
_FORBIDDEN_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "socket.__new__",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "os.kill",
        "os.remove",
        "os.rename",
        "os.mkdir",
        "os.rmdir",
        "os.listdir",
        "os.scandir",
        "os.chdir",
        "os.truncate",
        "shutil.rmtree",
        "shutil.copyfile",
        "_thread.start_new_thread",
        "time.sleep",
        "urllib.Request",
        "http.client.connect",
        "ftplib.connect",
        "smtplib.connect",
        "webbrowser.open",
        "ctypes.dlopen",
    }
)
_IMPORT_FILES = ("<frozen importlib._bootstrap", "<frozen zipimport>")
# Formatting a traceback reads source files: diagnostics, not workflow behaviour.
_DIAGNOSTIC_FILES = ("linecache.py", "tokenize.py", "traceback.py", "ast.py")
_ALLOWED_CALLER_MODULES = frozenset(
    {"logging", "asyncio.events", "asyncio.base_events", "warnings", "linecache"}
)


def is_active() -> bool:
    return _state.thread is not None and _state.depth == 0 and _state.thread == _thread.get_ident()


def _violate(what: str) -> None:
    error = RestrictedWorkflowAccessError(what)
    if _state.violations is not None:
        _state.violations.append(error)
    raise error


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _state.thread is None or _state.depth or _state.thread != _thread.get_ident():
        return
    if event != "open" and event not in _FORBIDDEN_EVENTS:
        return
    caller = sys._getframe(1).f_code.co_filename
    if caller.startswith(_IMPORT_FILES) or caller.endswith(_DIAGNOSTIC_FILES):
        return  # the import system and source lookups read files, not workflow code
    _violate(f"open({args[0]!r})" if event == "open" else event)


def _shim(module: Any, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(module, name)

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if (
            _state.thread is not None
            and not _state.depth
            and _state.thread == _thread.get_ident()
            and sys._getframe(1).f_globals.get("__name__") not in _ALLOWED_CALLER_MODULES
        ):
            _violate(label)
        return original(*args, **kwargs)

    guarded.__tempyral_original__ = original  # type: ignore[attr-defined]
    setattr(module, name, guarded)


def _unguard_collection(phase: str, _info: dict[str, int]) -> None:
    # Cyclic collection can start inside any allocation of workflow code and runs finalizers of
    # unrelated objects then; their I/O is not the workflow's.
    if phase == "start":
        _state.depth += 1
    elif _state.depth:
        _state.depth -= 1


_installed: list[bool] = []


def install() -> None:
    """Install the audit hook and shims (once per process; idle until ``active()``)."""
    if _installed:
        return
    _installed.append(True)
    sys.addaudithook(_audit)
    gc.callbacks.append(_unguard_collection)
    for name in ("time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns"):
        _shim(time, name, f"time.{name}()")
    for name in (
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "getrandbits",
        "gauss",
        "normalvariate",
        "triangular",
        "betavariate",
        "expovariate",
        "randbytes",
        "seed",
    ):
        if hasattr(random, name):
            _shim(random, name, f"random.{name}() (the global generator)")
    _shim(time, "sleep", "time.sleep()")
    _shim(threading.Thread, "start", "threading.Thread.start() (a new thread)")
    _shim(uuid, "uuid1", "uuid.uuid1()")
    _shim(uuid, "uuid4", "uuid.uuid4()")
    _shim(os, "urandom", "os.urandom()")


@contextlib.contextmanager
def active(violations: list[RestrictedWorkflowAccessError]) -> Iterator[None]:
    """Guard the current thread while workflow code runs; violations are appended to the list."""
    previous = (_state.thread, _state.depth, _state.violations)
    _state.thread, _state.depth, _state.violations = _thread.get_ident(), 0, violations
    try:
        yield
    finally:
        _state.thread, _state.depth, _state.violations = previous


def suspend() -> None:
    """Stop guarding this thread until the matching :py:func:`resume` (suspensions nest)."""
    _state.depth += 1


def resume() -> None:
    """End the latest :py:func:`suspend` of this thread."""
    _state.depth -= 1


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No guarding inside (``workflow.unsafe.imports_passed_through()``)."""
    suspend()
    try:
        yield
    finally:
        resume()
