"""Tests of the release tooling (tools/release), driven through its command line.

The release tooling needs python-semantic-release, build, twine and sigstore, which live in the
``build`` environment of hatch.toml, not in the test environment. The tests therefore run
``python tools/release ...`` as a maintainer would, with that environment's interpreter: the
current one when it has the tools (``hatch run build:test``), else the one ``hatch env find
build`` names (created on first use, as ``hatch run build:...`` would).

Plan tests work in throwaway clones of this repository: a baseline where every package is tagged
at its current version, then conventional commits touching different packages.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "release"
SHORTS = ("protos", "client", "replay", "worker", "testing", "cli")
NEEDED = ("semantic_release", "build", "twine", "sigstore", "hatchling")
FLAG = "<!-- version list -->"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "release test",
    "GIT_AUTHOR_EMAIL": "release-test@example.invalid",
    "GIT_COMMITTER_NAME": "release test",
    "GIT_COMMITTER_EMAIL": "release-test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

HAS_TOOLS = all(importlib.util.find_spec(name) for name in NEEDED)
BUILD_PYTHON = (3, 11)  # hatch.toml, [envs.build]

# Whatever Python runs pytest, these tests drive the build environment's Python: under the other
# Pythons of the test matrix (hatch run py:test) they would only repeat the same runs.
pytestmark = pytest.mark.skipif(
    not HAS_TOOLS and sys.version_info[:2] != BUILD_PYTHON,
    reason="the release tooling runs on the build env's Python 3.11; tested once, from 3.11",
)


def _release_python() -> str:
    if HAS_TOOLS:
        return sys.executable
    hatch = os.environ.get("TEMPYRAL_HATCH") or shutil.which("hatch")
    if hatch is None:
        message = "no release tools here and no hatch on PATH: run `hatch run build:test`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HATCH_ENV", "VIRTUAL_ENV"))}
    found = subprocess.run(
        [hatch, "env", "find", "build"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    python = Path(found) / "bin" / "python"
    if not python.exists():
        subprocess.run(
            [hatch, "env", "create", "build"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            timeout=900,
        )
    return str(python)


@pytest.fixture(scope="session")
def release_python() -> str:
    return _release_python()


def tool(
    python: str, *args: str, root: Path | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [python, str(TOOL), *(["--root", str(root)] if root else []), *args]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_ENV},
        timeout=900,
    )
    if ok and done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def commit(repo: Path, message: str, *paths: str) -> None:
    """A commit with ``message`` that appends a line to each of ``paths``."""
    for relative in paths:
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(f"# {message}\n")
    git(repo, "add", "--", *paths)
    git(repo, "commit", "-q", "-m", message)


# --- throwaway clones --------------------------------------------------------------------------


def _clone(source: Path, target: Path) -> Path:
    git(source.parent, "clone", "-q", str(source), str(target))
    git(target, "checkout", "-q", "-B", "main")
    return target


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repo, with the work tree's release config, every package tagged."""
    repo = _clone(REPO, tmp_path_factory.mktemp("baseline") / "repo")
    for short in SHORTS:
        for name in ("pyproject.toml", "CHANGELOG.md"):
            shutil.copyfile(REPO / "packages" / short / name, repo / "packages" / short / name)
        changelog = repo / "packages" / short / "CHANGELOG.md"
        if FLAG not in changelog.read_text(encoding="utf-8"):  # until the flag is committed
            changelog.write_text(changelog.read_text(encoding="utf-8") + f"\n{FLAG}\n")
    git(repo, "add", "--", "packages")
    if git(repo, "status", "--porcelain", "--untracked-files=no").strip():
        git(repo, "commit", "-q", "-m", "chore: release test baseline")
    # Untagged baseline, for the first release; then the tagged one the scenarios start from.
    git(repo, "branch", "-q", "untagged")
    for short in SHORTS:
        git(repo, "tag", f"tempyral-{short}-v0.1.0")
    return repo


@pytest.fixture
def clone(baseline: Path, tmp_path: Path) -> Path:
    return _clone(baseline, tmp_path / "repo")


