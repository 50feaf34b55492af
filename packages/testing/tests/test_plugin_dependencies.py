"""The pytest plugin's own dependencies: declared by the distribution, and a clear error naming
what to install when pytest-asyncio is missing anyway (checked in a subprocess that hides it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli below 3.11
    import tomli as tomllib

PACKAGE = Path(__file__).resolve().parents[1]

# Hides pytest-asyncio from the imports and from pytest's entry-point plugins, then runs pytest.
RUN_WITHOUT_PYTEST_ASYNCIO = """
import sys


class HidePytestAsyncio:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pytest_asyncio":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HidePytestAsyncio())
import pytest

# --assert=plain: pytest's assertion rewriter would import the plugin past the hiding finder.
options = ["-p", "no:asyncio", "-p", "no:cacheprovider", "--assert=plain"]
sys.exit(pytest.main([*options, *sys.argv[1:]]))
"""

SAMPLE_TESTS = """
def test_without_the_plugin_fixtures():
    assert 1 + 1 == 2


def test_with_a_workflow_environment(workflow_environment):
    raise AssertionError("not reached: the fixture cannot be set up")
"""


def test_the_distribution_requires_pytest_and_pytest_asyncio() -> None:
    # The source of truth (an editable install's metadata can be older than it).
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    declared = {
        requirement.name: requirement for requirement in map(Requirement, project["dependencies"])
    }
    assert "pytest" in declared
    assert declared["pytest"].specifier.contains("8.3.0")
    assert "pytest-asyncio" in declared
    assert declared["pytest-asyncio"].specifier.contains("0.25.0")
    assert not declared["pytest-asyncio"].specifier.contains("0.24.0")


def test_without_pytest_asyncio_the_fixtures_fail_saying_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(SAMPLE_TESTS))
    done = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_PYTEST_ASYNCIO, "-v", "test_sample.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    # The plugin still loads, so unrelated tests of the same run are unaffected.
    assert "test_without_the_plugin_fixtures PASSED" in output, output
    assert "test_with_a_workflow_environment ERROR" in output, output
    assert "'workflow_environment' is async and needs pytest-asyncio" in output, output
    assert "pip install 'pytest-asyncio>=0.25,<2'" in output, output
    assert done.returncode == 1, output
