"""`tempyral server-info` against the real dev server, and against nothing."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tempyral.testing import DevServer

pytestmark = pytest.mark.integration


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempyral.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prints_the_server_version(tempyral_dev_server: DevServer) -> None:
    result = run_cli("server-info", "--address", tempyral_dev_server.target)
    assert result.returncode == 0, result.stderr
    version_line = result.stdout.splitlines()[0]
    assert version_line.startswith("server version: 1.")
    assert "capabilities:" in result.stdout


def test_no_server_gives_a_clear_error_and_exit_code() -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("server-info", "--address", f"127.0.0.1:{port}", "--timeout", "2")
    assert result.returncode == 1
    assert f"no answer from 127.0.0.1:{port}" in result.stderr
    assert "temporal server start-dev" in result.stderr
