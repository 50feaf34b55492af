"""`tempyral init`: the generated project's own tests pass right away, offline, and its worker
and starter work against a real server through `tempyral worker run`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tempyral.testing import DevServer

from .conftest import RunCli, WorkerProcess, cli_env


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


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, stage by stage: (KEYWORD, arguments), continuation lines
    joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    stages: list[list[tuple[str, str]]] = []
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def test_the_dockerfile_runs_the_worker_as_a_non_root_user_with_a_graceful_stop(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("init", "shop", cwd=tmp_path).returncode == 0
    project = tmp_path / "shop"
    build, image = dockerfile_stages((project / "Dockerfile").read_text())
    assert build[0] == ("FROM", "python:3.12-slim AS build")
    assert image[0] == ("FROM", "python:3.12-slim")
    # The build stage sees the wheels folder, which exists (so COPY works) and is not ignored.
    assert ("COPY", "wheels ./wheels") in build
    assert (project / "wheels" / "README.md").is_file()
    assert "wheels" not in (project / ".dockerignore").read_text()
    assert "wheels/*.whl" in (project / ".gitignore").read_text().splitlines()
    # The image copies nothing in: its packages come from a mount of the build stage's wheels.
    keywords = [keyword for keyword, _ in image]
    assert "COPY" not in keywords
    assert "ADD" not in keywords
    # A user with a uid of its own, taken after the last root step (the install).
    assert ("RUN", "useradd --create-home --uid 10001 worker") in image
    user_at = image.index(("USER", "worker"))
    assert max(i for i, (keyword, _) in enumerate(image) if keyword == "RUN") < user_at
    assert ("STOPSIGNAL", "SIGTERM") in image
    assert image[-1][0] == "CMD"
    # Exec form: the worker is PID 1 and gets SIGTERM itself.
    assert json.loads(image[-1][1]) == ["tempyral", "worker", "run", "shop.worker:create_worker"]
    pyproject = (project / "pyproject.toml").read_text()
    assert '"tempyral-worker>=0.' in pyproject
    readme = (project / "README.md").read_text()
    assert "wheels/README.md" in readme
    assert "pip install --find-links wheels -e '.[test]'" in readme


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


REPO_PACKAGES = Path(__file__).parents[2]
# What the generated project's worker image needs (tempyral-testing is for its tests only).
IMAGE_PACKAGES = ("protos", "client", "replay", "worker", "cli")


@pytest.fixture(scope="module")
def tempyral_wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Wheels of the tempyral packages built from this checkout, as wheels/README.md says."""
    out = tmp_path_factory.mktemp("tempyral-wheels")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out)]
        + [str(REPO_PACKAGES / name) for name in IMAGE_PACKAGES],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return sorted(out.glob("*.whl"))


def run_step(
    command: str, cwd: Path, python: Path, replace: dict[str, str], *, isolated: bool = False
) -> None:
    """One RUN of the Dockerfile outside Docker: its pip is ``python``'s, its absolute paths
    moved under the test's folder; ``isolated``: none of this machine's pip settings (indexes,
    find-links), as in a fresh image."""
    for container_path, local_path in replace.items():
        command = command.replace(container_path, local_path)
    words = [word for word in command.split() if not word.startswith("--mount=")]
    assert words[0] == "pip", command
    env = dict(os.environ)
    if isolated:
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run(
        [str(python), "-m", "pip", *words[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


@pytest.mark.integration  # minutes of wheel builds and installs
def test_the_images_steps_install_from_the_wheels_folder_and_run_the_worker(
    run_cli: RunCli,
    tmp_path: Path,
    tempyral_wheels: list[Path],
    tempyral_dev_server: DevServer,
) -> None:
    assert run_cli("init", "shop", cwd=tmp_path).returncode == 0
    project = tmp_path / "shop"
    for wheel in tempyral_wheels:
        shutil.copy(wheel, project / "wheels")
    build, image = dockerfile_stages((project / "Dockerfile").read_text())
    wheelhouse = tmp_path / "wheelhouse"
    paths = {"/wheelhouse": str(wheelhouse)}
    # Stage 1 in a copy of the build context, as its COPY lines lay it out.
    context = tmp_path / "build"
    context.mkdir()
    for keyword, arguments in build:
        if keyword == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                origin = project / source
                copy = shutil.copytree if origin.is_dir() else shutil.copy
                copy(origin, context / source)
        elif keyword == "RUN":
            run_step(arguments, context, Path(sys.executable), paths)
    assert (wheelhouse / "shop-0.1.0-py3-none-any.whl").is_file()
    # Stage 2 in a new virtual environment: the install may use nothing but the wheelhouse.
    venv.EnvBuilder(with_pip=True).create(tmp_path / "image")
    bin_dir = tmp_path / "image" / "bin"
    installs = [a for k, a in image if k == "RUN" and "pip install" in a]
    assert len(installs) == 1
    assert "--no-index" in installs[0]
    run_step(installs[0], tmp_path, bin_dir / "python", paths, isolated=True)
    # The image's command, from the user's home, with the image's PATH (its scripts first).
    home = tmp_path / "home-worker"
    home.mkdir()
    env = cli_env(
        home,
        {
            "TEMPORAL_ADDRESS": tempyral_dev_server.target,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    env.pop("PYTHONPATH", None)
    command = json.loads(image[-1][1])
    assert shutil.which(command[0], path=env["PATH"]) == str(bin_dir / command[0])
    assert command[1:3] == ["worker", "run"]
    worker = WorkerProcess(*command[3:], env=env, cwd=home, program=[str(bin_dir / command[0])])
    try:
        worker.wait_for("running; stop with Ctrl-C or SIGTERM")
        started = subprocess.run(
            [str(bin_dir / "shop-start"), "Ada"],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert started.stdout.strip() == "Hello, Ada!", started.stderr
    except BaseException:
        worker.close()
        raise
    assert worker.stop(signal.SIGTERM) == 0, worker.stderr
    assert "workers stopped cleanly" in worker.stderr


def docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False)
    return info.returncode == 0


@pytest.mark.integration  # a real image build
def test_the_image_builds_and_is_configured_as_the_dockerfile_says(
    run_cli: RunCli, tmp_path: Path, tempyral_wheels: list[Path]
) -> None:
    if not docker_daemon():
        # The steps themselves are run outside Docker by the test above.
        pytest.skip("no Docker daemon answers `docker info` on this machine")
    assert run_cli("init", "shop", cwd=tmp_path).returncode == 0
    project = tmp_path / "shop"
    for wheel in tempyral_wheels:
        shutil.copy(wheel, project / "wheels")
    tag = f"tempyral-init-test:{os.getpid()}"
    built = subprocess.run(
        ["docker", "build", "-t", tag, "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    try:
        inspected = subprocess.run(
            ["docker", "image", "inspect", tag], capture_output=True, text=True, check=True
        )
        config = json.loads(inspected.stdout)[0]["Config"]
        assert config["User"] == "worker"
        assert config["StopSignal"] == "SIGTERM"
        assert config["Cmd"] == ["tempyral", "worker", "run", "shop.worker:create_worker"]
        version = subprocess.run(
            ["docker", "run", "--rm", tag, "tempyral", "--version"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert version.returncode == 0, version.stderr
        assert "tempyral-worker" in version.stdout
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)
