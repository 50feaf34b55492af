"""The six packages as the release tooling sees them: name, folder, version, sibling ranges.

Everything is read from each package's pyproject.toml, so that a new sibling dependency is picked
up without touching this module; only the layer order of the folders is written down here, and it
is checked against the dependencies (a package may depend only on packages listed before it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the build environment runs 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]

# Layer order (design.md): protos < client < replay < worker < testing, cli.
PACKAGE_DIRS = ("protos", "client", "replay", "worker", "testing", "cli")
DIST_PREFIX = "tempyral-"
# Where the release workflow runs; the identity in every signature names it.
GITHUB_REPOSITORY = "tempyral/tempyral"
RELEASE_WORKFLOW = ".github/workflows/release.yml"


class ReleaseError(Exception):
    """A check failed or a step cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Package:
    short: str  # folder under packages/ and scope of its conventional commits
    name: str  # distribution name, tempyral-<short>
    path: Path
    version: Version
    # Sibling distribution name -> the requirement string exactly as written in pyproject.toml.
    sibling_requirements: dict[str, str]

    @property
    def pyproject(self) -> Path:
        return self.path / "pyproject.toml"

    @property
    def changelog(self) -> Path:
        return self.path / "CHANGELOG.md"

    def tag(self, version: Version | str) -> str:
        return f"{self.name}-v{version}"

    def sibling_specifier(self, sibling: str) -> SpecifierSet:
        return Requirement(self.sibling_requirements[sibling]).specifier


def load(root: Path = REPO) -> list[Package]:
    """Read the packages in layer order, checking that each depends only on earlier ones."""
    packages: list[Package] = []
    for short in PACKAGE_DIRS:
        path = root / "packages" / short
        project = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        siblings = {}
        for text in project.get("dependencies", []):
            requirement = Requirement(text)
            if requirement.name.startswith(DIST_PREFIX):
                siblings[requirement.name] = text
        _check_extras_leave_ranges_to_dependencies(project, path / "pyproject.toml")
        package = Package(short, project["name"], path, Version(project["version"]), siblings)
        known = {p.name for p in packages}
        for sibling in siblings:
            if sibling not in known:
                raise ReleaseError(
                    f"{package.name} depends on {sibling}, which is not a package of a lower "
                    f"layer ({', '.join(sorted(known)) or 'none'}): fix the dependency or "
                    "PACKAGE_DIRS in tools/release/workspace.py"
                )
        packages.append(package)
    return packages


def _check_extras_leave_ranges_to_dependencies(project: dict[str, Any], pyproject: Path) -> None:
    """A sibling named in an extra (``grpc = ["tempyral-protos[grpc]"]``) carries no version:
    its range lives once, in ``dependencies``, where a release raises it."""
    for extra, texts in project.get("optional-dependencies", {}).items():
        for text in texts:
            requirement = Requirement(text)
            if requirement.name.startswith(DIST_PREFIX) and requirement.specifier:
                raise ReleaseError(
                    f"{pyproject}: extra {extra!r} gives {text!r} a version range; name the "
                    f"sibling without one ({requirement.name}[...]) and keep its range in "
                    "dependencies, which releases raise"
                )


def range_for(version: Version) -> str:
    """The sibling range a dependent declares for ``version``: the same minor on 0.x, else major."""
    upper = f"0.{version.minor + 1}" if version.major == 0 else f"{version.major + 1}"
    return f">={version},<{upper}"


def set_sibling_range(package: Package, sibling: str, specifier: str) -> str:
    """Rewrite one sibling requirement in ``package``'s pyproject.toml; return the new string."""
    old = package.sibling_requirements[sibling]
    marker = old.partition(";")[2]
    extras = Requirement(old).extras
    named = f"{sibling}[{','.join(sorted(extras))}]" if extras else sibling
    new = f"{named}{specifier}" + (f";{marker}" if marker else "")
    text = package.pyproject.read_text(encoding="utf-8")
    quoted = re.escape(f'"{old}"')
    if len(re.findall(quoted, text)) != 1:
        raise ReleaseError(f"{package.pyproject}: expected {old!r} exactly once")
    package.pyproject.write_text(re.sub(quoted, f'"{new}"', text), encoding="utf-8")
    return new


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def last_released(root: Path, package: Package) -> Version | None:
    """The highest version tagged for ``package`` in the history of HEAD, as PSR finds it."""
    versions = []
    for tag in git(root, "tag", "--merged", "HEAD", "--list", f"{package.name}-v*").split():
        try:
            versions.append(Version(tag.removeprefix(f"{package.name}-v")))
        except ValueError:
            continue
    return max(versions, default=None)
