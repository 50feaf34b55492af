"""The documentation site's code cannot rot: its samples run, its quickstart works as written,
and its API reference covers every public module.

Every ```python block of a page under docs/ is preceded by a marker comment (invisible on the
rendered page) that says what this module does with it:

- ``<!-- docs-test: run -->``: run as a script with this interpreter; it must exit 0 (blocks that
  start a dev server are integration tests), and print what the block after it shows when that
  one is marked ``<!-- docs-test: output -->``;
- ``<!-- docs-test: file NAME -->`` / ``<!-- docs-test: pytest NAME ... -->``: a file of the
  newcomer path (the quickstart, then its test), written and run by that test;
- ``<!-- docs-test: skip (REASON) -->``: shown, not run, with the reason it cannot run here.

The newcomer path runs the quickstart's and the testing page's commands in order, in a clean
venv, with the tempyral packages installed from this checkout, and compares what ``python
hello.py`` prints with what the page shows.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGES = ROOT / "packages"

_MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>run|output|skip|file|pytest)\b(?P<rest>.*?)-->")
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_SERVER_WORDS = ("start_local", "DevServer(", "start_time_skipping")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    body: str
    kind: str | None  # None: no marker before the block
    rest: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for fence in _FENCE.finditer(text):
        before = text[: fence.start()].rstrip().splitlines()
        marker = _MARKER.fullmatch(before[-1].strip()) if before else None
        blocks.append(
            Block(
                page=page,
                line=text.count("\n", 0, fence.start()) + 1,
                lang=fence["lang"],
                body=fence["body"],
                kind=marker["kind"] if marker else None,
                rest=marker["rest"].strip() if marker else "",
            )
        )
    return blocks


ALL_BLOCKS = [block for page in _pages() for block in _blocks(page)]
CODE_BLOCKS = [block for block in ALL_BLOCKS if block.lang in ("python", "py", "dockerfile")]
RUNNABLE = [block for block in CODE_BLOCKS if block.kind == "run"]
# The output a runnable block prints, shown in the block after it.
OUTPUT_OF = {
    block: following
    for block, following in itertools.pairwise(ALL_BLOCKS)
    if block.kind == "run" and following.kind == "output"
}


def test_the_pages_have_code_to_check() -> None:
    assert len(RUNNABLE) >= 5, [block.name for block in RUNNABLE]
    assert len(OUTPUT_OF) >= 3, [block.name for block in OUTPUT_OF]


def test_every_code_block_is_run_or_says_why_not() -> None:
    unmarked = [block.name for block in CODE_BLOCKS if block.kind is None]
    assert not unmarked, f"code blocks without a <!-- docs-test: ... --> marker: {unmarked}"
    no_reason = [
        block.name
        for block in CODE_BLOCKS
        if block.kind == "skip" and not re.fullmatch(r"\(.{10,}\)", block.rest)
    ]
    assert not no_reason, f"skipped blocks need a reason, `skip (why it cannot run)`: {no_reason}"


def _runnable_params() -> list[object]:
    return [
        pytest.param(
            block,
            id=block.name,
            marks=[pytest.mark.integration] if any(w in block.body for w in _SERVER_WORDS) else [],
        )
        for block in RUNNABLE
    ]


@pytest.mark.parametrize("block", _runnable_params())
def test_runnable_block_runs(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "sample.py"
    script.write_text(block.body, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"{block.name} failed:\n{result.stderr[-3000:]}"
    shown = OUTPUT_OF.get(block)
    if shown is not None:
        assert result.stdout.splitlines() == shown.body.splitlines(), (
            f"{block.name} printed:\n{result.stdout}\nthe page shows ({shown.name}):\n{shown.body}"
        )


# --- the API reference ------------------------------------------------------------------------


def _public_modules() -> set[str]:
    """Every importable module of every package whose dotted name has no private part."""
    modules = set()
    for source in PACKAGES.glob("*/src"):
        for path in source.rglob("*.py"):
            parts = list(path.relative_to(source).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] == "__main__" or any(part.startswith("_") for part in parts):
                continue
            modules.add(".".join(parts))
    return modules


def _documented() -> tuple[set[str], str]:
    api_pages = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    return set(re.findall(r"^::: ([\w.]+)", api_pages, re.MULTILINE)), api_pages


def test_every_public_module_has_an_api_page() -> None:
    documented, api_pages = _documented()
    modules = _public_modules()
    generated = {m for m in modules if m.startswith("tempyral.api.")}
    # The generated protobuf modules have no docstrings: the protos page lists each API package.
    api_packages = {m for m in generated if m.endswith(".v1")}
    assert api_packages, "no tempyral.api packages found"
    unlisted = sorted(m for m in api_packages if f"`{m}`" not in api_pages)
    assert not unlisted, f"tempyral.api packages missing from docs/api/protos.md: {unlisted}"
    missing = sorted(m for m in modules - generated - {"tempyral.api"} if m not in documented)
    assert not missing, f"public modules without a `::: module` API page in docs/api: {missing}"


def test_the_client_page_lists_every_name_of_tempyral_client() -> None:
    import tempyral.client

    page = (DOCS / "api" / "client.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^ {8}- (\w+)$", page, re.MULTILINE))
    exported = {name for name in tempyral.client.__all__ if not name.startswith("_")}
    assert listed == exported, (
        f"docs/api/client.md: add {sorted(exported - listed)}, drop {sorted(listed - exported)}"
    )


# --- the newcomer path ------------------------------------------------------------------------


def _commands(page: Path) -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the page's console blocks, with the output lines shown under it."""
    commands: list[tuple[str, list[str]]] = []
    for block in _blocks(page):
        if block.lang != "console":
            continue
        for line in block.body.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands and line.strip():
                commands[-1][1].append(line)
    return commands


