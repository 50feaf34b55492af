"""Unusable certificates and keys are refused before any connection, naming the field and fix."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tempyral.envconfig import ClientConfigProfile
from tempyral.service import ConnectConfig, ServiceClient, TLSConfig

if TYPE_CHECKING:
    from conftest import TLSMaterial

# Nothing listens here: every error below must come from checking the configuration.
NOWHERE = "127.0.0.1:9"


async def connect(tls: TLSConfig) -> ServiceClient:
    return await ServiceClient.connect(ConnectConfig(target_host=NOWHERE, tls=tls, lazy=True))


async def test_garbage_ca(tls_material: TLSMaterial) -> None:
    with pytest.raises(ValueError, match=r"server_root_ca_cert contains no PEM block"):
        await connect(TLSConfig(server_root_ca_cert=b"garbage"))
    truncated = tls_material.ca_cert[:-80] + b"\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="server_root_ca_cert is not a readable PEM certificate"):
        await connect(TLSConfig(server_root_ca_cert=truncated))


async def test_binary_certificate_is_not_pem() -> None:
    with pytest.raises(ValueError, match=r"server_root_ca_cert is not PEM text.*openssl x509"):
        await connect(TLSConfig(server_root_ca_cert=b"\x30\x82\x01\xff\x00"))


async def test_private_key_passed_as_ca(tls_material: TLSMaterial) -> None:
    with pytest.raises(ValueError, match="BEGIN CERTIFICATE"):
        await connect(TLSConfig(server_root_ca_cert=tls_material.client_key))


async def test_key_not_matching_the_certificate(tls_material: TLSMaterial) -> None:
    tls = TLSConfig(
        client_cert=tls_material.client_cert, client_private_key=tls_material.server_key
    )
    with pytest.raises(
        ValueError, match=r"client_private_key does not belong to TLSConfig\.client_cert"
    ):
        await connect(tls)


async def test_swapped_certificate_and_key(tls_material: TLSMaterial) -> None:
    tls = TLSConfig(
        client_cert=tls_material.client_key, client_private_key=tls_material.client_cert
    )
    with pytest.raises(ValueError, match="was the private key passed as the certificate"):
        await connect(tls)


async def test_corrupt_client_certificate(tls_material: TLSMaterial) -> None:
    broken = tls_material.client_cert.replace(b"M", b"!", 3)
    tls = TLSConfig(client_cert=broken, client_private_key=tls_material.client_key)
    with pytest.raises(ValueError, match=r"could not be loaded.*intact PEM"):
        await connect(tls)


async def test_encrypted_key(tls_material: TLSMaterial) -> None:
    tls = TLSConfig(
        client_cert=tls_material.client_cert, client_private_key=tls_material.encrypted_client_key
    )
    with pytest.raises(ValueError, match=r"encrypted.*openssl pkey"):
        await connect(tls)


async def test_certificate_without_key(tls_material: TLSMaterial) -> None:
    with pytest.raises(
        ValueError, match=r"both client cert and private key.*client_private_key is missing"
    ):
        await connect(TLSConfig(client_cert=tls_material.client_cert))


async def test_key_given_as_text_not_bytes(tls_material: TLSMaterial) -> None:
    tls = TLSConfig(client_cert=tls_material.client_cert, client_private_key="key")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="client_private_key must be PEM bytes, not str"):
        await connect(tls)


def test_missing_certificate_file_names_the_file_and_setting(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "client.pem"
    profile = ClientConfigProfile.load(
        config_source=f"""
[profile.default]
address = "{NOWHERE}"
[profile.default.tls]
client_cert_path = "{missing.as_posix()}"
client_key_path = "{missing.as_posix()}"
""",
        override_env_vars={},
    )
    with pytest.raises(FileNotFoundError) as caught:
        profile.to_client_connect_config()
    message = str(caught.value)
    assert str(missing) in message
    assert "TLS client certificate" in message
    assert "tls.client_cert_path" in message
    assert "TEMPORAL_TLS_CLIENT_CERT_PATH" in message


def test_unreadable_certificate_file(tmp_path: Path, tls_material: TLSMaterial) -> None:
    ca = tls_material.write("ca-for-unreadable.pem", tls_material.ca_cert)
    directory = tmp_path / "a-directory.pem"
    directory.mkdir()
    env = {
        "TEMPORAL_ADDRESS": NOWHERE,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(ca),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(directory),
        "TEMPORAL_TLS_CLIENT_CERT_DATA": tls_material.client_cert.decode(),
    }
    profile = ClientConfigProfile.load(disable_file=True, override_env_vars=env)
    with pytest.raises(OSError, match="Cannot read the TLS client private key file") as caught:
        profile.to_client_connect_config()
    assert isinstance(caught.value, IsADirectoryError)
    assert caught.value.filename == str(directory)


async def test_garbage_certificate_data_from_env_is_refused_at_connect() -> None:
    env = {
        "TEMPORAL_ADDRESS": NOWHERE,
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA": "not a certificate",
    }
    config = ClientConfigProfile.load(disable_file=True, override_env_vars=env)
    connect_config = config.to_client_connect_config()
    tls = connect_config["tls"]
    assert isinstance(tls, TLSConfig)
    with pytest.raises(ValueError, match="server_root_ca_cert contains no PEM block"):
        await connect(tls)
