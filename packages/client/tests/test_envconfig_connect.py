"""Profiles connect: a TOML profile (plaintext and mutual TLS) drives a real connection."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.envconfig import ClientConfig
from tempyral.service import ConnectConfig, ServiceClient

if TYPE_CHECKING:
    from conftest import RecordingProxy, TLSEndpoints


async def connect(settings: Any) -> ServiceClient:
    """What ``Client.connect(**settings)`` does with the connection settings."""
    config = ConnectConfig(
        target_host=settings["target_host"],
        api_key=settings.get("api_key"),
        tls=settings.get("tls"),
        rpc_metadata=settings.get("rpc_metadata", {}),
    )
    return await ServiceClient.connect(config)


async def test_profile_address_and_metadata_reach_the_server(
    recording_proxy: RecordingProxy, tmp_path: Path
) -> None:
    tag = str(uuid.uuid4())
    config_file = tmp_path / "temporal.toml"
    config_file.write_text(
        f"""
[profile.local]
address = "{recording_proxy.target}"
namespace = "default"

[profile.local.grpc_meta]
X_Tag = "{tag}"
"""
    )
    env = {"TEMPORAL_CONFIG_FILE": str(config_file), "TEMPORAL_GRPC_META_X_EXTRA": "from-env"}
    settings = ClientConfig.load_client_connect_config("local", override_env_vars=env)
    assert settings["namespace"] == "default"
    client = await connect(settings)
    await client.workflow_service.describe_namespace(
        wf.DescribeNamespaceRequest(namespace="default")
    )
    calls = recording_proxy.calls_with("x-tag", tag)
    assert len(calls) == 2  # connect, describe
    assert calls[-1].metadata["x-extra"] == "from-env"


async def test_mutual_tls_profile_with_certificate_files(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    ca = pki.write("profile-ca.pem", pki.ca_cert)
    cert = pki.write("profile-client.pem", pki.client_cert)
    key = pki.write("profile-client.key", pki.client_key)
    toml = f"""
[profile.default]
address = "{tls_endpoints.mtls_target}"
[profile.default.tls]
server_ca_cert_path = "{ca.as_posix()}"
client_cert_path = "{cert.as_posix()}"
client_key_path = "{key.as_posix()}"
"""
    config_file = pki.write("profile.toml", toml.encode())
    settings = ClientConfig.load_client_connect_config(
        config_file=str(config_file), override_env_vars={}
    )
    client = await connect(settings)
    assert (await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())).server_version
