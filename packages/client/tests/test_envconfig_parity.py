"""Same files and environments through ``temporalio.envconfig`` and ``tempyral.envconfig``: same
profiles, same connect arguments, and errors in the same cases.

``temporalio`` is imported by the tests, not at collection (see test_service_api.py).
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tempyral.envconfig as ours

FULL = """
[profile.default]
address = "localhost:7233"
namespace = "default"

[profile.cloud]
address = "ns.acct.tmprl.cloud:7233"
namespace = "ns.acct"
api_key = "secret"
[profile.cloud.tls]
server_name = "sni.example"
server_ca_cert_data = "CA DATA"
client_cert_data = "CERT DATA"
client_key_data = ""
disable_host_verification = true
[profile.cloud.grpc_meta]
Some_Header = "v1"
"x-other" = "v2"
[profile.cloud.codec]
endpoint = "http://codec"

[profile.off]
address = "h:1"
api_key = "k"
[profile.off.tls]
disabled = true
"""

CASES: list[tuple[str, str | None, dict[str, str]]] = [
    ("empty", "", {}),
    ("whitespace", "  \n\n", {}),
    ("default", FULL, {}),
    ("cloud", FULL, {}),
    ("off", FULL, {}),
    ("env profile", FULL, {"TEMPORAL_PROFILE": "cloud"}),
    (
        "env overrides",
        FULL,
        {"TEMPORAL_ADDRESS": "e:1", "TEMPORAL_NAMESPACE": "", "TEMPORAL_API_KEY": ""},
    ),
    ("tls on", FULL, {"TEMPORAL_TLS": "true"}),
    ("tls off", FULL, {"TEMPORAL_TLS": "0", "TEMPORAL_PROFILE": "cloud"}),
    ("tls junk", FULL, {"TEMPORAL_TLS": "maybe"}),
    ("tls vars", FULL, {"TEMPORAL_TLS_SERVER_NAME": "sni", "TEMPORAL_TLS_CLIENT_KEY_DATA": "K"}),
    (
        "tls path",
        FULL,
        {"TEMPORAL_TLS_CLIENT_CERT_PATH": "/c.pem", "TEMPORAL_TLS_CLIENT_KEY_PATH": "/k.pem"},
    ),
    ("meta", FULL, {"TEMPORAL_GRPC_META_SOME_HEADER": "", "TEMPORAL_GRPC_META_NEW_ONE": "n"}),
    ("codec env", FULL, {"TEMPORAL_CODEC_ENDPOINT": "http://x"}),
    ("unknown keys", "[profile.default]\naddress='a'\nfoo=1\n[other]\nx=1\n", {}),
    ("no file profile", "[profile.x]\naddress='a'\n", {}),
    # Errors in both.
    ("missing profile", FULL, {"TEMPORAL_PROFILE": "nope"}),
    ("malformed", "this is not toml", {}),
    ("bad type", "[profile.default]\naddress = 1\n", {}),
    ("bad tls type", "[profile.default.tls]\ndisabled = 'no'\n", {}),
    ("bad meta type", "[profile.default.grpc_meta]\nx = 1\n", {}),
    ("path and data", "[profile.default.tls]\nclient_key_path='/a'\nclient_key_data='b'\n", {}),
    (
        "env path and data",
        "",
        {"TEMPORAL_TLS_CLIENT_CERT_PATH": "/a", "TEMPORAL_TLS_CLIENT_CERT_DATA": "b"},
    ),
    (
        "file path env data",
        "[profile.default.tls]\nclient_cert_path='/a'\n",
        {"TEMPORAL_TLS_CLIENT_CERT_DATA": "b"},
    ),
]


@pytest.fixture
def official() -> ModuleType:
    return importlib.import_module("temporalio.envconfig")


def plain(value: Any) -> Any:
    """A comparable form: dataclasses as dicts (the two SDKs' classes differ)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        # The official TLSConfig has one more (optional) field than the envconfig ever sets.
        if fields.get("verification_server_name", "") is None:
            del fields["verification_server_name"]
        return fields
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def outcome(module: Any, toml: str | None, env: dict[str, str], strict: bool) -> Any:
    try:
        profile = module.ClientConfigProfile.load(
            config_source=toml, override_env_vars=env, config_file_strict=strict
        )
        connect = profile.to_client_connect_config()
        return ("ok", plain(profile), plain(connect))
    except RuntimeError:
        return ("RuntimeError",)
    except OSError as err:  # a certificate file that cannot be read
        return (type(err).__name__, err.filename)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("name", "toml", "env"), CASES, ids=[c[0] for c in CASES])
def test_profiles_match_the_official_sdk(
    official: ModuleType, name: str, toml: str | None, env: dict[str, str], strict: bool
) -> None:
    env = dict(env)
    if name in {"cloud", "off"}:
        env.setdefault("TEMPORAL_PROFILE", name)
    theirs = outcome(official, toml, env, strict)
    mine = outcome(ours, toml, env, strict)
    assert mine == theirs


def test_all_profiles_match_the_official_sdk(official: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    path.write_text(FULL)
    env = {"TEMPORAL_CONFIG_FILE": str(path)}
    mine = ours.ClientConfig.load(override_env_vars=env)
    theirs = official.ClientConfig.load(override_env_vars=env)
    assert plain(mine) == plain(theirs)
    assert mine.to_dict() == theirs.to_dict()


def test_missing_file_and_disabled_sources_match(official: ModuleType, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    for kwargs in (
        {"config_source": missing},
        {"config_source": missing, "disable_env": True},
        {"disable_file": True},
    ):
        env = {"TEMPORAL_ADDRESS": "e:1"}
        mine = ours.ClientConfigProfile.load(override_env_vars=env, **kwargs)  # type: ignore[arg-type]
        theirs = official.ClientConfigProfile.load(override_env_vars=env, **kwargs)  # type: ignore[arg-type]
        assert plain(mine) == plain(theirs), kwargs
