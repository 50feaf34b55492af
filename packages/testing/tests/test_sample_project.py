"""Acceptance: a downstream project's CI, from wheels.

Every tempyral package is built into a wheel, a fresh virtual environment installs
``tempyral-testing[dev-server,time-skipping]`` from those wheels (other distributions from the
configured index), and a small sample project (a workflow and activity module, its tests) runs
its pytest suite there with the plugin: a passing workflow test on each environment (in-process,
local dev server, time-skipping test server), a failing one whose report shows the workflow's
history summary, and a nondeterministic code change caught by the replay check.

The wheels and the venv are made once per session (about a minute); the suite itself runs in
seconds plus the servers' start-up.
"""

from __future__ import annotations

import os
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("protos", "client", "replay", "worker", "testing", "cli")

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
    async def run(self, name: str, wait_seconds: float) -> str:
        await asyncio.sleep(wait_seconds)
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
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
import uuid

import pytest

import workflows
from workflows import Broken, Chores, Greeting, greet


THREE_DAYS = 3 * 86400.0


async def greets(client, workflow_worker, wait_seconds=THREE_DAYS):
    worker = await workflow_worker(workflows=[Greeting], activities=[greet])
    return await client.execute_workflow(
        Greeting.run,
        args=["ada", wait_seconds],
        id=f"greeting-{uuid.uuid4()}",
        task_queue=worker.task_queue,
    )


async def test_greets_in_process(client, workflow_worker, workflow_environment):
    assert workflow_environment.kind == "in-process"
    assert await greets(client, workflow_worker) == "hello ada"


@pytest.mark.tempyral_env("local")
async def test_greets_on_a_dev_server(client, workflow_worker, workflow_environment):
    assert workflow_environment.kind == "local"
    # Timers take real time on a dev server: a short one.
    assert await greets(client, workflow_worker, wait_seconds=0.2) == "hello ada"


@pytest.mark.tempyral_env("time-skipping")
async def test_greets_on_the_time_skipping_server(client, workflow_worker, workflow_environment):
    assert workflow_environment.kind == "time-skipping"
    assert await greets(client, workflow_worker) == "hello ada"


async def test_broken_workflow_fails_readably(client, workflow_worker):
    worker = await workflow_worker(workflows=[Broken])
    handle = await client.start_workflow(Broken.run, id="broken", task_queue=worker.task_queue)
    await asyncio.wait_for(handle.result(), timeout=1)


async def test_changed_code_is_caught_by_the_replay_check(client, workflow_worker):
    worker = await workflow_worker(workflows=[Chores])
    assert await client.execute_workflow(Chores.run, id="chores", task_queue=worker.task_queue) == 2
    workflows.STEPS.append("fold")  # the code now issues a third timer the history lacks
"""

PYPROJECT = """
[project]
name = "sample-shop"
version = "0"
requires-python = ">=3.10"

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""


def run(command: list[str], *, cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


@pytest.fixture(scope="session")
def sample_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with tempyral-testing[dev-server,time-skipping] installed from our wheels."""
    base = tmp_path_factory.mktemp("sample-venv")
    wheels = base / "wheels"
    environment = base / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    # The packages build with hatchling as `python -m build --no-isolation` would: from the
    # venv's own hatchling, in one pip call (the test env has neither build nor hatchling).
    run([*pip, "install", "hatchling>=1.26"])
    sources = [str(ROOT / "packages" / name) for name in PACKAGES]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), *sources])
    built = sorted(path.name for path in wheels.glob("*.whl"))
    assert [name.split("-")[0] for name in built] == sorted(
        f"tempyral_{name}" for name in PACKAGES
    ), built
    run([*pip, "uninstall", "-y", "hatchling"])
    run(
        [
            *pip,
            "install",
            "--find-links",
            str(wheels),
            "tempyral-testing[dev-server,time-skipping]",
        ]
    )
    return python


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "workflows.py").write_text(WORKFLOWS)
    (tmp_path / "test_shop.py").write_text(TESTS)
    return tmp_path


def test_the_installed_wheels_are_ours_not_the_workspace(sample_venv: Path) -> None:
    where = run(
        [
            str(sample_venv),
            "-c",
            "import tempyral.testing, pytest_asyncio; print(tempyral.testing.__file__)",
        ]
    )
    assert str(ROOT) not in where
    assert "site-packages" in where


def test_the_sample_project_passes_on_every_env_and_fails_readably(
    sample_venv: Path, sample_project: Path
) -> None:
    done = subprocess.run(
        [str(sample_venv), "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=sample_project,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    output = done.stdout + done.stderr
    assert "plugins: " in output, output
    for passing in (
        "test_greets_in_process PASSED",
        "test_greets_on_a_dev_server PASSED",
        "test_greets_on_the_time_skipping_server PASSED",
    ):
        assert passing in output, output
    # A failure shows the workflow's history summary, not a bare timeout.
    assert "test_broken_workflow_fails_readably FAILED" in output, output
    assert "tempyral workflows" in output, output
    assert "workflow 'broken' (Broken, task queue" in output, output
    assert "the order has no customer" in output, output
    # The changed code: the test body passed, the replay check failed it with the engine's diff.
    assert "test_changed_code_is_caught_by_the_replay_check ERROR" in output, output
    assert "replay check: 1 workflow run(s)" in output, output
    assert "workflow 'chores' (Chores)" in output, output
    assert "TMPRL1100" in output, output
    assert done.returncode == 1, output
