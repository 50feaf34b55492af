"""The release plan: which packages would be released, at which versions, and why.

python-semantic-release (PSR) is the one source of the commit rules. For each package it runs
``semantic-release --noop version --print`` in the package's folder, with the package's own
``[tool.semantic_release]`` configuration: the conventional-monorepo parser counts a commit when it
touches files under the folder or when its scope names the package, and 0.x semantics apply
(``major_on_zero = false``). Its debug log says which commits introduced which bump; those are
the reasons shown.

What PSR does not do, this module adds: a package that depends on a sibling being released is
released too (a patch at least), with its range raised to the new version (``>=0.2.0,<0.3``).
Each package is tested at HEAD against its siblings at HEAD (the workspace installs them all), so
a lower floor would claim a compatibility nobody checked. ``versioning`` turns each raised range
into a ``fix(<package>)`` commit before running PSR for real, so that PSR then reaches the same
versions by itself.

A package with no tag yet gets its first release at the version its pyproject.toml declares.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from release import config
from release.workspace import (
    GITHUB_REPOSITORY,
    Package,
    ReleaseError,
    git,
    last_released,
    load,
    range_for,
)

_BUMP_LINE = re.compile(r"commit ([0-9a-f]{7,40}) introduces an? (\w+) level_bump")
# PSR only needs a remote URL to render links; a clone without "origin" gets this one.
_FALLBACK_REMOTE = f"https://github.com/{GITHUB_REPOSITORY}.git"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    level: str  # as PSR named the bump: major, minor, patch


@dataclass
class Step:
    package: Package
    last: Version | None  # last released version (tag), None before the first release
    next: Version | None  # None: not released
    level: str = ""  # major, minor, patch, first, or "" when not released
    commits: list[Commit] = field(default_factory=list)
    # Sibling distribution -> the range this release will declare for it.
    range_updates: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.package.short,
            "name": self.package.name,
            "last": str(self.last) if self.last else None,
            "next": str(self.next) if self.next else None,
            "tag": self.package.tag(self.next) if self.next else None,
            "level": self.level,
            "commits": [c.__dict__ for c in self.commits],
            "range_updates": self.range_updates,
            "reasons": self.reasons,
        }


@dataclass
class Plan:
    root: Path
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)

    @property
    def released(self) -> list[Step]:
        return [step for step in self.steps if step.next is not None]

    def step(self, short_or_name: str) -> Step:
        for step in self.steps:
            if short_or_name in (step.package.short, step.package.name):
                return step
        raise KeyError(short_or_name)

    def to_json(self) -> dict[str, Any]:
        return {
            "release": [step.package.short for step in self.released],
            "packages": [step.to_json() for step in self.steps],
            "warnings": self.warnings,
        }


def psr_environment(root: Path) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="500", NO_COLOR="1", TERM="dumb")
    if "origin" not in git(root, "remote").split():
        env.setdefault("TEMPYRAL_RELEASE_REMOTE_URL", _FALLBACK_REMOTE)
    return env


def psr_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "semantic_release", *args]


def _ask_psr(root: Path, package: Package, env: dict[str, str]) -> tuple[Version, list[Commit]]:
    """PSR's next version for ``package`` and the commits it counted, without changing anything."""
    done = subprocess.run(
        psr_command("-vv", "--noop", "version", "--print"),
        cwd=root / "packages" / package.short,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    printed = done.stdout.strip().splitlines()
    if done.returncode != 0 or not printed:
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
        if not errors and "isn't in any release groups" in done.stderr:
            errors = [
                f"branch {git(root, 'branch', '--show-current').strip()!r} is not main: "
                "releases are planned on main (see [tool.semantic_release.branches])"
            ]
        raise ReleaseError(
            f"semantic-release could not plan {package.name} (exit {done.returncode}):\n"
            + "\n".join(errors)
        )
    levels = dict(_BUMP_LINE.findall(done.stderr))
    commits = []
    if levels:
        for line in git(root, "log", "--format=%H%x09%s", "--no-merges", "-n", "500").splitlines():
            sha, _, subject = line.partition("\t")
            for short_sha, level in levels.items():
                if sha.startswith(short_sha) and level in ("major", "minor", "patch"):
                    commits.append(Commit(sha[:10], subject, level))
    return Version(printed[-1]), commits


def _level(old: Version, new: Version) -> str:
    if new.major != old.major:
        return "major"
    return "minor" if new.minor != old.minor else "patch"


def _floor(specifier: str) -> Version | None:
    for clause in specifier.split(","):
        if clause.strip().startswith(">="):
            return Version(clause.strip()[2:])
    return None


def compute(root: Path) -> Plan:
    packages = load(root)
    config.check(root, packages)  # every package follows the same release rules
    env = psr_environment(root)
    with ThreadPoolExecutor(max_workers=len(packages)) as pool:
        answers = list(pool.map(lambda p: _ask_psr(root, p, env), packages))
    plan = Plan(root, [])
    for package, (psr_next, commits) in zip(packages, answers, strict=True):
        last = last_released(root, package)
        step = Step(package, last, None, commits=commits)
        if last is None:
            step.next, step.level = package.version, "first"
            step.reasons.append(f"first release: no {package.name}-v* tag yet")
        elif psr_next != last:
            step.next, step.level = psr_next, _level(last, psr_next)
            step.reasons += [f"{c.subject} [{c.sha[:7]}] -> {c.level}" for c in commits]
        if last is not None and package.version != last:
            plan.warnings.append(
                f"{package.name}: pyproject.toml says {package.version} but the last tag is "
                f"{package.tag(last)}; semantic-release will overwrite the former"
            )
        plan.steps.append(step)
    _propagate(plan)
    _check_ranges(plan)
    return plan


def _propagate(plan: Plan) -> None:
    """Release the dependents of every released package, raising their range (layer order)."""
    for step in plan.steps:
        package = step.package
        for sibling, requirement in package.sibling_requirements.items():
            dependency = plan.step(sibling)
            if dependency.next is None:
                continue
            old = str(package.sibling_specifier(sibling))
            floor = _floor(old)
            if floor is not None and floor == dependency.next:
                continue  # already asks for exactly this release (first releases)
            step.range_updates[sibling] = range_for(dependency.next)
            step.reasons.append(
                f"needs {sibling} {dependency.next}: {requirement} -> "
                f"{sibling}{step.range_updates[sibling]}"
            )
        if step.range_updates and step.next is None:
            assert step.last is not None  # a first release is always in the plan
            step.next = Version(f"{step.last.major}.{step.last.minor}.{step.last.micro + 1}")
            step.level = "patch"


def _check_ranges(plan: Plan) -> None:
    """Every sibling range, as this plan leaves it, admits the sibling's version after it."""
    problems = []
    for step in plan.steps:
        for sibling in step.package.sibling_requirements:
            dependency = plan.step(sibling)
            version = dependency.next or dependency.package.version
            specifier = step.range_updates.get(sibling) or str(
                step.package.sibling_specifier(sibling)
            )
            if version not in SpecifierSet(specifier):
                problems.append(f"{step.package.name} asks {sibling}{specifier}, gets {version}")
    if problems:
        raise ReleaseError("sibling ranges not satisfied: " + "; ".join(problems))


def render(plan: Plan) -> str:
    lines = [f"{'package':<18} {'last':<8} {'next':<8} {'level':<6} why"]
    for step in plan.steps:
        last = str(step.last) if step.last else "-"
        nxt = str(step.next) if step.next else "-"
        reasons = step.reasons or ["no commit since the last tag counts for this package"]
        lines.append(
            f"{step.package.name:<18} {last:<8} {nxt:<8} {step.level or '-':<6} {reasons[0]}"
        )
        lines += [f"{'':<43}{reason}" for reason in reasons[1:]]
    names = ", ".join(f"{s.package.name} {s.next}" for s in plan.released) or "nothing"
    lines.append(f"\nwould release: {names}")
    lines += [f"warning: {warning}" for warning in plan.warnings]
    return "\n".join(lines)


def dump(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2)
