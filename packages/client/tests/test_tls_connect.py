"""TLS and mutual TLS against a real TLS endpoint (TLSProxy in front of the dev server).

Every misconfiguration a user can make must end in an error that names the setting to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import ConnectConfig, RPCError, RPCStatusCode, ServiceClient, TLSConfig

if TYPE_CHECKING:
    from conftest import TLSEndpoints, TLSMaterial


async def connect(target: str, tls: TLSConfig | bool, **kwargs: object) -> ServiceClient:
    return await ServiceClient.connect(ConnectConfig(target_host=target, tls=tls, **kwargs))  # type: ignore[arg-type]


async def server_version(client: ServiceClient) -> str:
    return (await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())).server_version


async def test_tls_with_the_server_ca(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    client = await connect(tls_endpoints.tls_target, TLSConfig(server_root_ca_cert=pki.ca_cert))
    assert await server_version(client)
    assert await client.check_health()


async def test_tls_with_a_domain_override(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    port = tls_endpoints.tls_target.rsplit(":", 1)[1]
    # Connect by an IP the certificate does not matter for, verifying it as "localhost".
    tls = TLSConfig(server_root_ca_cert=pki.ca_cert, domain="localhost")
    assert await server_version(await connect(f"127.0.0.1:{port}", tls))


async def test_mutual_tls(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    tls = TLSConfig(
        server_root_ca_cert=pki.ca_cert,
        client_cert=pki.client_cert,
        client_private_key=pki.client_key,
    )
    client = await connect(tls_endpoints.mtls_target, tls, api_key="ignored-by-the-proxy")
    assert await server_version(client)


async def test_wrong_ca_says_to_set_the_servers_ca(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    with pytest.raises(RuntimeError, match="Failed client connect") as caught:
        await connect(tls_endpoints.tls_target, TLSConfig(server_root_ca_cert=pki.other_ca_cert))
    message = str(caught.value)
    assert "not signed by a CA this client trusts" in message
    assert "TLSConfig.server_root_ca_cert" in message
    cause = caught.value.__cause__
    assert isinstance(cause, RPCError)
    assert cause.status == RPCStatusCode.UNAVAILABLE


async def test_system_roots_do_not_trust_a_private_ca(tls_endpoints: TLSEndpoints) -> None:
    with pytest.raises(RuntimeError, match="the system's root certificates"):
        await connect(tls_endpoints.tls_target, True)


async def test_wrong_server_name_says_to_set_domain(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    tls = TLSConfig(server_root_ca_cert=pki.ca_cert, domain="not-in-the-certificate.example")
    with pytest.raises(
        RuntimeError,
        match=r"not valid for the name 'not-in-the-certificate\.example'.*TLSConfig\.domain",
    ):
        await connect(tls_endpoints.tls_target, tls)


async def test_missing_client_certificate_on_mtls_says_to_set_one(
    tls_endpoints: TLSEndpoints,
) -> None:
    pki = tls_endpoints.material
    with pytest.raises(RuntimeError, match="Failed client connect") as caught:
        await connect(tls_endpoints.mtls_target, TLSConfig(server_root_ca_cert=pki.ca_cert))
    assert "set TLSConfig.client_cert and TLSConfig.client_private_key" in str(caught.value)


async def test_untrusted_client_certificate_says_so(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    tls = TLSConfig(
        server_root_ca_cert=pki.ca_cert,
        client_cert=pki.other_client_cert,
        client_private_key=pki.other_client_key,
    )
    with pytest.raises(RuntimeError, match="client certificate they do not trust"):
        await connect(tls_endpoints.mtls_target, tls)


async def test_lazy_client_reports_tls_failures_on_calls(tls_endpoints: TLSEndpoints) -> None:
    pki = tls_endpoints.material
    client = await connect(
        tls_endpoints.tls_target, TLSConfig(server_root_ca_cert=pki.other_ca_cert), lazy=True
    )
    with pytest.raises(RPCError, match=r"TLSConfig\.server_root_ca_cert") as caught:
        await server_version(client)
    assert caught.value.status == RPCStatusCode.UNAVAILABLE


async def test_tls_to_a_plaintext_server_says_so(
    tempyral_target: str, tls_material: TLSMaterial
) -> None:
    with pytest.raises(RuntimeError, match="does not speak TLS; connect with tls=False"):
        await connect(tempyral_target, TLSConfig(server_root_ca_cert=tls_material.ca_cert))


async def test_api_key_implies_tls_which_a_plaintext_server_refuses(tempyral_target: str) -> None:
    with pytest.raises(RuntimeError, match="does not speak TLS"):
        await ServiceClient.connect(ConnectConfig(target_host=tempyral_target, api_key="key"))


async def test_plaintext_to_a_tls_server_says_to_enable_tls(tls_endpoints: TLSEndpoints) -> None:
    with pytest.raises(RuntimeError, match="connect with tls=True or a TLSConfig"):
        await connect(tls_endpoints.tls_target, False)
