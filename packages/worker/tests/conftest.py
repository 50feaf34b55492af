"""Fixtures for the worker tests: a client, worker processes of either SDK, and a workflow harness.

The activity tests run their workflows on an official ``temporalio`` worker in its own process
(``official/host.py``), on the session dev server: tests run a tempyral :py:class:`Worker` on a
task queue of their own and start ``RunActivity`` / ``RunMany`` workflows, through
``tempyral.client``, whose activities target it, so each is also an interoperability test. The
workflow tests run ``shared_workflows.py`` on tempyral workers in-process, or on a worker process
of either SDK (``scripts/workflow_worker.py``, fixture ``workflow_worker_process``). Helpers are
fixtures or plain modules (``shared_workflows``): test modules do not import each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tempyral.client import Client
from tempyral.testing import DevServer

HERE = Path(__file__).parent
HOST_SCRIPT = HERE / "official" / "host.py"
WORKFLOW_WORKER_SCRIPT = HERE / "scripts" / "workflow_worker.py"


async def connect(target: str, **kwargs: Any) -> Client:
    return await Client.connect(target, identity="tempyral-worker-tests", **kwargs)


class OfficialHost:
    """The official-SDK worker process hosting RunActivity and RunMany."""

    def __init__(
        self, target: str, task_queue: str, script: Path = HOST_SCRIPT, *extra: str
    ) -> None:
        self.target = target
        self.task_queue = task_queue
        self.script = script
        self.extra = extra
        self.process: subprocess.Popen[str] | None = None
        self._output: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self, timeout: float = 60.0) -> OfficialHost:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(self.script),
                "--target",
                self.target,
                "--task-queue",
                self.task_queue,
                *self.extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        ready = threading.Event()

        def read() -> None:
            assert self.process is not None
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self._output.append(line)
                if line.strip() == "READY":
                    ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not ready.wait(timeout):
            self.stop()
            pytest.fail(f"the official host did not start:\n{self.output()}")
        return self

    def output(self) -> str:
        return "".join(self._output[-60:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


class WorkflowWorkerProcess:
    """``scripts/workflow_worker.py``: shared_workflows.py on a worker of either SDK."""

    def __init__(self, sdk: str, target: str, task_queue: str, *extra: str) -> None:
        self.sdk = sdk
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(WORKFLOW_WORKER_SCRIPT),
                "--sdk",
                sdk,
                "--target",
                target,
                "--task-queue",
                task_queue,
                *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.strip() == "READY":
                self.ready.set()

    def output(self) -> str:
        return "".join(self.lines[-80:])

    async def wait_ready(self, timeout: float = 60) -> None:
        if not await asyncio.to_thread(self.ready.wait, timeout):
            raise AssertionError(f"the {self.sdk} worker did not start:\n{self.output()}")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM (graceful shutdown); the exit code."""
        self.process.send_signal(15)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


@pytest.fixture
def workflow_worker_process() -> Iterator[Any]:
    """``workflow_worker_process(sdk, target, task_queue, *args)``: a started process, killed at
    the end of the test if still running."""
    started: list[WorkflowWorkerProcess] = []

    def start(sdk: str, target: str, task_queue: str, *extra: str) -> WorkflowWorkerProcess:
        process = WorkflowWorkerProcess(sdk, target, task_queue, *extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


@pytest.fixture(scope="session")
def official_host(tempyral_dev_server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(tempyral_dev_server.target, f"official-host-{uuid.uuid4()}").start()
    yield host
    host.stop()


class Harness:
    """Starts the host's workflows and waits for their results."""

    def __init__(self, client: Client, host_task_queue: str) -> None:
        self.client = client
        self.host_task_queue = host_task_queue

    async def start(self, workflow: str, arg: Any, *, workflow_id: str | None = None) -> str:
        handle = await self.client.start_workflow(
            workflow,
            arg,
            id=workflow_id or f"{workflow}-{uuid.uuid4()}",
            task_queue=self.host_task_queue,
        )
        return handle.id

    async def result(self, workflow_id: str, *, timeout: float = 60.0) -> Any:
        """The workflow's result (raises WorkflowFailureError if it failed)."""
        handle = self.client.get_workflow_handle(workflow_id)
        return await asyncio.wait_for(handle.result(), timeout)

    async def signal(self, workflow_id: str, name: str) -> None:
        await self.client.get_workflow_handle(workflow_id).signal(name)

    async def run_activity(self, spec: dict[str, Any], *, timeout: float = 60.0) -> Any:
        """Run RunActivity with ``spec`` and return its outcome dict."""
        workflow_id = await self.start("RunActivity", spec)
        return await self.result(workflow_id, timeout=timeout)


@pytest.fixture
async def client(tempyral_target: str) -> Client:
    return await connect(tempyral_target)


@pytest.fixture
def harness(client: Client, official_host: OfficialHost) -> Harness:
    return Harness(client, official_host.task_queue)


@pytest.fixture
def task_queue() -> str:
    """A task queue of the test's own, for its tempyral worker."""
    return f"tempyral-activities-{uuid.uuid4()}"


@pytest.fixture
def connect_client() -> Any:
    """``await connect_client(target)``: a Client for another server (restart tests)."""
    return connect


@pytest.fixture
def official_host_factory() -> Any:
    """``OfficialHost(target, task_queue).start()`` for servers other than the session's."""
    return OfficialHost


@pytest.fixture
def harness_factory() -> Any:
    return Harness


async def _eventually(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s")
        await asyncio.sleep(0.02)


@pytest.fixture
def eventually() -> Any:
    """``await eventually(predicate, timeout=10)``: poll until ``predicate()`` is true."""
    return _eventually
