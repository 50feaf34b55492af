"""The harness leaves no server behind: failed tests, Ctrl-C, and a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def wait_for_file(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        if process.poll() is not None:
            raise AssertionError(f"child exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_failing_test_leaves_no_server(tmp_path: Path, gone: Callable[..., bool]) -> None:
    pid_file = tmp_path / "pid"
    test_file = tmp_path / "test_fails_midway.py"
    test_file.write_text(
        textwrap.dedent(
            f"""
            def test_fails_midway(tempyral_dev_server):
                open({str(pid_file)!r}, "w").write(str(tempyral_dev_server.pid))
                assert False, "failing on purpose with the server up"
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-c",
            os.devnull,
            str(test_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failing on purpose" in result.stdout
    pid = int(pid_file.read_text())
    assert gone(pid), f"server {pid} outlived the failed test session"


CHILD = textwrap.dedent(
    """
    import sys, time
    from tempyral.testing import DevServer
    with DevServer() as server:
        open(sys.argv[1], "w").write(str(server.pid))
        time.sleep(600)
    """
)


@pytest.mark.parametrize("how", ["ctrl-c", "kill -9"])
def test_interrupted_or_killed_parent_leaves_no_server(
    tmp_path: Path, how: str, alive: Callable[[int], bool], gone: Callable[..., bool]
) -> None:
    pid_file = tmp_path / "pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(pid_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server_pid = int(wait_for_file(pid_file, parent))
        assert alive(server_pid)
        parent.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
        parent.wait(timeout=30)
        assert gone(server_pid), f"server {server_pid} outlived its parent ({how})"
    finally:
        parent.kill()
        parent.communicate()
