"""``tempyral init NAME``: a new project whose own tests pass right away, offline.

The layout is the one the README explains: ``src/<package>/`` with activities, workflows, a
worker factory for ``tempyral worker run`` and a starter; tests on tempyral-testing's in-process
environment; a pyproject pinning the tempyral packages to this CLI's minor version; a Dockerfile
for the worker.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from string import Template

import click

from tempyral.cli import _templates as templates
from tempyral.cli._errors import EXIT_OK, CommandError

__all__ = ["init"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _version_range() -> str:
    """``>=0.4,<0.5`` for this CLI's 0.4.x (0.x minors may break), ``>=1.2,<2`` from 1.0 on."""
    major, minor = (int(part) for part in metadata.version("tempyral-cli").split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f">={major}.{minor},<{upper}"


def _files(package: str) -> dict[str, str]:
    return {
        "pyproject.toml": templates.PYPROJECT,
        "README.md": templates.README,
        "Dockerfile": templates.DOCKERFILE,
        ".dockerignore": templates.DOCKERIGNORE,
        ".gitignore": templates.GITIGNORE,
        "wheels/README.md": templates.WHEELS_README,
        f"src/{package}/__init__.py": templates.INIT,
        f"src/{package}/activities.py": templates.ACTIVITIES,
        f"src/{package}/workflows.py": templates.WORKFLOWS,
        f"src/{package}/worker.py": templates.WORKER,
        f"src/{package}/starter.py": templates.STARTER,
        "tests/test_greeting.py": templates.TESTS,
    }


@click.command()
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False),
    help="where to create the project (default: ./NAME)",
)
def init(name: str, directory: str | None) -> int:
    """Create a new project NAME: a workflow, an activity, a worker, a starter, tests and a
    Dockerfile. Its tests pass right away: cd NAME && pip install --find-links wheels -e
    '.[test]' && pytest (wheels/README.md: the tempyral wheels while they are not on PyPI).
    """
    if not _NAME.match(name):
        raise CommandError(
            f"{name!r} is not a usable project name: start with a letter, then letters, digits,"
            " '-' or '_' (for example: order-service)"
        )
    package = name.lower().replace("-", "_")
    root = Path(directory or name)
    if root.exists() and any(root.iterdir()):
        raise CommandError(f"{str(root)!r} already exists and is not empty; choose another NAME")
    values = {"name": name, "package": package, "range": _version_range()}
    for relative, text in _files(package).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    click.echo(f"created {root}/ (package {package})")
    click.echo(f"next: cd {root} && pip install --find-links wheels -e '.[test]' && pytest")
    return EXIT_OK
