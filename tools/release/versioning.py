"""Carry a release plan out in the local clone: range commits, then PSR per package.

1. Every range the plan raises becomes one commit per dependent, touching only its
   pyproject.toml: ``fix(client): require tempyral-protos>=0.2.0,<0.3``. It lands in that
   package's changelog, and it is what makes PSR release the dependent by itself.
2. ``semantic-release version --no-push --no-vcs-release`` runs in each released package's folder,
   in layer order: it writes the version and the changelog, commits and tags. A first release is
   forced to the version pyproject.toml declares (PSR would start from 0.0.0).
3. Every package must then stand at the version the plan said, and be tagged; otherwise stop
   before anything leaves the machine. Pushing and publishing are the workflow's job.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from release.plan import Plan, psr_command, psr_environment
from release.workspace import ReleaseError, git, load, set_sibling_range

CHANGELOG_FLAG = "<!-- version list -->"


def ensure_clean(root: Path) -> None:
    dirty = [
        line
        for line in git(root, "status", "--porcelain").splitlines()
        if not line.startswith("??")
    ]
    if dirty:
        raise ReleaseError("the work tree has uncommitted changes:\n" + "\n".join(dirty))


def preflight(plan: Plan) -> None:
    ensure_clean(plan.root)
    missing = [
        str(step.package.changelog.relative_to(plan.root))
        for step in plan.released
        if CHANGELOG_FLAG not in step.package.changelog.read_text(encoding="utf-8")
    ]
    if missing:
        raise ReleaseError(
            f"semantic-release writes each release after the line {CHANGELOG_FLAG!r}, which is "
            f"missing from: {', '.join(missing)}. Add it under the title and commit."
        )


def _forced_first_level(version: Version) -> str:
    """The PSR flag that takes 0.0.0 to ``version`` (a first release)."""
    for flag, target in (("--patch", "0.0.1"), ("--minor", "0.1.0"), ("--major", "1.0.0")):
        if version == Version(target):
            return flag
    raise ReleaseError(
        f"a first release at {version} cannot be reached from 0.0.0 in one bump: declare 0.1.0, "
        "or tag the last published version by hand (see docs/release-runbook.md)"
    )


def commit_ranges(plan: Plan) -> None:
    for step in plan.released:
        if not step.range_updates:
            continue
        written = [
            set_sibling_range(step.package, sibling, specifier)
            for sibling, specifier in step.range_updates.items()
        ]
        relative = str(step.package.pyproject.relative_to(plan.root))
        git(plan.root, "add", "--", relative)
        git(
            plan.root,
            "commit",
            "-q",
            "-m",
            f"fix({step.package.short}): require {', '.join(written)}",
            "--",
            relative,
        )


def run_psr(plan: Plan) -> list[str]:
    """Version every released package with PSR; return the tags made."""
    env = psr_environment(plan.root)
    tags = []
    for step in plan.released:
        assert step.next is not None
        forced = [_forced_first_level(step.next)] if step.level == "first" else []
        done = subprocess.run(
            psr_command("version", "--no-push", "--no-vcs-release", *forced),
            cwd=step.package.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ReleaseError(
                f"semantic-release version failed for {step.package.name} "
                f"(exit {done.returncode}):\n{done.stderr[-2000:]}"
            )
        tags.append(step.package.tag(step.next))
    return tags


def confirm(plan: Plan, tags: list[str]) -> None:
    """After PSR: each released package stands at the planned version, tagged at HEAD's history."""
    now = {package.name: package for package in load(plan.root)}
    merged = set(git(plan.root, "tag", "--merged", "HEAD").split())
    problems = []
    for step, tag in zip(plan.released, tags, strict=True):
        package = now[step.package.name]
        if package.version != step.next:
            problems.append(f"{package.name} is at {package.version}, the plan said {step.next}")
        if tag not in merged:
            problems.append(f"tag {tag} is missing")
        for sibling, specifier in step.range_updates.items():
            if package.sibling_specifier(sibling) != SpecifierSet(specifier):
                problems.append(f"{package.name}: {sibling} range is not {specifier}")
    if problems:
        raise ReleaseError("the release does not match its plan: " + "; ".join(problems))


def carry_out(plan: Plan) -> list[str]:
    preflight(plan)
    commit_ranges(plan)
    tags = run_psr(plan)
    confirm(plan, tags)
    return tags
