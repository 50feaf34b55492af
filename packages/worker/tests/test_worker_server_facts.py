"""What a starting worker asks the server: the client's ``GetSystemInfo`` answer from connect is
reused, and only a client that never asked (a lazy one) makes the worker ask.

A ``MockTransport`` plays the server and records every call; polls wait until the worker cancels
them at stop, so the worker starts, polls once and stops.
"""

from __future__ import annotations

import asyncio

from google.protobuf.message import Message

from tempyral import activity
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.client import Client
from tempyral.service import ConnectConfig, MockTransport, RPCError, RPCStatusCode, ServiceClient
from tempyral.worker import Worker


@activity.defn
async def unused() -> None:
    raise AssertionError("no activity task is ever answered")


class _RecordingServer:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.polling = asyncio.Event()

    async def __call__(self, rpc: str, request: Message) -> Message:
        self.calls.append(rpc)
        if rpc == "GetSystemInfo":
            return wf.GetSystemInfoResponse(server_version="recorded")
        if rpc == "DescribeNamespace":
            return wf.DescribeNamespaceResponse()
        if rpc == "ShutdownWorker":
            return wf.ShutdownWorkerResponse()
        if rpc == "PollActivityTaskQueue":
            self.polling.set()
            await asyncio.Event().wait()  # until the worker cancels the poll at stop
        raise RPCError(f"{rpc} is not recorded here", RPCStatusCode.UNIMPLEMENTED, b"")


async def _start_and_stop_worker(server: _RecordingServer, *, lazy: bool) -> None:
    service = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1", lazy=lazy), transport=MockTransport(server)
    )
    client = Client(service, namespace="default")
    async with Worker(client, task_queue="facts", activities=[unused]):
        await asyncio.wait_for(server.polling.wait(), timeout=30)


async def test_a_worker_reuses_the_system_info_its_client_got_on_connect() -> None:
    server = _RecordingServer()
    await _start_and_stop_worker(server, lazy=False)
    assert server.calls.count("GetSystemInfo") == 1
    assert server.calls.index("GetSystemInfo") < server.calls.index("DescribeNamespace")


async def test_a_worker_on_a_lazy_client_asks_for_the_system_info() -> None:
    server = _RecordingServer()
    await _start_and_stop_worker(server, lazy=True)
    assert server.calls.count("GetSystemInfo") == 1
    assert server.calls.index("DescribeNamespace") < server.calls.index("GetSystemInfo")
