"""A separate sample project runs its pytest suite with the plugin (installed from the
workspace): a passing in-process workflow test, a failing one whose report shows the workflow's
history summary, a nondeterministic change caught by the replay check, and recorded histories
turned into replay tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WORKFLOWS = """
import asyncio
from datetime import timedelta

from tempyral import activity, workflow

STEPS = ["wash", "dry"]


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        await asyncio.sleep(timedelta(days=30).total_seconds())
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=5)
        )


@workflow.defn
class Broken:
    @workflow.run
    async def run(self) -> None:
        raise KeyError("the order has no customer")


@workflow.defn
class Chores:
    @workflow.run
    async def run(self) -> int:
        for _step in list(STEPS):  # read at run time: a stand-in for a code change
            await asyncio.sleep(60)
        return len(STEPS)
"""

TESTS = """
import asyncio

import workflows
from workflows import Broken, Chores, Greeting, greet


async def test_greeting_passes(client, workflow_worker):
    worker = await workflow_worker(workflows=[Greeting], activities=[greet])
    result = await client.execute_workflow(
        Greeting.run, "ada", id="greeting", task_queue=worker.task_queue
    )
    assert result == "hello ada"


async def test_broken_workflow_fails_readably(client, workflow_worker):
    worker = await workflow_worker(workflows=[Broken])
    handle = await client.start_workflow(Broken.run, id="broken", task_queue=worker.task_queue)
    await asyncio.wait_for(handle.result(), timeout=1)


async def test_changed_code_is_caught_by_the_replay_check(client, workflow_worker):
    worker = await workflow_worker(workflows=[Chores])
    assert await client.execute_workflow(Chores.run, id="chores", task_queue=worker.task_queue) == 2
    workflows.STEPS.append("fold")  # the code now issues a third timer the history lacks
"""

PYTEST_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "workflows.py").write_text(WORKFLOWS)
    (tmp_path / "test_sample.py").write_text(TESTS)
    return tmp_path


def test_the_sample_suite_passes_fails_readably_and_catches_nondeterminism(project: Path) -> None:
    done = run_pytest(project)
    output = done.stdout + done.stderr
    assert "test_greeting_passes PASSED" in output, output
    assert "test_broken_workflow_fails_readably FAILED" in output, output
    # The failure shows the workflow, not only the timeout.
    assert "tempyral workflows" in output, output
    assert "workflow 'broken' (Broken, task queue" in output, output
    assert "the order has no customer" in output, output
    # The changed code: the test body passed, the replay check failed it.
    assert "test_changed_code_is_caught_by_the_replay_check ERROR" in output, output
    assert "replay check: 1 workflow run(s)" in output, output
    assert "workflow 'chores' (Chores)" in output, output
    assert "TMPRL1100" in output, output
    assert done.returncode == 1


def test_the_replay_check_can_be_turned_off(project: Path) -> None:
    done = run_pytest(project, "--tempyral-no-replay-check", "-k", "replay_check")
    assert "test_changed_code_is_caught_by_the_replay_check PASSED" in done.stdout, done.stdout
    assert done.returncode == 0


def test_recorded_histories_become_replay_tests(project: Path) -> None:
    recorded = run_pytest(project, "--tempyral-history-dir=histories", "-k", "greeting")
    assert recorded.returncode == 0, recorded.stdout
    files = sorted((project / "histories").rglob("*.json"))
    assert [file.name.split("__")[0] for file in files] == ["greeting"]
    (project / "test_regressions.py").write_text(
        textwrap.dedent(
            """
            from tempyral.testing import history_replay_test
            from workflows import Greeting

            test_recorded = history_replay_test("histories", workflows=[Greeting])
            """
        )
    )
    replayed = run_pytest(project, "test_regressions.py")
    assert "test_recorded[" in replayed.stdout, replayed.stdout
    assert replayed.returncode == 0, replayed.stdout
    # The same histories against a changed workflow: the replay test fails.
    workflows = project / "workflows.py"
    workflows.write_text(
        workflows.read_text().replace(
            "await asyncio.sleep(timedelta(days=30).total_seconds())",
            "await asyncio.sleep(timedelta(days=31).total_seconds())\n"
            "        await asyncio.sleep(1)",
        )
    )
    changed = run_pytest(project, "test_regressions.py")
    assert changed.returncode == 1, changed.stdout
    assert "1 failed" in changed.stdout, changed.stdout
