"""Loading profiles from temporal.toml and TEMPORAL_* variables."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tempyral.envconfig import (
    ClientConfig,
    ClientConfigProfile,
    ClientConfigTLS,
    ConfigError,
)
from tempyral.envconfig._load import default_config_file
from tempyral.service import TLSConfig

CONFIG = textwrap.dedent(
    """
    [profile.default]
    address = "default-address:7233"
    namespace = "default-namespace"

    [profile.prod]
    address = "prod.example:7233"
    namespace = "prod"
    api_key = "prod-key"

    [profile.prod.tls]
    server_name = "prod-sni"

    [profile.prod.grpc_meta]
    Some_Header = "from-file"
    other-header = "kept"
    """
)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(CONFIG)
    return path


def test_default_profile_from_an_explicit_file(config_file: Path) -> None:
    profile = ClientConfigProfile.load(config_source=config_file, override_env_vars={})
    assert profile == ClientConfigProfile(
        address="default-address:7233", namespace="default-namespace"
    )
    assert profile.to_client_connect_config() == {
        "target_host": "default-address:7233",
        "namespace": "default-namespace",
    }


def test_named_profile_with_tls_api_key_and_metadata(config_file: Path) -> None:
    profile = ClientConfigProfile.load("prod", config_source=config_file, override_env_vars={})
    assert profile.grpc_meta == {"some-header": "from-file", "other-header": "kept"}
    connect = profile.to_client_connect_config()
    assert connect["api_key"] == "prod-key"
    assert connect["tls"] == TLSConfig(domain="prod-sni")
    assert connect["rpc_metadata"] == {"some-header": "from-file", "other-header": "kept"}


def test_file_and_profile_from_environment(config_file: Path) -> None:
    env = {"TEMPORAL_CONFIG_FILE": str(config_file), "TEMPORAL_PROFILE": "prod"}
    assert ClientConfigProfile.load(override_env_vars=env).address == "prod.example:7233"
    # An explicit profile wins over TEMPORAL_PROFILE; disable_env ignores it.
    assert ClientConfigProfile.load("default", override_env_vars=env).namespace == (
        "default-namespace"
    )


def test_default_location_is_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_home = tmp_path / "xdg"
    (config_home / "temporalio").mkdir(parents=True)
    (config_home / "temporalio" / "temporal.toml").write_text(CONFIG)
    monkeypatch.setattr(sys, "platform", "linux")
    profile = ClientConfigProfile.load(override_env_vars={"XDG_CONFIG_HOME": str(config_home)})
    assert profile.address == "default-address:7233"


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/temporalio/temporal.toml"),
        ("linux", {"XDG_CONFIG_HOME": "relative"}, "{home}/.config/temporalio/temporal.toml"),
        ("linux", {}, "{home}/.config/temporalio/temporal.toml"),
        ("darwin", {}, "{home}/Library/Application Support/temporalio/temporal.toml"),
        ("win32", {"APPDATA": "/appdata"}, "/appdata/temporalio/temporal.toml"),
    ],
)
def test_default_config_file_per_platform(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    found = default_config_file(env)
    assert found == Path(expected.format(home=Path.home()))


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert ClientConfig.load(config_source=missing).profiles == {}
    assert ClientConfigProfile.load(config_source=missing, override_env_vars={}) == (
        ClientConfigProfile()
    )
    with pytest.raises(ConfigError, match="Profile 'prod' not found"):
        ClientConfigProfile.load("prod", config_source=missing, override_env_vars={})


def test_environment_overrides_the_file(config_file: Path) -> None:
    env = {
        "TEMPORAL_ADDRESS": "env:1",
        "TEMPORAL_NAMESPACE": "env-ns",
        "TEMPORAL_API_KEY": "env-key",
        "TEMPORAL_TLS_SERVER_NAME": "env-sni",
        "TEMPORAL_GRPC_META_SOME_HEADER": "from-env",
        "TEMPORAL_GRPC_META_OTHER_HEADER": "",  # removes it
        "TEMPORAL_GRPC_META_NEW_ONE": "added",
    }
    profile = ClientConfigProfile.load("prod", config_source=config_file, override_env_vars=env)
    assert (profile.address, profile.namespace, profile.api_key) == ("env:1", "env-ns", "env-key")
    assert profile.tls == ClientConfigTLS(server_name="env-sni")
    assert profile.grpc_meta == {"some-header": "from-env", "new-one": "added"}


def test_disable_env_and_disable_file(config_file: Path) -> None:
    env = {"TEMPORAL_ADDRESS": "env:1"}
    from_file = ClientConfigProfile.load(
        config_source=config_file, override_env_vars=env, disable_env=True
    )
    assert from_file.address == "default-address:7233"
    from_env = ClientConfigProfile.load(
        config_source=config_file, override_env_vars=env, disable_file=True
    )
    assert from_env == ClientConfigProfile(address="env:1")
    with pytest.raises(ConfigError, match="Cannot disable both file and environment loading"):
        ClientConfigProfile.load(disable_file=True, disable_env=True)


def test_all_profiles_ignore_environment_overrides(config_file: Path) -> None:
    env = {"TEMPORAL_CONFIG_FILE": str(config_file), "TEMPORAL_ADDRESS": "ignored:1"}
    config = ClientConfig.load(override_env_vars=env)
    assert sorted(config.profiles) == ["default", "prod"]
    assert config.profiles["default"].address == "default-address:7233"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("TRUE", True), ("false", False), ("0", False), ("yes", None)],
)
def test_temporal_tls_switch(value: str, expected: bool | None) -> None:
    profile = ClientConfigProfile.load(disable_file=True, override_env_vars={"TEMPORAL_TLS": value})
    assert profile.tls == ClientConfigTLS(disabled=None if expected is None else not expected)
    connect_tls = profile.to_client_connect_config()["tls"]
    assert (connect_tls is False) == (expected is False)


def test_api_key_turns_tls_on_unless_disabled() -> None:
    with_key = ClientConfigProfile(address="a:1", api_key="k").to_client_connect_config()
    assert with_key["tls"] is True
    disabled = ClientConfigProfile(
        address="a:1", api_key="k", tls=ClientConfigTLS(disabled=True)
    ).to_client_connect_config()
    assert disabled["tls"] is False


def test_certificates_from_paths_and_data(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"CA PEM")
    toml = f"""
