"""`tempyral replay` as CI runs it: golden histories recorded under the official SDK, broken
workflow code, files that are not histories, and live workflows fetched from the dev server."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import pty
import shutil
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest

from tempyral.client import Client
from tempyral.testing import DevServer
from tempyral.worker import Worker

from .conftest import GOLDEN, SAMPLE, RunCli, cli_env, free_port


@pytest.fixture
def golden_project(tmp_path: Path) -> Path:
    """A folder with the golden workflows module and its histories, one file per workflow id."""
    project = tmp_path / "project"
    histories = project / "histories"
    histories.mkdir(parents=True)
    shutil.copy(GOLDEN / "workflows.py", project / "golden_workflows.py")
    index = json.loads((GOLDEN / "histories" / "index.json").read_text())
    for path in (GOLDEN / "histories").glob("*.json"):
        if path.name != "index.json":
            workflow_id = index[path.name.removesuffix(".json").split(".")[0]]
            # The file's name is the workflow id: some workflows derive child ids from it.
            shutil.copy(path, histories / f"{workflow_id}.json")
    return project


def count(project: Path) -> int:
    return len(list((project / "histories").glob("*.json")))


def test_golden_histories_replay_with_exit_status_0(run_cli: RunCli, golden_project: Path) -> None:
    result = run_cli("replay", "golden_workflows", "histories", cwd=golden_project)
    assert result.returncode == 0, result.stdout + result.stderr
    total = count(golden_project)
    assert f"{total} of {total} histories replayed" in result.stdout
    assert "events/s" in result.stdout


def test_parallel_processes_replay_every_copy(run_cli: RunCli, golden_project: Path) -> None:
    # Copies under new folders: new names, the same workflow ids (file names).
    copies = golden_project / "copies"
    for n in range(3):
        shutil.copytree(golden_project / "histories", copies / f"batch-{n}")
    result = run_cli("replay", "golden_workflows", "copies", "--jobs", "2", cwd=golden_project)
    assert result.returncode == 0, result.stdout + result.stderr
    total = 3 * count(golden_project)
    assert f"{total} of {total} histories replayed" in result.stdout


def test_the_workflow_id_comes_from_the_file_name_before_the_run_id(
    run_cli: RunCli, golden_project: Path
) -> None:
    # This parent derives its child's id from its own: a wrong id would be nondeterminism.
    original = golden_project / "histories" / "golden-child_cancelled-ced229be.json"
    saved = golden_project / "saved" / "golden-child_cancelled-ced229be__run-1.json"
    saved.parent.mkdir()
    shutil.copy(original, saved)
    result = run_cli("replay", "golden_workflows", "saved", cwd=golden_project)
    assert result.returncode == 0, result.stdout
    renamed = golden_project / "renamed" / "another-id.json"
    renamed.parent.mkdir()
    shutil.copy(original, renamed)
    assert run_cli("replay", "golden_workflows", "renamed", cwd=golden_project).returncode == 1


def test_changed_code_exits_1_with_the_engines_diff_and_junit_xml(
    run_cli: RunCli, tmp_path: Path, golden_project: Path
) -> None:
    shutil.copy(GOLDEN.parent / "changed_workflows.py", golden_project / "changed.py")
    report = tmp_path / "reports" / "replay.xml"
    result = run_cli(
        "replay",
        "changed:ActivitySwapped",
        "histories/golden-activity_success-ced229be.json",
        "--junit-xml",
        str(report),
        cwd=golden_project,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NONDETERMINISM" in result.stdout
    assert "activity type 'greet' in history, 'greet_loudly' in the code" in result.stdout
    assert "changed.py:23" in result.stdout  # the workflow line that issued the command
    assert "0 of 1 histories replayed (1 nondeterministic" in result.stdout
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "1", "0")
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "NondeterminismError"
    assert "TMPRL1100" in (failure.text or "")


def test_a_file_that_is_not_a_history_exits_2(run_cli: RunCli, golden_project: Path) -> None:
    (golden_project / "histories" / "notes.json").write_text('{"hello": 1}', encoding="utf-8")
    result = run_cli("replay", "golden_workflows", "histories", cwd=golden_project)
    assert result.returncode == 2
    assert "NOT LOADED: notes.json" in result.stdout
    assert "1 not loaded" in result.stdout


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("no_such_module", "no module named 'no_such_module'"),
        ("no_workflows", "defines no workflow class"),
        ("greeting:Nothing", "has no attribute 'Nothing'"),
        ("greeting:greet", "not a workflow class"),
    ],
)
def test_code_that_does_not_load_exits_2_saying_why(
    run_cli: RunCli, code: str, message: str
) -> None:
    result = run_cli("replay", code, str(SAMPLE))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(run_cli: RunCli) -> None:
    nothing = run_cli("replay", "greeting")
    assert nothing.returncode == 2
    assert "give history files or folders, --workflow-id or --query" in nothing.stderr
    missing = run_cli("replay", "greeting", "missing.json")
    assert missing.returncode == 2
    assert "no such history file or directory: 'missing.json'" in missing.stderr


def test_no_server_exits_2(run_cli: RunCli) -> None:
    result = run_cli("replay", "greeting", "-w", "x", "--address", f"127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "cannot fetch histories" in result.stderr


async def test_live_workflows_by_id_and_by_query(
    run_cli: RunCli, tempyral_dev_server: DevServer
) -> None:
    spec = importlib.util.spec_from_file_location("cli_sample_greeting", SAMPLE / "greeting.py")
    assert spec is not None
    assert spec.loader is not None
    greeting = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = greeting
    spec.loader.exec_module(greeting)
    client = await Client.connect(tempyral_dev_server.target)
    queue = f"cli-replay-{uuid.uuid4()}"
    workflow_id = f"greeting-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[greeting.Greeting], activities=[greeting.greet]
    ):
        answer = await client.execute_workflow(
            greeting.Greeting.run,
            "CLI",
            id=workflow_id,
            task_queue=queue,
            execution_timeout=timedelta(seconds=30),
        )
    assert answer == "Hello, CLI!"
    address = ("--address", tempyral_dev_server.target)
    by_id = run_cli("replay", "greeting", "-w", workflow_id, *address)
    assert by_id.returncode == 0, by_id.stdout + by_id.stderr
    assert "1 of 1 histories replayed" in by_id.stdout
    changed = run_cli("replay", "greeting_changed", "-w", workflow_id, *address)
    assert changed.returncode == 1
    assert "greeting_changed.py:" in changed.stdout
    query = f"WorkflowId = '{workflow_id}'"
    for _ in range(50):  # visibility is eventually consistent
        listed = [w async for w in client.list_workflows(query)]
        if listed:
            break
        await asyncio.sleep(0.2)
    by_query = run_cli("replay", "greeting", "-q", query, *address)
    assert by_query.returncode == 0, by_query.stdout + by_query.stderr
    assert "1 of 1 histories replayed" in by_query.stdout


def replay_on_a_terminal(project: Path, home: Path, *args: str) -> tuple[int, str, str]:
    """Run `tempyral replay` with stderr on a pseudo-terminal, as a person's shell runs it; the
    exit status, stdout, and everything written to the terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tempyral.cli", "replay", *args],
        cwd=project,
        env=cli_env(home, {"TERM": "xterm-256color"}),
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command exited and closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    stdout, _ = process.communicate(timeout=120)
    return process.returncode, stdout, drawn.decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar_and_stdout_only_the_summary(
    golden_project: Path, tmp_path: Path
) -> None:
    total = count(golden_project)
    status, stdout, drawn = replay_on_a_terminal(
        golden_project, tmp_path, "golden_workflows", "histories", "-j", "1"
    )
    assert status == 0, stdout + drawn
    assert "replaying" in drawn
    assert f"{total}/{total}" in drawn  # the bar's last frame: every history done
    assert f"{total} of {total} histories replayed" in stdout
    assert "\x1b[" not in stdout  # the bar's frames go to the terminal, not into the summary
    status, _, drawn = replay_on_a_terminal(
        golden_project, tmp_path, "golden_workflows", "histories", "--no-progress"
    )
    assert status == 0
    assert "replaying" not in drawn


