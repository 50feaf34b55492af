"""Build every wheel and sdist, check them, and smoke-test the wheels in clean venvs.

Checks, in order (each failure names the file and what to fix):

* ``python -m build`` per package (sdist, then the wheel built from that sdist), without build
  isolation: the build environment pins hatchling, so no index is needed to build;
* ``twine check --strict`` on every file;
* no wheel or sdist ships ``tempyral/__init__.py`` (PEP 420: nobody owns the namespace);
* every sibling requirement in a wheel's metadata admits the sibling wheel built with it;
* smoke test, from the wheels alone: a clean venv gets ONLY the tempyral-protos wheel with its
  ``grpc`` extra (and its dependencies from the index) and must give a working
  ``tempyral.api.workflowservice.v1.service_pb2_grpc.WorkflowServiceStub`` with no other tempyral
  package present; then all six wheels go in together (tempyral-client with its grpc and
  pydantic extras) and every package they hold must import, ``pip check`` must pass and the
  ``tempyral`` command must answer ``--help``.

Third-party dependencies come from the package index as usual (pip's cache makes reruns fast);
``--pip-arg=--no-index --pip-arg=--find-links=DIR`` runs it from a local wheelhouse instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from release.workspace import Package, ReleaseError

NAMESPACE_INIT = "tempyral/__init__.py"
STUB = "tempyral.api.workflowservice.v1.service_pb2_grpc.WorkflowServiceStub"


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str
    version: Version
    requires: tuple[str, ...]
    files: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> Wheel:
        with zipfile.ZipFile(path) as archive:
            files = tuple(archive.namelist())
            metadata_name = next(f for f in files if f.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(metadata_name).decode())
        return cls(
            path,
            canonicalize_name(metadata["Name"]),
            Version(metadata["Version"]),
            tuple(metadata.get_all("Requires-Dist") or ()),
            files,
        )

    def import_names(self) -> list[str]:
        """Every regular package the wheel holds, up to three levels, and tempyral.api alone."""
        names = []
        for file in self.files:
            parts = file.split("/")
            package = parts[0] == "tempyral" and parts[-1] == "__init__.py"
            if package and 3 <= len(parts) <= 4 and (parts[1] != "api" or len(parts) == 3):
                names.append(".".join(parts[:-1]))
        return sorted(names)


@dataclass
class Report:
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"artifacts": self.artifacts, "imported": self.imported, "checks": self.checks}


def _run(command: list[str], what: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(
            f"{what} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return done.stdout


def build(packages: list[Package], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)

    def one(package: Package) -> str:
        return _run(
            [
                sys.executable,
                "-m",
                "build",
                "--no-isolation",
                "--outdir",
                str(out),
                str(package.path),
            ],
            f"building {package.name}",
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(one, packages))


def find_dists(out: Path, packages: list[Package]) -> tuple[list[Path], list[Path]]:
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    for package in packages:
        stem = f"{package.name.replace('-', '_')}-"
        for kind, found in (("wheel", wheels), ("sdist", sdists)):
            matching = [p for p in found if p.name.startswith(stem)]
            if len(matching) != 1:
                raise ReleaseError(
                    f"{out}: expected one {kind} of {package.name}, "
                    f"found {[p.name for p in matching]}; empty the folder first"
                )
    return wheels, sdists


def check_metadata(files: list[Path]) -> None:
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], "twine check")


def check_namespace(wheels: list[Wheel], sdists: list[Path]) -> None:
    offenders = [w.path.name for w in wheels if NAMESPACE_INIT in w.files]
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            if any(name.endswith(f"/src/{NAMESPACE_INIT}") for name in archive.getnames()):
                offenders.append(sdist.name)
    if offenders:
        raise ReleaseError(
            f"{NAMESPACE_INIT} is shipped by {', '.join(offenders)}: tempyral is "
            "a PEP 420 namespace, delete that file from the package's src/"
        )


def check_sibling_ranges(wheels: list[Wheel]) -> None:
    built = {w.name: w.version for w in wheels}
    problems = []
    for wheel in wheels:
        for text in wheel.requires:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if not name.startswith("tempyral-"):
                continue
            if name not in built:
                problems.append(f"{wheel.path.name} requires {text}, which was not built")
            elif built[name] not in requirement.specifier:
                problems.append(f"{wheel.path.name} requires {text} but {name} is {built[name]}")
    if problems:
        raise ReleaseError(
            "sibling ranges not satisfied by the built versions:\n" + "\n".join(problems)
        )


_PROTOS_ONLY = f"""
import importlib.util, json, grpc
import tempyral
assert getattr(tempyral, "__file__", None) is None, f"tempyral is not a namespace: {{tempyral}}"
from {STUB.rpartition(".")[0]} import {STUB.rpartition(".")[2]} as Stub
channel = grpc.insecure_channel("localhost:1")
stub = Stub(channel)
methods = [m for m in ("StartWorkflowExecution", "PollWorkflowTaskQueue", "GetSystemInfo")
           if callable(getattr(stub, m, None))]
