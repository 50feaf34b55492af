"""`tempyral worker run` as a process manager runs it: SIGTERM while an activity is in flight
lets it finish and report, so nothing is lost or run twice; code that cannot run is named."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tempyral.client import Client
from tempyral.testing import DevServer

from .conftest import RunCli, WorkerProcess, cli_env, free_port


def marks(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


async def test_sigterm_lets_the_activity_in_flight_finish_and_loses_nothing(
    tempyral_dev_server: DevServer, tmp_path: Path
) -> None:
    marks_file = tmp_path / "marks"
    env = cli_env(
        tmp_path,
        {
            "CLI_TEST_TASK_QUEUE": f"cli-worker-{uuid.uuid4()}",
            "CLI_TEST_MARKS": str(marks_file),
            "TEMPORAL_ADDRESS": tempyral_dev_server.target,
        },
    )
    first = WorkerProcess("slow_worker:create_worker", env=env)
    try:
        first.wait_for("running; stop with Ctrl-C or SIGTERM")
        assert "1 workflow(s), 1 activity(ies)" in first.stderr
        client = await Client.connect(tempyral_dev_server.target)
        handle = await client.start_workflow(
            "SlowGreeting",
            "CLI",
            id=f"slow-{uuid.uuid4()}",
            task_queue=env["CLI_TEST_TASK_QUEUE"],
            execution_timeout=timedelta(seconds=120),
        )
        deadline = time.monotonic() + 60
        while "started" not in marks(marks_file):
            assert time.monotonic() < deadline, first.stderr
            await asyncio.sleep(0.05)
    except BaseException:
        first.close()  # no stray worker when the setup fails
        raise
    assert first.stop(signal.SIGTERM) == 0, first.stderr
    assert "shutting down; tasks in flight finish first" in first.stderr
    assert "workers stopped cleanly" in first.stderr
    assert marks(marks_file) == ["started", "finished"]  # the activity was not cut short
    second = WorkerProcess("slow_worker:create_worker", env=env)
    try:
        assert await handle.result() == "Hello, CLI!"
    finally:
        assert second.stop(signal.SIGINT) == 0, second.stderr
    assert marks(marks_file) == ["started", "finished"]  # and it did not run again


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("no_such_module:create_worker", "no module named 'no_such_module'"),
        ("no_workflows", "module 'no_workflows' defines no Worker"),
        ("slow_worker:not_a_worker", "gave 'nothing to run'; expected a Worker"),
    ],
)
def test_code_with_nothing_to_run_exits_2_saying_why(
    run_cli: RunCli, tempyral_dev_server: DevServer, code: str, message: str
) -> None:
    env = {"CLI_TEST_TASK_QUEUE": "unused", "CLI_TEST_MARKS": "unused"}
    result = run_cli("worker", "run", code, "--address", tempyral_dev_server.target, env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_server_exits_2(run_cli: RunCli) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = run_cli("worker", "run", "slow_worker:create_worker", "--address", address)
    assert result.returncode == 2, result.stderr
    assert "cannot connect to 127.0.0.1:" in result.stderr