def plan(python: str, repo: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(tool(python, "plan", "--json", root=repo).stdout)
    return result


def versions(result: dict[str, Any]) -> dict[str, str]:
    """``{short: next}`` for the packages the plan releases."""
    return {p["package"]: p["next"] for p in result["packages"] if p["next"]}


# --- the plan ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commits", "expected"),
    [
        pytest.param(
            [
                ("docs(worker): explain slots", "packages/worker/README.md"),
                ("test(cli): one more", "packages/cli/tests/test_x.py"),
                ("fix: root tooling", "tools/some_script.py"),
            ],
            {},
            id="no-release-types-and-files-outside-packages",
        ),
        pytest.param(
            [("feat(testing): a new fixture", "docs/testing.md")],
            {"testing": "0.2.0"},
            id="scope-names-the-package",
        ),
        pytest.param(
            [("fix(replay): timer order", "packages/replay/src/tempyral/replay/x.py")],
            {"replay": "0.1.1", "worker": "0.1.1", "testing": "0.1.1", "cli": "0.1.1"},
            id="mid-layer-fix-bumps-dependents",
        ),
        pytest.param(
            [("feat(client)!: rename a method", "packages/client/src/tempyral/x.py")],
            {
                "client": "0.2.0",
                "replay": "0.1.1",
                "worker": "0.1.1",
                "cli": "0.1.1",
                "testing": "0.1.1",
            },
            id="breaking-on-0x-is-minor",
        ),
        pytest.param(
            [
                (
                    "fix(worker): one commit, two packages",
                    "packages/worker/src/tempyral/worker/x.py",
                    "packages/cli/src/tempyral/cli/x.py",
                )
            ],
            {"worker": "0.1.1", "cli": "0.1.1", "testing": "0.1.1"},
            id="commit-touching-two-packages",
        ),
        pytest.param(
            [
                ("fix(cli): a", "packages/cli/src/tempyral/cli/a.py"),
                ("feat(replay): b", "packages/replay/src/tempyral/replay/b.py"),
                ("fix(replay): c", "packages/replay/src/tempyral/replay/c.py"),
                ("docs(protos): d", "packages/protos/README.md"),
            ],
            {"replay": "0.2.0", "worker": "0.1.1", "cli": "0.1.1", "testing": "0.1.1"},
            id="sequence",
        ),
    ],
)
def test_plan_bumps_only_what_the_commits_touch(
    release_python: str, clone: Path, commits: list[tuple[str, ...]], expected: dict[str, str]
) -> None:
    for message, *paths in commits:
        commit(clone, message, *paths)
    assert versions(plan(release_python, clone)) == expected


def test_a_shared_change_bumps_every_dependent_with_raised_ranges(
    release_python: str, clone: Path
) -> None:
    commit(clone, "feat(protos): new API messages", "packages/protos/src/tempyral/api/x.py")
    result = plan(release_python, clone)
    assert versions(result) == {
        "protos": "0.2.0",
        "client": "0.1.1",
        "replay": "0.1.1",
        "worker": "0.1.1",
        "testing": "0.1.1",
        "cli": "0.1.1",
    }
    assert result["release"] == list(SHORTS)  # layer order: the order they are published in
    steps = {p["package"]: p for p in result["packages"]}
    assert steps["protos"]["level"] == "minor"
    assert steps["protos"]["commits"][0]["subject"] == "feat(protos): new API messages"
    assert steps["client"]["range_updates"] == {"tempyral-protos": ">=0.2.0,<0.3"}
    assert steps["worker"]["range_updates"] == {
        "tempyral-replay": ">=0.1.1,<0.2",
        "tempyral-client": ">=0.1.1,<0.2",
        "tempyral-protos": ">=0.2.0,<0.3",
    }
    assert any("needs tempyral-protos 0.2.0" in reason for reason in steps["cli"]["reasons"])


