"""A server binary run as a child process for tests: the lifecycle both test servers share.

:py:class:`ServerProcess` starts a command on a free loopback port, polls a readiness probe, and
always stops the whole process group: on ``stop()``, on leaving ``with``/``async with`` (test
failures and Ctrl-C included), at interpreter exit, and, on Linux, when the process that started
it dies (``PR_SET_PDEATHSIG``). ``DevServer`` (``temporal server start-dev``) and ``TestServer``
(the Java time-skipping test server) each say only which command to run and how to tell it is
ready.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from typing_extensions import Self

__all__ = ["ServerProcess", "find_script", "free_port"]

_LOG_TAIL_LINES = 40


def free_port(host: str) -> int:
    """A TCP port nobody listens on at ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def find_script(name: str, env_var: str, error: type[Exception], install_hint: str) -> Path:
    """Locate an executable a wheel installed: ``$env_var``, this interpreter's scripts, PATH."""
    override = os.environ.get(env_var)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise error(f"{env_var}={override} is not an executable file.")
        return path
    if sys.platform == "win32":
        name += ".exe"
    candidates = [Path(sys.executable).parent / name, Path(sysconfig.get_path("scripts")) / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise error(
        f"`{name}` was not found next to this Python, nor on PATH. {install_hint} "
        f"or point {env_var} at the binary."
    )


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when the starting thread ends.

    libc is resolved here, in the parent: loading a library between fork and exec could deadlock
    on a loader lock held by another thread (grpc runs several).
    """
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None  # a thread that ends before the server would take the server with it
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


# Servers still running, stopped at interpreter exit in case nobody called stop().
_RUNNING: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


class ServerProcess:
    """A server child process on a free loopback port; subclasses give ``command`` and ``_probe``.

    ``target`` is the ``host:port`` to connect clients to, once started.
    """

    #: What the server is called in messages ("the dev server").
    description: ClassVar[str] = "the server"
    #: The error raised when it cannot be found, started or reached.
    error_type: ClassVar[type[RuntimeError]] = RuntimeError

    def __init__(self, *, host: str, port: int | None, startup_timeout: float) -> None:
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def target(self) -> str:
        """``host:port`` of the gRPC frontend; valid once started."""
        if self.port is None:
            raise self.error_type(f"{self.description} has not been started; call start() first")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        """The command line that starts the server (the port is chosen first)."""
        raise NotImplementedError

    def _probe(self) -> bool:
        """True once the server answers (called from a thread by ``start_async``)."""
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------------------

    def _launch(self) -> None:
        if self.running:
            raise self.error_type(f"{self.description} is already running at {self.target}")
        if self.port is None:
            self.port = free_port(self.host)
        cmd = self.command()
        if self._log_path is None:
            # One log for every start of this server; removed when the object goes away.
            log_dir = tempfile.mkdtemp(prefix="tempyral-server-")
            weakref.finalize(self, shutil.rmtree, log_dir, ignore_errors=True)
            self._log_path = Path(log_dir) / "server.log"
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaps any children
                # Only calls prctl(), resolved before the fork: safe with grpc's threads running.
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509
            )
        _RUNNING.add(self)

    def _check_alive(self, started: float) -> None:
        """Raise if the process died or the startup timeout ran out."""
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            self._process = None
            raise self.error_type(
                f"{self.description} exited with code {code} before it was ready.\n"
                f"command: {' '.join(self.command())}\n{self.log_tail()}"
            )
        if time.monotonic() - started > self.startup_timeout:
            tail = self.log_tail()
            self.stop()
            raise self.error_type(
                f"{self.description} did not answer at {self.target} within "
                f"{self.startup_timeout:.0f}s.\n{tail}"
            )

    def start(self) -> Self:
        """Start the server and block until it is ready."""
        self._launch()
        started = time.monotonic()
        try:
            while True:
                self._check_alive(started)
                if self._probe():
                    break
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        return self

    async def start_async(self) -> Self:
        """Start the server without blocking the event loop."""
        self._launch()
        started = time.monotonic()
        try:
            while True:
                self._check_alive(started)
                if await asyncio.to_thread(self._probe):
                    break
                await asyncio.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its process group; safe to call twice."""
        process, self._process = self._process, None
        _RUNNING.discard(self)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        else:
            # The leader is gone; children it left in the group must go too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines the server wrote, for error messages."""
        if self._log_path is None or not self._log_path.exists():
            return "(no server log)"
        text = self._log_path.read_text(errors="replace").splitlines()[-lines:]
        return "server log (last lines):\n" + "\n".join(f"  {line}" for line in text)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.start_async()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
