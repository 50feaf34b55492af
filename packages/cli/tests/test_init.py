"""`tempyral init`: the generated project's own tests pass right away, offline, and its worker
and starter work against a real server through `tempyral worker run`."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tempyral.testing import DevServer

from .conftest import RunCli, cli_env


def test_the_generated_projects_tests_pass(run_cli: RunCli, tmp_path: Path) -> None:
    created = run_cli("init", "order-service", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "order-service"
    assert (project / "src" / "order_service" / "workflows.py").is_file()
    offline = {**cli_env(tmp_path), "PIP_NO_INDEX": "1", "NO_PROXY": "*"}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=project,
        env=offline,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_the_dockerfile_runs_the_worker_as_a_non_root_user_with_a_graceful_stop(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("init", "shop", cwd=tmp_path).returncode == 0
    dockerfile = (tmp_path / "shop" / "Dockerfile").read_text()
    assert "-slim" in dockerfile.splitlines()[1]
    assert "\nUSER worker\n" in dockerfile
    assert "STOPSIGNAL SIGTERM" in dockerfile
    assert 'CMD ["tempyral", "worker", "run", "shop.worker:create_worker"]' in dockerfile
    pyproject = (tmp_path / "shop" / "pyproject.toml").read_text()
    assert '"tempyral-worker>=0.' in pyproject


def test_an_existing_folder_or_a_bad_name_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("mine")
    taken = run_cli("init", "taken", cwd=tmp_path)
    assert taken.returncode == 2
    assert "already exists and is not empty" in taken.stderr
    assert (tmp_path / "taken" / "file.txt").read_text() == "mine"
    bad = run_cli("init", "2fast", cwd=tmp_path)
    assert bad.returncode == 2
    assert "not a usable project name" in bad.stderr


def test_the_generated_worker_and_starter_run_against_a_server(
    run_cli: RunCli, tmp_path: Path, tempyral_dev_server: DevServer
) -> None:
    assert run_cli("init", "hello", cwd=tmp_path).returncode == 0
    project = tmp_path / "hello"
    env = cli_env(
        tmp_path,
        {"TEMPORAL_ADDRESS": tempyral_dev_server.target, "PYTHONPATH": str(project / "src")},
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "tempyral.cli", "worker", "run", "hello.worker:create_worker"],
        cwd=project,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = subprocess.run(
            [sys.executable, "-m", "hello.starter", "Ada"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert started.stdout.strip() == "Hello, Ada!", started.stderr
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
