"""`tempyral dev`: a dev server that prints where it listens, keeps its data in --db-file
across restarts, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tempyral.client import Client

from .conftest import cli_env, free_port

pytestmark = pytest.mark.integration


def start_dev(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tempyral.cli", "dev", *args],
        env=cli_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    # The three lines come once the server answers (or the CLI exits and readline returns "").
    return process, [process.stdout.readline() for _ in range(3)]


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


async def test_prints_addresses_and_keeps_workflows_in_the_db_file(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    db = tmp_path / "dev.db"
    args = ("--port", str(port), "--ui-port", str(ui_port), "--db-file", str(db))
    process, printed = start_dev(tmp_path, *args)
    try:
        assert printed[0].strip() == f"Temporal dev server: gRPC 127.0.0.1:{port}"
        assert printed[1].strip() == f"web UI: http://127.0.0.1:{ui_port}"
        assert printed[2].startswith(f"data: {db};")
        client = await Client.connect(f"127.0.0.1:{port}")
        workflow_id = f"kept-{uuid.uuid4()}"
        # No worker: the workflow stays open, stored in the database file.
        await client.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
    finally:
        code, _, err = stop(process)
    assert code == 0, err
    assert "dev server stopped" in err
    again, printed = start_dev(tmp_path, *args)
    try:
        assert "gRPC" in printed[0]
        client = await Client.connect(f"127.0.0.1:{port}")
        described = await client.get_workflow_handle(workflow_id).describe()
        assert described.workflow_type == "Anything"
    finally:
        assert stop(again)[0] == 0


def test_a_missing_binary_is_explained(tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"TEMPYRAL_TEMPORAL_BIN": str(tmp_path / "nope")})
    result = subprocess.run(
        [sys.executable, "-m", "tempyral.cli", "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "TEMPYRAL_TEMPORAL_BIN" in result.stderr