def test_progress_is_off_in_a_pipe_unless_forced(run_cli: RunCli, golden_project: Path) -> None:
    total = count(golden_project)
    piped = run_cli("replay", "golden_workflows", "histories", cwd=golden_project)
    assert piped.returncode == 0
    assert "replaying" not in piped.stderr
    forced = run_cli("replay", "golden_workflows", "histories", "--progress", cwd=golden_project)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "replaying" in forced.stderr
    assert f"{total}/{total}" in forced.stderr


def test_a_passing_run_writes_junit_xml_with_a_passed_case_per_history(
    run_cli: RunCli, tmp_path: Path, golden_project: Path
) -> None:
    report = tmp_path / "reports" / "replay.xml"
    result = run_cli(
        "replay",
        "golden_workflows",
        "histories",
        "-j",
        "2",
        "--junit-xml",
        str(report),
        cwd=golden_project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    total = count(golden_project)
    counts = (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped"))
    assert counts == (str(total), "0", "0", "0")
    assert float(suite.get("time", "-1")) > 0
    cases = suite.findall("testcase")
    names = {case.get("name") for case in cases}
    assert names == {p.name for p in (golden_project / "histories").glob("*.json")}
    for case in cases:
        assert case.get("classname") == "tempyral.replay"
        assert float(case.get("time", "-1")) >= 0
        assert list(case) == []  # no failure, error or skipped element
