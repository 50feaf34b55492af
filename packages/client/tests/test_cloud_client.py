"""CloudOperationsClient against a real local gRPC server that serves only the CloudService.

The server (``grpc.aio``, our generated servicer) records each call's metadata and answers
``GetNamespace``; TLS runs with the session's test CA (``tls_material``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc
import pytest

from tempyral.api.cloud.cloudservice.v1 import request_response_pb2 as cloud
from tempyral.api.cloud.cloudservice.v1 import service_pb2_grpc as cloud_grpc
from tempyral.api.cloud.namespace.v1 import message_pb2 as namespace
from tempyral.client import CloudOperationsClient
from tempyral.service import TLSConfig

if TYPE_CHECKING:
    from conftest import TLSMaterial


@dataclass
class _Recorder(cloud_grpc.CloudServiceServicer):
    seen: list[dict[str, str | bytes]] = field(default_factory=list)

    async def GetNamespace(  # type: ignore[override]
        self, request: cloud.GetNamespaceRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> cloud.GetNamespaceResponse:
        self.seen.append(dict(context.invocation_metadata() or ()))
        return cloud.GetNamespaceResponse(
            namespace=namespace.Namespace(namespace=request.namespace, resource_version="rv-7")
        )


@dataclass
class _CloudServer:
    target: str
    recorder: _Recorder


async def _serve(
    credentials: grpc.ServerCredentials | None,
) -> tuple[grpc.aio.Server, _CloudServer]:
    server = grpc.aio.server()
    recorder = _Recorder()
    cloud_grpc.add_CloudServiceServicer_to_server(recorder, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    return server, _CloudServer(f"localhost:{port}", recorder)


@pytest.fixture
async def plain_server() -> AsyncIterator[_CloudServer]:
    server, found = await _serve(None)
    yield found
    await server.stop(None)


@pytest.fixture
async def tls_server(tls_material: TLSMaterial) -> AsyncIterator[_CloudServer]:
    credentials = grpc.ssl_server_credentials([(tls_material.server_key, tls_material.server_cert)])
    server, found = await _serve(credentials)
    yield found
    await server.stop(None)


async def test_calls_carry_the_api_key_version_and_metadata(plain_server: _CloudServer) -> None:
    # Not lazy: connecting checks the server, which has no workflow service (UNIMPLEMENTED).
    client = await CloudOperationsClient.connect(
        api_key="key-1",
        version="2024-10-01-00",
        target_host=plain_server.target,
        tls=False,
        rpc_metadata={"x-team": "ops"},
        identity="ops-bot",
    )
    resp = await client.cloud_service.get_namespace(cloud.GetNamespaceRequest(namespace="ns.acct"))
    assert (resp.namespace.namespace, resp.namespace.resource_version) == ("ns.acct", "rv-7")
    headers = plain_server.recorder.seen[-1]
    assert headers["authorization"] == "Bearer key-1"
    assert headers["temporal-cloud-api-version"] == "2024-10-01-00"
    assert headers["x-team"] == "ops"
    assert client.identity == "ops-bot"
    assert client.api_key == "key-1"
    assert client.rpc_metadata["temporal-cloud-api-version"] == "2024-10-01-00"


async def test_api_key_and_metadata_updates_apply_to_the_next_call(
    plain_server: _CloudServer,
) -> None:
    client = await CloudOperationsClient.connect(
        api_key="old", version="v1", target_host=plain_server.target, tls=False, lazy=True
    )
    client.api_key = "new"
    client.rpc_metadata = {"x-team": "billing"}
    await client.cloud_service.get_namespace(cloud.GetNamespaceRequest(namespace="ns"))
    headers = plain_server.recorder.seen[-1]
    assert headers["authorization"] == "Bearer new"
    assert headers["x-team"] == "billing"
    # Replacing the metadata replaces the version header too, as in the official SDK.
    assert "temporal-cloud-api-version" not in headers
    assert client.identity  # the default identity (pid@host)


async def test_tls_is_on_by_default(plain_server: _CloudServer) -> None:
    with pytest.raises(RuntimeError, match="does not speak TLS"):
        await CloudOperationsClient.connect(api_key="k", target_host=plain_server.target)


async def test_calls_over_tls_with_a_custom_ca(
    tls_server: _CloudServer, tls_material: TLSMaterial
) -> None:
    client = await CloudOperationsClient.connect(
        api_key="tls-key",
        target_host=tls_server.target,
        tls=TLSConfig(server_root_ca_cert=tls_material.ca_cert, domain="localhost"),
    )
    resp = await client.cloud_service.get_namespace(cloud.GetNamespaceRequest(namespace="sec"))
    assert resp.namespace.namespace == "sec"
    assert tls_server.recorder.seen[-1]["authorization"] == "Bearer tls-key"
