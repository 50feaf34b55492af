"""Running the ``tempyral`` command as a user does: a subprocess with an environment of its own
(no TEMPORAL_* variables and no temporal.toml leak in from the machine), from a chosen folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "sample"
GOLDEN = Path(__file__).parents[2] / "replay" / "tests" / "golden"

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def free_port() -> int:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    # No temporal.toml unless a test writes one: the default file lives under this home.
    clean.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **(env or {}))
    return clean


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    home = tmp_path / "home"
    home.mkdir()

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tempyral.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=cli_env(home, env),
            cwd=cwd or SAMPLE,
        )

    return run
