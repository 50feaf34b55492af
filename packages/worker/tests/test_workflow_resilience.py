"""Workflows under load lose nothing when their worker stops or the server restarts.

* SIGTERM to a tempyral worker process running workflows and their activities: it shuts down
  gracefully (workflow tasks in flight are answered, cached runs evicted, the sticky queue handed
  back) and exits 0; a new worker process then finishes every workflow with every result.
* The dev server (with a database file) is stopped and started again on the same port while an
  in-process worker runs workflows: polls and answers wait for it, and every workflow completes.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client
from tempyral.testing import DevServer
from tempyral.worker import Worker

from .shared_workflows import ACTIVITIES, WORKFLOWS, Load

pytestmark = pytest.mark.integration


def finished(history: Any) -> bool:
    return bool(history.events) and history.events[-1].event_type == (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    )


async def start_load(client: Client, task_queue: str, count: int, *args: int) -> list[Any]:
    return [
        await client.start_workflow(
            Load.run, args=list(args), id=f"load-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(count)
    ]


async def test_sigterm_during_load_loses_nothing(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    task_queue = f"sigterm-{uuid.uuid4()}"
    first = workflow_worker_process("tempyral", tempyral_target, task_queue, "--graceful-ms", "200")
    await first.wait_ready()
    handles = await start_load(client, task_queue, 30, 4, 400)
    await asyncio.sleep(1.5)

    assert await asyncio.to_thread(first.terminate, 30) == 0, first.output()
    assert "STOPPED" in first.output()
    histories = [await handle.fetch_history() for handle in handles]
    assert any(len(history.events) > 5 for history in histories), "no progress before SIGTERM"
    assert not all(finished(history) for history in histories), "all done before SIGTERM"
    second = workflow_worker_process("tempyral", tempyral_target, task_queue)
    await second.wait_ready()
    results = await asyncio.gather(*(asyncio.wait_for(h.result(), 90) for h in handles))

    assert results == [[0, 1, 2, 3]] * 30
    assert await asyncio.to_thread(second.terminate, 30) == 0, second.output()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_server_restart_during_load_loses_nothing(
    tmp_path: Path, connect_client: Any
) -> None:
    server = DevServer(db_filename=tmp_path / "temporal.db", port=free_port())
    await server.start_async()
    try:
        client = await connect_client(server.target)
        task_queue = f"restart-{uuid.uuid4()}"
        async with Worker(
            client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES
        ):
            handles = await start_load(client, task_queue, 15, 6, 300)
            await asyncio.sleep(1.0)
            histories = [await handle.fetch_history() for handle in handles]
            server.stop()
            await asyncio.sleep(2)
            await server.start_async()
            results = await asyncio.gather(*(asyncio.wait_for(h.result(), 120) for h in handles))
        assert results == [[0, 1, 2, 3, 4, 5]] * 15
        assert not any(finished(history) for history in histories), "all done before the stop"
        assert any(len(history.events) > 5 for history in histories), "no progress before it"
    finally:
        server.stop()