def _local_distributions() -> dict[str, Path]:
    found = {}
    for pyproject in PACKAGES.glob("*/pyproject.toml"):
        # (tomllib is 3.11+; the tests also run on 3.10)
        text = pyproject.read_text(encoding="utf-8")
        name = re.search(r'^name = "([\w-]+)"$', text, re.MULTILINE)
        assert name is not None, f"{pyproject} has no project name"
        found[name[1]] = pyproject.parent
    return found


def _from_this_checkout(command: str, local: dict[str, Path]) -> str:
    """`pip install tempyral-x[extra]` as the page says, but from this checkout's packages.

    Every tempyral package is named (as local paths), so pip resolves the siblings a package
    depends on from this checkout too; third-party dependencies come from the index as usual.
    """
    words = shlex.split(command)
    if words[:2] != ["pip", "install"]:
        return command
    wanted = []
    for requirement in words[2:]:
        name, _, extras = requirement.partition("[")
        if name in local:
            wanted.append(f"{local[name]}[{extras}" if extras else str(local[name]))
        else:
            wanted.append(requirement)
    named = {w.partition("[")[0] for w in wanted}
    siblings = [str(path) for path in local.values() if str(path) not in named]
    return shlex.join(["pip", "install", "-q", *wanted, *siblings])


@pytest.mark.integration
def test_newcomer_path_quickstart_then_tests(tmp_path: Path) -> None:
    quickstart = DOCS / "getting-started" / "quickstart.md"
    testing = DOCS / "getting-started" / "testing.md"
    for page in (quickstart, testing):
        for block in _blocks(page):
            if block.kind in ("file", "pytest"):
                (tmp_path / block.rest.split()[0]).write_text(block.body, encoding="utf-8")

    local = _local_distributions()
    # The environment of a newcomer's shell: none of this test run's virtualenv.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    script, expected = ["set -e", f'cd "{tmp_path}"'], []
    for page in (quickstart, testing):
        for shown, output in _commands(page):
            command = _from_this_checkout(shown, local)
            if command.startswith("python -m venv"):  # the interpreter running this test
                command = command.replace("python", shlex.quote(sys.executable), 1)
            marker = f"=== {command}"
            script += [f"echo {shlex.quote(marker)}", command]
            expected.append((marker, output))

    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    sections = result.stdout.split("\n=== ")
    for marker, output in expected:
        section = next(s for s in sections if s.lstrip("=").strip().startswith(marker[4:]))
        printed = [line for line in section.splitlines()[1:] if line.strip()]
        if output:
            assert printed == output, f"`{marker[4:]}` printed {printed}, the page shows {output}"
    assert re.search(r"\b1 passed\b", result.stdout), result.stdout[-2000:]
