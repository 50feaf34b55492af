"""One python-semantic-release configuration, rendered into the six pyproject.toml files.

PSR reads ``[tool.semantic_release]`` from the pyproject.toml of the folder it runs in, and its
settings cannot name the package they belong to (the tag prefix, the release commit's subject and
the commit scope all differ per package). So the block is written once, in
``tools/release/semantic_release.toml`` with ``${name}`` and ``${short}`` placeholders, and
rendered at the end of every package's pyproject.toml: ``render`` gives a package's block,
``drifted`` lists the files whose block differs, ``write`` brings them back to the template.
The plan refuses to run on a drifted workspace, so a hand edit cannot release one package with
rules the others do not follow.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from release.workspace import Package, ReleaseError

TEMPLATE = Path("tools") / "release" / "semantic_release.toml"
# The block starts at this line and runs to the end of the file.
FIRST_LINE = "# Releases: python-semantic-release"


def _template(root: Path) -> Template:
    text = (root / TEMPLATE).read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(True) if not line.startswith("##"))
    if not body.startswith(FIRST_LINE):
        raise ReleaseError(f"{root / TEMPLATE}: the block must start with {FIRST_LINE!r}")
    return Template(body)


def render(root: Path, package: Package) -> str:
    """The ``[tool.semantic_release]`` block of ``package``, as its pyproject.toml should end."""
    try:
        return _template(root).substitute(name=package.name, short=package.short)
    except (KeyError, ValueError) as err:
        raise ReleaseError(
            f"{root / TEMPLATE}: only ${{name}} and ${{short}} may be substituted ({err!r}); "
            "write a literal dollar sign as $$"
        ) from err


def _split(package: Package) -> tuple[str, str]:
    """The pyproject.toml of ``package`` as (everything before the block, the block)."""
    text = package.pyproject.read_text(encoding="utf-8")
    start = text.find(f"\n{FIRST_LINE}")
    if start < 0:
        raise ReleaseError(
            f"{package.pyproject}: no release block (a line starting {FIRST_LINE!r}); "
            "run `hatch run build:config --write` to append it"
        )
    return text[: start + 1], text[start + 1 :]


def drifted(root: Path, packages: list[Package]) -> list[Path]:
    """The pyproject.toml files whose release block is not the rendered template."""
    return [p.pyproject for p in packages if _split(p)[1] != render(root, p)]


def check(root: Path, packages: list[Package]) -> None:
    stale = drifted(root, packages)
    if stale:
        raise ReleaseError(
            "the [tool.semantic_release] block of "
            + ", ".join(str(path.relative_to(root)) for path in stale)
            + f" differs from {TEMPLATE}: put the change in the template and run "
            "`hatch run build:config --write` (it rewrites every package's block)"
        )


def write(root: Path, packages: list[Package]) -> list[Path]:
    """Render the template into every drifted pyproject.toml; return the files changed."""
    changed = drifted(root, packages)
    for package in packages:
        if package.pyproject in changed:
            head, _ = _split(package)
            package.pyproject.write_text(head + render(root, package), encoding="utf-8")
    return changed