def test_version_carries_the_plan_out_and_psr_agrees(release_python: str, clone: Path) -> None:
    """The range commits make PSR reach the planned versions by itself; nothing is left after."""
    commit(clone, "feat(protos): new API messages", "packages/protos/src/tempyral/api/x.py")
    commit(clone, "fix(worker): drain on shutdown", "packages/worker/src/tempyral/worker/y.py")
    planned = versions(plan(release_python, clone))
    shown = tool(release_python, "version", root=clone).stdout  # the plan, as a table, first
    assert "tempyral-protos    0.1.0    0.2.0    minor  feat(protos): new API messages" in shown
    assert "tempyral-worker    0.1.0    0.1.1    patch  fix(worker): drain on shutdown" in shown
    for short, version in planned.items():
        assert f"tempyral-{short}-v{version}" in git(clone, "tag", "--points-at", "HEAD") + git(
            clone, "tag", "--merged", "HEAD"
        )
        pyproject = (clone / "packages" / short / "pyproject.toml").read_text(encoding="utf-8")
        assert f'version = "{version}"' in pyproject
        assert f"## v{version} (" in (clone / "packages" / short / "CHANGELOG.md").read_text(
            encoding="utf-8"
        )
    client = (clone / "packages/client/pyproject.toml").read_text(encoding="utf-8")
    assert '"tempyral-protos>=0.2.0,<0.3"' in client
    changelog = (clone / "packages/client/CHANGELOG.md").read_text(encoding="utf-8")
    assert "require tempyral-protos>=0.2.0,<0.3" in changelog.lower()
    worker = (clone / "packages/worker/pyproject.toml").read_text(encoding="utf-8")
    assert f'"tempyral-client[grpc]>={planned["client"]},<0.2"' in worker  # the extra stays
    assert versions(plan(release_python, clone)) == {}
    assert not git(clone, "status", "--porcelain", "--untracked-files=no").strip()


def test_first_release_is_the_declared_version(release_python: str, clone: Path) -> None:
    git(clone, "checkout", "-q", "origin/untagged")
    git(clone, "checkout", "-q", "-B", "main")
    for tag in git(clone, "tag").split():
        git(clone, "tag", "-d", tag)
    result = plan(release_python, clone)
    assert versions(result) == dict.fromkeys(SHORTS, "0.1.0")
    assert {p["level"] for p in result["packages"]} == {"first"}
    tool(release_python, "version", root=clone)
    assert sorted(git(clone, "tag").split()) == sorted(f"tempyral-{s}-v0.1.0" for s in SHORTS)


def test_version_refuses_a_dirty_tree(release_python: str, clone: Path) -> None:
    commit(clone, "fix(cli): a", "packages/cli/src/tempyral/cli/a.py")
    (clone / "packages/cli/README.md").write_text("edited\n", encoding="utf-8")
    done = tool(release_python, "version", root=clone, ok=False)
    assert done.returncode == 1
    assert "uncommitted changes" in done.stderr
    assert "tempyral-cli-v0.1.1" not in git(clone, "tag")


# --- build, checks and smoke test --------------------------------------------------------------


