"""Nothing is lost under load when the worker process is stopped, or the server restarts.

* SIGTERM to a worker process (``scripts/activity_worker.py``) in the middle of a load: the
  worker shuts down gracefully (activities still running after the grace period are reported as
  retryable ``WorkerShutdown`` failures), exits 0, and once a new worker process runs, every
  workflow completes with every result.
* The dev server (with a database file) is stopped and started again on the same port in the
  middle of a load: the worker waits for it, resumes polling, delivers the outcomes it held, and
  every workflow completes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tempyral import activity
from tempyral.testing import DevServer
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).parent / "scripts" / "activity_worker.py"


class WorkerProcess:
    def __init__(self, target: str, task_queue: str, graceful_ms: int) -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                "--target",
                target,
                "--task-queue",
                task_queue,
                "--graceful-ms",
                str(graceful_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.strip() == "READY":
                self.ready.set()

    def completed(self) -> int:
        found = [line for line in self.lines if line.startswith("COMPLETED ")]
        assert found, "".join(self.lines)
        return int(found[-1].split()[1])

    def stop(self, timeout: float) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


async def test_sigterm_during_load_loses_nothing(
    harness: Any, tempyral_target: str, task_queue: str
) -> None:
    first = WorkerProcess(tempyral_target, task_queue, graceful_ms=100)
    second: WorkerProcess | None = None
    try:
        assert await asyncio.to_thread(first.ready.wait, 30), "".join(first.lines)
        spec = {
            "activity": "slow_index",
            "args": [400],
            "task_queue": task_queue,
            "count": 5,
            "retry": {"initial_ms": 200, "backoff": 1.0},
        }
        workflow_ids = [await harness.start("RunMany", spec) for _ in range(20)]
        await asyncio.sleep(1.5)
        code = await asyncio.to_thread(first.stop, 30)
        assert code == 0, "".join(first.lines)
        done_by_first = first.completed()
        assert 0 < done_by_first < 100
        second = WorkerProcess(tempyral_target, task_queue, graceful_ms=5000)
        results = await asyncio.gather(
            *(harness.result(workflow_id, timeout=120) for workflow_id in workflow_ids)
        )
        assert results == [[0, 1, 2, 3, 4]] * 20
        assert await asyncio.to_thread(second.stop, 30) == 0
        assert done_by_first + second.completed() >= 100
    finally:
        first.kill()
        if second is not None:
            second.kill()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


done: list[int] = []


@activity.defn
async def step(delay_ms: int, index: int) -> int:
    await asyncio.sleep(delay_ms / 1000)
    done.append(index)
    return index


async def test_server_restart_during_load_loses_nothing(
    tmp_path: Path,
    task_queue: str,
    connect_client: Any,
    official_host_factory: Any,
    harness_factory: Any,
) -> None:
    done.clear()
    server = DevServer(db_filename=tmp_path / "temporal.db", port=free_port())
    await server.start_async()
    host = None
    try:
        host = await asyncio.to_thread(
            official_host_factory(server.target, f"restart-host-{os.getpid()}").start
        )
        client = await connect_client(server.target)
        harness = harness_factory(client, host.task_queue)
        async with Worker(client, task_queue=task_queue, activities=[step]):
            spec = {
                "activity": "step",
                "args": [200],
                "task_queue": task_queue,
                "count": 6,
                "retry": {"initial_ms": 200, "backoff": 1.0},
            }
            workflow_ids = [await harness.start("RunMany", spec) for _ in range(10)]
            await asyncio.sleep(1.0)
            before_restart = len(done)
            server.stop()
            await asyncio.sleep(3)
            await server.start_async()
            results = await asyncio.gather(
                *(harness.result(workflow_id, timeout=120) for workflow_id in workflow_ids)
            )
        assert results == [list(range(6))] * 10
        assert 0 < before_restart < len(done)
    finally:
        if host is not None:
            await asyncio.to_thread(host.stop)
        server.stop()