[profile.default.tls]
server_ca_cert_path = "{ca.as_posix()}"
client_cert_data = "CERT PEM"
client_key_data = ""
"""
    profile = ClientConfigProfile.load(config_source=toml, override_env_vars={})
    assert profile.tls == ClientConfigTLS(server_root_ca_cert=ca, client_cert=b"CERT PEM")
    tls = profile.to_client_connect_config()["tls"]
    assert tls == TLSConfig(server_root_ca_cert=b"CA PEM", client_cert=b"CERT PEM")
    env = {"TEMPORAL_TLS_CLIENT_KEY_DATA": "KEY PEM"}
    with_key = ClientConfigProfile.load(config_source=toml, override_env_vars=env)
    assert with_key.tls is not None
    assert with_key.tls.client_private_key == b"KEY PEM"


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        (
            '[profile.default.tls]\nclient_cert_path = "/a"\nclient_cert_data = "b"',
            {},
            "Cannot specify both client_cert_path and client_cert_data",
        ),
        (
            "",
            {"TEMPORAL_TLS_CLIENT_KEY_PATH": "/a", "TEMPORAL_TLS_CLIENT_KEY_DATA": "b"},
            "Cannot specify both TEMPORAL_TLS_CLIENT_KEY_PATH and TEMPORAL_TLS_CLIENT_KEY_DATA",
        ),
        (
            '[profile.default.tls]\nserver_ca_cert_path = "/a"',
            {"TEMPORAL_TLS_SERVER_CA_CERT_DATA": "b"},
            "Cannot specify server CA cert data via TEMPORAL_TLS_SERVER_CA_CERT_DATA when "
            "server CA cert path is already specified",
        ),
    ],
)
def test_conflicting_certificate_sources(toml: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=f"Invalid configuration: {message}"):
        ClientConfigProfile.load(config_source=toml, override_env_vars=env)


def test_dict_round_trip() -> None:
    profile = ClientConfigProfile(
        address="a:1",
        namespace="ns",
        api_key="key",
        tls=ClientConfigTLS(
            server_name="sni",
            server_root_ca_cert=b"ca",
            client_cert=Path("/certs/client.pem"),
            client_private_key="key-data",
        ),
        grpc_meta={"h": "v"},
    )
    as_dict = profile.to_dict()
    assert as_dict == {
        "address": "a:1",
        "namespace": "ns",
        "api_key": "key",
        "tls": {
            "server_name": "sni",
            "server_ca_cert": {"data": "ca"},
            "client_cert": {"path": str(Path("/certs/client.pem"))},
            "client_key": {"data": "key-data"},
        },
        "grpc_meta": {"h": "v"},
    }
    back = ClientConfigProfile.from_dict(as_dict)
    assert back.tls is not None
    assert back.tls.server_root_ca_cert == "ca"
    config = ClientConfig(profiles={"x": ClientConfigProfile(address="b:2")})
    assert ClientConfig.from_dict(config.to_dict()) == config


def test_load_client_connect_config(config_file: Path) -> None:
    connect = ClientConfig.load_client_connect_config(
        "prod", config_file=str(config_file), override_env_vars={"TEMPORAL_NAMESPACE": "x"}
    )
    assert connect["target_host"] == "prod.example:7233"
    assert connect["namespace"] == "x"
    env_only = ClientConfig.load_client_connect_config(
        config_file=str(config_file),
        disable_file=True,
        override_env_vars={"TEMPORAL_ADDRESS": "e:1"},
    )
    assert env_only == {"target_host": "e:1"}


def test_bad_config_source_type() -> None:
    with pytest.raises(TypeError, match="config_source must be one of"):
        ClientConfigProfile.load(config_source=42)  # type: ignore[arg-type]
