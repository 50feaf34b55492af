"""Connections through an HTTP CONNECT proxy (a small one run by the test), with basic auth."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import ConnectConfig, HttpConnectProxyConfig, ServiceClient


@dataclass
class ConnectProxy:
    target: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy(target="")
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        request_line = (await reader.readline()).decode().strip()
        headers = {}
        while (line := (await reader.readline()).decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, destination, _ = request_line.split(" ", 2)
        proxy.requests.append((f"{method} {destination}", headers))
        host, port = destination.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writers.append(upstream_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    proxy.target = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        server.close()
        for writer in writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await server.wait_closed()


async def test_calls_go_through_the_proxy_with_basic_auth(
    tempyral_target: str, connect_proxy: ConnectProxy
) -> None:
    config = ConnectConfig(
        target_host=tempyral_target,
        http_connect_proxy_config=HttpConnectProxyConfig(
            target_host=connect_proxy.target, basic_auth=("user", "p@ss:word")
        ),
    )
    client = await ServiceClient.connect(config)
    assert (await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())).server_version
    assert connect_proxy.requests, "the connection did not go through the proxy"
    request, headers = connect_proxy.requests[0]
    assert request == f"CONNECT {tempyral_target}"
    expected = base64.b64encode(b"user:p@ss:word").decode()
    assert headers["proxy-authorization"] == f"Basic {expected}"