assert len(methods) == 3, methods
others = [n for n in ("tempyral.client", "tempyral.replay", "tempyral.worker", "tempyral.testing")
          if importlib.util.find_spec(n) is not None]
assert not others, f"only tempyral-protos was installed, yet {{others}} import"
channel.close()
print(json.dumps(methods))
"""

_IMPORT_ALL = """
import importlib, json, sys
names = sys.argv[1:]
for name in names:
    importlib.import_module(name)
import tempyral
assert getattr(tempyral, "__file__", None) is None, tempyral
print(json.dumps(sorted(tempyral.__path__)))
"""


# Every package of every wheel is imported: tempyral.contrib.pydantic and
# tempyral.contrib.opentelemetry too, which need their extras.
_SMOKE_EXTRAS = {"tempyral-client": "[grpc,pydantic]", "tempyral-worker": "[opentelemetry]"}


def smoke(wheels: list[Wheel], pip_args: list[str], workdir: Path) -> list[str]:
    venv = workdir / "smoke-venv"
    _run([sys.executable, "-m", "venv", str(venv)], "creating the smoke-test venv")
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_args]
    by_name = {w.name: w for w in wheels}
    protos_with_stubs = f"{by_name['tempyral-protos'].path}[grpc]"
    _run([*pip, protos_with_stubs], "installing the tempyral-protos wheel with its grpc extra")
    _run([python, "-c", _PROTOS_ONLY], f"protos-only smoke test ({STUB})", cwd=workdir)
    # By name from the wheel folder: pip matches a sibling's "tempyral-client[grpc]" requirement
    # against a named candidate, not against a wheel given by path with other extras.
    folder = ["--find-links", str(wheels[0].path.parent)]
    together = [f"{w.name}{_SMOKE_EXTRAS.get(w.name, '')}=={w.version}" for w in wheels]
    _run([*pip, *folder, *together], "installing all six wheels")
    _run([python, "-m", "pip", "check"], "pip check")
    names = sorted({name for w in wheels for name in w.import_names()})
    _run([python, "-c", _IMPORT_ALL, *names], "importing every package", cwd=workdir)
    _run([str(venv / "bin" / "tempyral"), "--help"], "the tempyral command", cwd=workdir)
    return names


def check(
    packages: list[Package], out: Path, *, build_first: bool, run_smoke: bool, pip_args: list[str]
) -> Report:
    report = Report()
    if build_first:
        build(packages, out)
        report.checks.append(f"built {len(packages)} wheels and sdists into {out}")
    wheel_paths, sdists = find_dists(out, packages)
    check_metadata(wheel_paths + sdists)
    report.checks.append("twine check --strict: passed")
    wheels = [Wheel.read(p) for p in wheel_paths]
    check_namespace(wheels, sdists)
    report.checks.append(f"no wheel or sdist ships {NAMESPACE_INIT}")
    check_sibling_ranges(wheels)
    report.checks.append("sibling ranges admit the sibling versions built")
    if run_smoke:
        with tempfile.TemporaryDirectory(prefix="tempyral-smoke-") as tmp:
            report.imported = smoke(wheels, pip_args, Path(tmp))
        report.checks.append(
            f"smoke: protos alone gives {STUB.rpartition('.')[2]}; all six "
            f"wheels install together, pip check passes, "
            f"{len(report.imported)} packages import"
        )
    for path in wheel_paths + sdists:
        report.artifacts.append({"file": path.name, "bytes": path.stat().st_size})
    return report


def render(report: Report) -> str:
    lines = [f"{'artifact':<52} {'size':>10}"]
    lines += [f"{a['file']:<52} {a['bytes'] / 1024:>8.1f} kB" for a in report.artifacts]
    lines.append("")
    lines += [f"ok: {check}" for check in report.checks]
    return "\n".join(lines)


def dump(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)
