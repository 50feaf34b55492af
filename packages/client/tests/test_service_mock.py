"""MockTransport: a client that talks to a function instead of a server.

These tests need no server: the handler plays the server's part, and what it sees and answers is
what a real server would (the request as the client built it, its error statuses).
"""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf.message import Message

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.client import Client
from tempyral.service import (
    ConnectConfig,
    MockTransport,
    RetryConfig,
    RPCError,
    RPCStatusCode,
    ServiceClient,
)


def answer_system_info(rpc: str, request: Message) -> Message:
    if rpc == "GetSystemInfo":
        return wf.GetSystemInfoResponse(server_version="mock")
    raise RPCError(f"{rpc} is not mocked", RPCStatusCode.UNIMPLEMENTED, b"")


async def test_connect_checks_the_server_through_the_handler() -> None:
    seen: list[str] = []

    def handler(rpc: str, request: Message) -> Message:
        seen.append(rpc)
        return answer_system_info(rpc, request)

    service = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1"), transport=MockTransport(handler)
    )
    info = await service.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert info.server_version == "mock"
    assert seen == ["GetSystemInfo", "GetSystemInfo"]


async def test_a_failing_connect_check_fails_connect() -> None:
    def handler(rpc: str, request: Message) -> Message:
        raise RPCError("server is down", RPCStatusCode.UNAVAILABLE, b"")

    with pytest.raises(RuntimeError, match="Failed client connect: UNAVAILABLE: server is down"):
        await ServiceClient.connect(
            ConnectConfig(target_host="nowhere:1"), transport=MockTransport(handler)
        )


async def test_handler_errors_reach_the_caller_as_rpc_errors_and_are_retried() -> None:
    attempts: list[int] = []

    def handler(rpc: str, request: Message) -> Message:
        assert isinstance(request, wf.DescribeNamespaceRequest)
        attempts.append(1)
        if len(attempts) < 3:
            raise RPCError("try again", RPCStatusCode.UNAVAILABLE, b"")
        return wf.DescribeNamespaceResponse()

    config = ConnectConfig(
        target_host="nowhere:1",
        lazy=True,
        retry_config=RetryConfig(initial_interval_millis=1, max_interval_millis=2),
    )
    service = await ServiceClient.connect(config, transport=MockTransport(handler))
    request = wf.DescribeNamespaceRequest(namespace="default")
    with pytest.raises(RPCError) as raised:
        await service.workflow_service.describe_namespace(request)
    assert raised.value.status == RPCStatusCode.UNAVAILABLE
    assert raised.value.message == "try again"
    await service.workflow_service.describe_namespace(request, retry=True)
    assert len(attempts) == 3


async def test_async_handlers_are_awaited() -> None:
    async def handler(rpc: str, request: Message) -> Message:
        await asyncio.sleep(0)
        return answer_system_info(rpc, request)

    service = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1"), transport=MockTransport(handler)
    )
    info = await service.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert info.server_version == "mock"


async def test_a_wrong_response_type_says_what_the_handler_must_return() -> None:
    def handler(rpc: str, request: Message) -> Message:
        return wf.DescribeNamespaceResponse()

    service = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1", lazy=True), transport=MockTransport(handler)
    )
    with pytest.raises(TypeError, match=r"must return a .*GetSystemInfoResponse or raise RPCError"):
        await service.workflow_service.get_system_info(wf.GetSystemInfoRequest())


def test_a_handler_must_be_callable() -> None:
    with pytest.raises(TypeError, match=r"handler\(rpc, request\)"):
        MockTransport("not a function")  # type: ignore[arg-type]


async def test_a_client_over_a_mock_sends_the_requests_a_server_would_get() -> None:
    starts: list[wf.StartWorkflowExecutionRequest] = []

    def handler(rpc: str, request: Message) -> Message:
        if rpc == "StartWorkflowExecution":
            assert isinstance(request, wf.StartWorkflowExecutionRequest)
            starts.append(request)
            return wf.StartWorkflowExecutionResponse(run_id="run-1")
        return answer_system_info(rpc, request)

    service = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1"), transport=MockTransport(handler)
    )
    client = Client(service, namespace="mocked")
    handle = await client.start_workflow("Greeting", "World", id="wf-1", task_queue="tq")
    assert handle.result_run_id == "run-1"
    [request] = starts
    assert request.namespace == "mocked"
    assert request.workflow_id == "wf-1"
    assert request.workflow_type.name == "Greeting"
    assert request.task_queue.name == "tq"
    assert client.data_converter.payload_converter.from_payloads(request.input.payloads) == [
        "World"
    ]


async def test_connect_keeps_the_system_info_it_got_and_a_lazy_client_has_none() -> None:
    transport = MockTransport(answer_system_info)
    connected = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1"), transport=transport
    )
    lazy = await ServiceClient.connect(
        ConnectConfig(target_host="nowhere:1", lazy=True), transport=transport
    )
    assert connected.system_info is not None
    assert connected.system_info.server_version == "mock"
    assert lazy.system_info is None
