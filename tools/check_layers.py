"""Check that every package imports only from packages below it, through their public names.

The layers (see design.md, "Packages and layers"):

    3  tempyral-cli, tempyral-testing
    2  tempyral-worker
    1b tempyral-replay
    1a tempyral-client
    0  tempyral-protos

A package's source (``packages/<pkg>/src``) may import its own modules freely, and modules of a
package in a lower layer, but never a private one (a dotted path with a part starting with ``_``,
such as ``tempyral.client._connect``). ``tempyral.api`` is generated code: its modules are public.
Tests are not checked: they may reach into their own package's internals.

Exit status 1 with one line per violation; 0 when clean. Run: ``python tools/check_layers.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# package folder -> (layer, top-level modules it owns under tempyral.); layers compare as strings.
PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "protos": ("0", ("api",)),
    "client": (
        "1a",
        (
            "client",
            "converter",
            "common",
            "exceptions",
            "service",
            "envconfig",
            "contrib",
            "compat",
            "runtime",
        ),
    ),
    "replay": ("1b", ("replay", "workflow", "activity")),
    "worker": ("2", ("worker", "plugin", "contrib.opentelemetry", "nexus")),
    "testing": ("3", ("testing",)),
    "cli": ("3", ("cli",)),
}


@dataclass(frozen=True)
class Violation:
    path: Path  # relative to the repository
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def owner_of(module: str) -> str | None:
    """The package folder owning ``tempyral.<top>...``, or None for anything outside tempyral."""
    parts = module.split(".")
    if parts[0] != "tempyral" or len(parts) < 2:
        return None
    # A dotted entry (``contrib.opentelemetry``) claims a subpackage of a shared namespace, so it
    # is matched before the one-part entries (``contrib`` belongs to the client package otherwise).
    entries = [(top, package) for package, (_layer, tops) in PACKAGES.items() for top in tops]
    for top, package in sorted(entries, key=lambda entry: -entry[0].count(".")):
        if parts[1 : 2 + top.count(".")] == top.split("."):
            return package
    return "unknown"


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every absolute import in a module, names included for ``from``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            # A private name may be a private submodule: ``from tempyral.client import _connect``.
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield node.lineno, f"{node.module}.{alias.name}"


def check_file(path: Path, package: str, repo: Path) -> Iterator[Violation]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(repo)
    reported: set[int] = set()
    for line, module in imported_modules(tree):
        message = judge(package, module)
        if message is not None and line not in reported:  # one report per import statement
            reported.add(line)
            yield Violation(relative, line, message)


def judge(package: str, module: str) -> str | None:
    """Why ``package`` may not import ``module``, or None when it may."""
    target = owner_of(module)
    if target is None or target == package:
        return None
    if target == "unknown":
        return f"imports {module}, which no package owns"
    rank, target_rank = PACKAGES[package][0], PACKAGES[target][0]
    if target_rank >= rank:
        return (
            f"tempyral-{package} (layer {rank}) imports {module} from tempyral-{target} "
            f"(layer {target_rank}); a package may only import from packages below it"
        )
    if target != "protos" and any(part.startswith("_") for part in module.split(".")[1:]):
        return f"imports the private {module} of tempyral-{target}; use its public names"
    return None


def check(repo: Path = REPO) -> list[Violation]:
    violations: list[Violation] = []
    for package in PACKAGES:
        src = repo / "packages" / package / "src"
        for path in sorted(src.rglob("*.py")):
            if package == "protos" and "api" in path.relative_to(src).parts[:2]:
                continue  # generated; imports only itself and protobuf
            violations.extend(check_file(path, package, repo))
    return violations


def main() -> int:
    violations = check()
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} layer violation(s); see design.md, 'Packages and layers'.")
        return 1
    print("layers ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