@pytest.fixture(scope="session")
def built(
    release_python: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """Every wheel and sdist of the work tree, built, checked and smoke-tested once."""
    folder = tmp_path_factory.mktemp("dist")
    report = folder / "report.json"
    tool(release_python, "check", "--out", str(folder / "dist"), "--report", str(report))
    return folder / "dist", json.loads(report.read_text(encoding="utf-8"))


def test_check_builds_and_smoke_tests_all_six(built: tuple[Path, dict[str, Any]]) -> None:
    _, report = built
    files = [a["file"] for a in report["artifacts"]]
    for short in SHORTS:
        assert sum(f.startswith(f"tempyral_{short}-") and f.endswith(".whl") for f in files) == 1
        assert sum(f.startswith(f"tempyral_{short}-") and f.endswith(".tar.gz") for f in files) == 1
    assert all(a["bytes"] > 1000 for a in report["artifacts"])
    for name in (
        "tempyral.api",
        "tempyral.client",
        "tempyral.replay",
        "tempyral.worker",
        "tempyral.testing",
        "tempyral.cli",
    ):
        assert name in report["imported"]
    assert any(check.startswith("smoke: protos alone") for check in report["checks"])


def _rewrite_wheel(source: Path, target: Path, edit: dict[str, Any]) -> None:
    """Copy a wheel, replacing or adding members: ``{name: bytes, or a str -> str function}``."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            change = edit.get(item.filename)
            new.writestr(item, change(data.decode()).encode() if callable(change) else data)
        for name, data in edit.items():
            if not callable(data):
                new.writestr(name, data)


def _broken_copy(
    built: tuple[Path, dict[str, Any]], tmp_path: Path, short: str, edit: dict[str, Any]
) -> Path:
    dist, _ = built
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy)
    wheel = next(copy.glob(f"tempyral_{short}-*.whl"))
    _rewrite_wheel(dist / wheel.name, wheel, edit)
    return copy


def test_check_rejects_a_wheel_that_ships_the_namespace_init(
    release_python: str, built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    copy = _broken_copy(built, tmp_path, "replay", {"tempyral/__init__.py": b""})
    done = tool(release_python, "check", "--no-build", "--no-smoke", "--out", str(copy), ok=False)
    assert done.returncode == 1
    assert "tempyral/__init__.py is shipped by tempyral_replay-" in done.stderr


def test_check_rejects_a_sibling_range_the_built_versions_miss(
    release_python: str, built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    dist, _ = built
    wheel = next(dist.glob("tempyral_client-*.whl")).name
    metadata = wheel.split("-py3")[0] + ".dist-info/METADATA"
    copy = _broken_copy(
        built,
        tmp_path,
        "client",
        {
            metadata: lambda text: text.replace(
                "tempyral-protos<0.2,>=0.1", "tempyral-protos<0.3,>=0.2"
            )
        },
    )
    done = tool(release_python, "check", "--no-build", "--no-smoke", "--out", str(copy), ok=False)
    assert done.returncode == 1
    assert "requires tempyral-protos<0.3,>=0.2 but tempyral-protos is" in done.stderr


# --- signature verification --------------------------------------------------------------------

# Real sigstore bundles, signed through Fulcio and logged in Rekor, that pypi-attestations keeps
# as test assets in its sdist on PyPI (pinned by digest below). They are another project's
# artifacts: tempyral's own bundles only exist once its release workflow has run on GitHub.
ASSETS_SDIST = (
    "pypi-attestations==0.0.30 "
    "--hash=sha256:14ff13c76bbef02a483c2b77532da02bfd746b5141b881f355e06b9807434423"
)
WORKFLOW_SIGNED = "pypi_attestation_models-0.0.4a2.tar.gz"
WORKFLOW_IDENTITY = (
    "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/"
    "release.yml@refs/tags/v0.0.4a2"
)
# A wheel's PyPI publish attestation, signed on sigstore's staging instance by a person.
WHEEL_SIGNED = "rfc8785-0.1.2-py3-none-any.whl"
WHEEL_SIGNER = (
    "--staging",
    "--identity",
    "william@yossarian.net",
    "--issuer",
    "https://github.com/login/oauth",
)


@pytest.fixture(scope="session")
def signed(release_python: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The signed assets and their bundles, from the pinned sdist (downloaded once, cached)."""
    import tarfile

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tempyral-tests"
    cache.mkdir(parents=True, exist_ok=True)
    if not list(cache.glob("pypi_attestations-0.0.30.tar.gz")):
        requirements = tmp_path_factory.mktemp("req") / "requirements.txt"
        requirements.write_text(ASSETS_SDIST + "\n", encoding="utf-8")
        subprocess.run(
            [
                release_python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--require-hashes",
                "-r",
                str(requirements),
                "-d",
                str(cache),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    folder = tmp_path_factory.mktemp("signed")
    wanted = (WORKFLOW_SIGNED, WHEEL_SIGNED)
    with tarfile.open(cache / "pypi_attestations-0.0.30.tar.gz") as sdist:
        for member in sdist.getmembers():
            name = member.name.rpartition("/")[2]
            if "/test/assets/" in member.name and name in {
                *wanted,
                *(f"{w}.sigstore" for w in wanted),
            }:
                extracted = sdist.extractfile(member)
                assert extracted is not None
                (folder / name).write_bytes(extracted.read())
    return folder


def verify(
    python: str, signed: Path, artifact: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return tool(python, "verify", str(signed / artifact), *args, ok=False)


def test_verify_accepts_a_release_workflow_signature(release_python: str, signed: Path) -> None:
    done = verify(
        release_python,
        signed,
        WORKFLOW_SIGNED,
        "--bundle",
        str(signed / f"{WORKFLOW_SIGNED}.sigstore"),
        "--identity",
        WORKFLOW_IDENTITY,
    )
    assert done.returncode == 0, done.stderr
    assert f"OK: {WORKFLOW_SIGNED} was signed by {WORKFLOW_IDENTITY}" in done.stdout


def test_verify_accepts_a_signed_wheel_with_the_bundle_beside_it(
    release_python: str, signed: Path
) -> None:
    # The release workflow names each bundle <artifact>.sigstore.json; verify finds it there.
    (signed / f"{WHEEL_SIGNED}.sigstore.json").write_bytes(
        (signed / f"{WHEEL_SIGNED}.sigstore").read_bytes()
    )
    done = verify(release_python, signed, WHEEL_SIGNED, *WHEEL_SIGNER)
    assert done.returncode == 0, done.stderr


def test_verify_rejects_a_tampered_artifact(release_python: str, signed: Path) -> None:
    tampered = signed / "tampered" / WHEEL_SIGNED
    tampered.parent.mkdir(exist_ok=True)
    tampered.write_bytes((signed / WHEEL_SIGNED).read_bytes() + b"\0")
    done = tool(
        release_python,
        "verify",
        str(tampered),
        "--bundle",
        str(signed / f"{WHEEL_SIGNED}.sigstore"),
        *WHEEL_SIGNER,
        ok=False,
    )
    assert done.returncode == 1
    assert f"{WHEEL_SIGNED} is NOT verified" in done.stderr


def test_verify_rejects_a_signature_by_another_workflow(release_python: str, signed: Path) -> None:
    """A genuine signature, but not by tempyral's release workflow (the default identity)."""
    done = verify(
        release_python,
        signed,
        WORKFLOW_SIGNED,
        "--bundle",
        str(signed / f"{WORKFLOW_SIGNED}.sigstore"),
    )
    assert done.returncode == 1
    assert "tempyral/tempyral/.github/workflows/release.yml@refs/heads/main" in done.stderr


# --- workflows ---------------------------------------------------------------------------------

WORKFLOWS = REPO / ".github" / "workflows"


def _load_yaml(python: str, path: Path) -> dict[str, Any]:
    # YAML 1.2 (ruamel, from check-jsonschema): `on:` stays a string key.
    script = (
        "import json, sys; from ruamel.yaml import YAML; "
        "print(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))"
    )
    done = subprocess.run(
        [python, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_workflows_match_the_github_workflow_schema(release_python: str) -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) >= 2
    done = subprocess.run(
        [
            release_python,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_release_workflow_signs_attests_and_publishes_in_layer_order(release_python: str) -> None:
    release = _load_yaml(release_python, WORKFLOWS / "release.yml")
    assert set(release["on"]) == {"workflow_dispatch"}
    publish = release["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write", "contents": "write"}
    assert publish["strategy"]["max-parallel"] == 1
    assert publish["environment"]["name"] == "pypi"
    runs = "\n".join(step.get("run", "") for step in publish["steps"])
    assert "sigstore sign upload/*" in runs
    assert "build:verify" in runs
    assert "gh release create" in runs
    assert "bundles/*" in runs
    pypi = next(s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", ""))
    assert pypi["with"]["attestations"] is True
    assert "password" not in pypi.get("with", {})  # trusted publishing, no token
    version = release["jobs"]["version"]
    assert "build:version" in "\n".join(step.get("run", "") for step in version["steps"])
    # Nothing is versioned before the reliability suite's long mode has passed.
    assert version["needs"] == "reliability"
    long_mode = release["jobs"]["reliability"]["steps"][-1]
    assert long_mode["env"]["TEMPYRAL_RELIABILITY"] == "long"
    assert "-m reliability" in long_mode["run"]


def test_ci_tests_every_supported_python(release_python: str) -> None:
    ci = _load_yaml(release_python, WORKFLOWS / "ci.yml")
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    runs = "\n".join(s.get("run", "") for job in ci["jobs"].values() for s in job["steps"])
    for command in (
        "lint:check",
        "types:check",
        "hatch run layers",
        "gen:check",
        "build:all",
        "build:plan",
        "actionlint",
    ):
        assert command in runs


def test_plan_off_main_says_releases_are_planned_on_main(release_python: str, clone: Path) -> None:
    git(clone, "checkout", "-q", "-B", "feature")
    done = tool(release_python, "plan", root=clone, ok=False)
    assert done.returncode == 1
    assert "branch 'feature' is not main" in done.stderr
