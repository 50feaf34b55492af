"""The six release blocks are one template rendered (tools/release/config.py), and drift fails.

These tests need only ``packaging`` (not python-semantic-release), so they run in every test
environment; the plan tests in test_release.py check that PSR reads the rendered blocks.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

from release import config  # noqa: E402
from release.workspace import PACKAGE_DIRS, ReleaseError, load  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The files the release config reads: the template and the six pyproject.toml files."""
    (tmp_path / config.TEMPLATE).parent.mkdir(parents=True)
    shutil.copy(REPO / config.TEMPLATE, tmp_path / config.TEMPLATE)
    for short in PACKAGE_DIRS:
        (tmp_path / "packages" / short).mkdir(parents=True)
        shutil.copy(REPO / "packages" / short / "pyproject.toml", tmp_path / "packages" / short)
    return tmp_path


def test_every_package_block_is_the_template_rendered() -> None:
    assert config.drifted(REPO, load(REPO)) == []


@pytest.mark.parametrize("short", PACKAGE_DIRS)
def test_each_block_names_its_own_package(short: str) -> None:
    pyproject = REPO / "packages" / short / "pyproject.toml"
    settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["semantic_release"]
    assert settings["tag_format"] == f"tempyral-{short}-v{{version}}"
    assert settings["commit_message"].startswith(f"chore(release): tempyral-{short} {{version}}")
    scope = re.compile(settings["commit_parser_options"]["scope_prefix"])
    assert scope.fullmatch(short)
    assert scope.match(f"{short}/sub")
    assert not scope.match(f"{short}-extra")


def test_a_hand_edit_fails_the_check_and_write_restores_it(workspace: Path) -> None:
    cli = workspace / "packages" / "cli" / "pyproject.toml"
    original = cli.read_text(encoding="utf-8")
    cli.write_text(original.replace("major_on_zero = false", "major_on_zero = true"))

    with pytest.raises(ReleaseError) as caught:
        config.check(workspace, load(workspace))
    assert "packages/cli/pyproject.toml" in str(caught.value)
    assert "packages/client/pyproject.toml" not in str(caught.value)
    assert "hatch run build:config --write" in str(caught.value)

    assert config.write(workspace, load(workspace)) == [cli]
    assert cli.read_text(encoding="utf-8") == original
    config.check(workspace, load(workspace))


def test_a_template_change_reaches_every_package(workspace: Path) -> None:
    template = workspace / config.TEMPLATE
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace('changelog_file = "CHANGELOG.md"', 'changelog_file = "H.md"'))

    assert len(config.drifted(workspace, load(workspace))) == len(PACKAGE_DIRS)
    config.write(workspace, load(workspace))
    for short in PACKAGE_DIRS:
        text = (workspace / "packages" / short / "pyproject.toml").read_text(encoding="utf-8")
        changelog = tomllib.loads(text)["tool"]["semantic_release"]["changelog"]
        assert changelog["default_templates"]["changelog_file"] == "H.md"


def test_a_package_without_a_block_is_told_how_to_get_one(workspace: Path) -> None:
    replay = workspace / "packages" / "replay" / "pyproject.toml"
    text = replay.read_text(encoding="utf-8")
    replay.write_text(text[: text.index(config.FIRST_LINE)])
    with pytest.raises(ReleaseError, match=r"no release block.*build:config --write"):
        config.check(workspace, load(workspace))


def test_a_versioned_sibling_in_an_extra_is_refused(workspace: Path) -> None:
    """Releases raise sibling ranges in dependencies only; a range in an extra would go stale."""
    client = workspace / "packages" / "client" / "pyproject.toml"
    text = client.read_text(encoding="utf-8")
    client.write_text(text.replace('"tempyral-protos[grpc]"', '"tempyral-protos[grpc]>=0.1"'))
    refused = re.escape("extra 'grpc' gives 'tempyral-protos[grpc]>=0.1'")
    with pytest.raises(ReleaseError, match=refused):
        load(workspace)
