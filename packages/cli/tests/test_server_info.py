"""`tempyral server-info` against the real dev server, and against nothing.

The command connects through ``tempyral.service`` with the ``tempyral.envconfig`` profile
(temporal.toml and TEMPORAL_* variables) under its flags; each test runs it in a subprocess with
an environment of its own, so neither the machine's profile nor its variables leak in.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tempyral.testing import DevServer

from .conftest import RunCli, free_port


def assert_server_answered(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("server version: 1.")
    assert "capabilities:" in result.stdout


@pytest.mark.integration
def test_prints_the_server_version(run_cli: RunCli, tempyral_dev_server: DevServer) -> None:
    result = run_cli("server-info", "--address", tempyral_dev_server.target)
    assert_server_answered(result)


@pytest.mark.integration
def test_takes_the_address_from_the_environment(
    run_cli: RunCli, tempyral_dev_server: DevServer
) -> None:
    result = run_cli("server-info", env={"TEMPORAL_ADDRESS": tempyral_dev_server.target})
    assert_server_answered(result)


@pytest.mark.integration
def test_takes_the_address_from_a_profile_of_temporal_toml(
    run_cli: RunCli, tempyral_dev_server: DevServer, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.default]\naddress = "127.0.0.1:{free_port()}"\n\n'
        f'[profile.ci]\naddress = "{tempyral_dev_server.target}"\n',
        encoding="utf-8",
    )
    result = run_cli("server-info", "--profile", "ci", env={"TEMPORAL_CONFIG_FILE": str(config)})
    assert_server_answered(result)


def test_no_server_gives_a_clear_error_and_exit_code(run_cli: RunCli, tmp_path: Path) -> None:
    port = free_port()
    result = run_cli("server-info", "--address", f"127.0.0.1:{port}", "--timeout", "2")
    assert result.returncode == 1
    assert f"no answer from 127.0.0.1:{port}" in result.stderr
    assert "temporal server start-dev" in result.stderr


def test_the_address_flag_wins_over_the_profile_and_environment(
    run_cli: RunCli, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text('[profile.default]\naddress = "127.0.0.1:1"\n', encoding="utf-8")
    port = free_port()
    env = {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_ADDRESS": "127.0.0.1:2"}
    result = run_cli("server-info", "--address", f"127.0.0.1:{port}", "--timeout", "2", env=env)
    assert result.returncode == 1
    assert f"no answer from 127.0.0.1:{port}" in result.stderr


def test_a_broken_config_file_is_named(run_cli: RunCli, tmp_path: Path) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text("[profile.default]\naddress = \n", encoding="utf-8")
    result = run_cli("server-info", "--config-file", str(config))
    assert result.returncode == 2
    assert "cannot read the connection profile" in result.stderr
    assert str(config) in result.stderr
