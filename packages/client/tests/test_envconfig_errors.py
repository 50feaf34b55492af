"""Bad configuration files: each error names the file, the line and the problem."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tempyral.envconfig import ClientConfig, ClientConfigProfile, ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(textwrap.dedent(text))
    return path


def load_error(source: Path | str, *, strict: bool = False) -> str:
    with pytest.raises(ConfigError) as caught:
        ClientConfig.load(config_source=source, config_file_strict=strict)
    assert isinstance(caught.value, RuntimeError)  # as the official SDK raises
    return str(caught.value)


def test_malformed_toml_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [profile.default]
        address = "localhost:7233"
        namespace = "unterminated
        """,
    )
    message = load_error(path)
    assert message.startswith("Configuration loading error: TOML parse error in ")
    assert f"{path} at line 3, column " in message
    assert "Illegal character" in message  # tomllib's words for the unterminated string


def test_malformed_toml_as_data() -> None:
    message = load_error("this is not valid toml")
    assert re.search(
        r"TOML parse error in config data at line 1, column \d+: Expected '='", message
    )


def test_duplicate_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[profile.a]\naddress = 'x'\n[profile.a]\nnamespace = 'y'\n")
    assert f"{path} at line 3" in load_error(path)


def test_wrong_value_type_names_key_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [profile.default]
        namespace = "ok"
        address = 7233
        """,
    )
    message = load_error(path)
    assert f"{path} at line 3: profile.default.address: invalid type: integer `7233`" in message
    assert "expected a string" in message


def test_wrong_type_in_tls_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [profile.default.tls]
        server_name = "sni"
        disabled = "yes"
        """,
    )
    message = load_error(path)
    assert 'line 3: profile.default.tls.disabled: invalid type: string "yes"' in message
    assert "expected a boolean" in message


def test_profile_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, 'profile = "default"\n')
    assert "line 1: profile: invalid type: string" in load_error(path)


def test_unknown_keys_are_ignored_unless_strict(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [profile.default]
        address = "a:1"
        adress = "typo:1"
        """,
    )
    assert ClientConfig.load(config_source=path).profiles["default"].address == "a:1"
    message = load_error(path, strict=True)
    assert f"{path} at line 3: profile.default.adress: unknown field `adress`" in message
    assert "expected one of `address`, `namespace`" in message
    with pytest.raises(ConfigError, match="unknown field `adress`"):
        ClientConfigProfile.load(config_source=path, config_file_strict=True, override_env_vars={})


def test_unknown_top_level_table_when_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.default]\naddress = 'a'\n")
    assert ClientConfig.load(config_source=path).profiles == {}
    message = load_error(path, strict=True)
    assert "line 1: profiles: unknown field `profiles`, expected `profile`" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    path.write_bytes(b"[profile.default]\naddress = '\xff'\n")
    assert f"{path} is not UTF-8 text" in load_error(path)


def test_unreadable_config_file(tmp_path: Path) -> None:
    directory = tmp_path / "temporal.toml"
    directory.mkdir()
    message = load_error(directory)
    assert f"cannot read config file {directory}" in message


def test_config_file_from_environment_is_named_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "[profile.default]\naddress = [1]\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path} at line 2: profile.default.address")):
        ClientConfigProfile.load(override_env_vars={"TEMPORAL_CONFIG_FILE": str(path)})


def test_error_inside_an_inline_table_points_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [profile.default]
        address = "a:1"
        tls = { disabled = "no" }
        """,
    )
    assert f"{path} at line 3: profile.default.tls.disabled: invalid type" in load_error(path)
