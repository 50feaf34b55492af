"""The official SDK's worker for tempyral.client's integration tests, run as its own process.

    python main.py <target> <namespace> <task_queue>

Registers the custom search attributes the tests use, starts a worker hosting ``workflows.py``
on the task queue, prints ``READY`` and runs until its stdin closes (the test session ends, or
the test process died), then shuts the worker down.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from workflows import ACTIVITIES, WORKFLOWS, HeaderRecorder

SEARCH_ATTRIBUTES = {
    "TempyralKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "TempyralInt": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "TempyralBool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "TempyralDatetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "TempyralKeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


async def register_search_attributes(client: Client, namespace: str) -> None:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {k: v for k, v in SEARCH_ATTRIBUTES.items() if k not in listed.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )


def stop_on_stdin_close(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    def watch() -> None:
        sys.stdin.read()  # returns at EOF: the test process closed the pipe or exited
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, daemon=True).start()


async def main(target: str, namespace: str, task_queue: str) -> None:
    client = await Client.connect(target, namespace=namespace)
    await register_search_attributes(client, namespace)
    stop = asyncio.Event()
    stop_on_stdin_close(asyncio.get_running_loop(), stop)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        interceptors=[HeaderRecorder()],
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        print("READY", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
