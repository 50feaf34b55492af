"""tempyral.testing against temporalio.testing: the same names, methods and parameters.

Each module is described in its own process (parameter names, kinds and whether defaulted, per
public method and property), so neither SDK's imports affect the other. Whatever tempyral does not
offer yet is listed here, and the lists may only name things the official module has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

# WorkflowEnvironment's per-workflow ("V2") time skipping (TimeSkipper exists) is not built in
# tempyral.
NOT_SUPPORTED_YET_NAMES: set[str] = set()
NOT_SUPPORTED_YET_METHODS: dict[str, set[str]] = {
    "WorkflowEnvironment": {
        "start_time_skipping_v2",
        "fast_forward",
        "with_time_skipping_disabled",
        "get_time_skipping_info",
    },
}

DESCRIBE = textwrap.dedent(
    """
    import importlib, inspect, json, sys

    def params(obj):
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):  # exception classes and builtins
            return None
        return [
            [p.name, p.kind.name, p.default is not inspect.Parameter.empty]
            for p in signature.parameters.values()
            if p.name != "self"
        ]

    module = importlib.import_module(sys.argv[1])
    described = {}
    for name in module.__all__:
        obj = getattr(module, name)
        if not isinstance(obj, type):
            described[name] = {"call": params(obj)}
            continue
        members = {"__init__": params(obj)}
        for attr in dir(obj):
            if attr.startswith("_"):
                continue
            static = inspect.getattr_static(obj, attr)
            if isinstance(static, property):
                members[attr] = "property"
            elif callable(getattr(obj, attr)):
                members[attr] = params(getattr(obj, attr))
        described[name] = members
    print(json.dumps(described))
    """
)


def _describe(module: str) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE, module],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    described: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return described


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    return _describe("tempyral.testing"), _describe("temporalio.testing")


def test_every_official_name_exists(
    both: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
) -> None:
    ours, theirs = both
    missing = set(theirs) - set(ours) - NOT_SUPPORTED_YET_NAMES

    assert not missing, f"temporalio.testing names missing from tempyral.testing: {missing}"


@pytest.mark.parametrize(
    "name", ["WorkflowEnvironment", "ActivityEnvironment", "TimeSkipper", "TimeSkippingConfig"]
)
def test_environments_have_the_official_methods_and_parameters(
    both: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]], name: str
) -> None:
    ours, theirs = both
    skipped = NOT_SUPPORTED_YET_METHODS.get(name, set())
    problems = [
        f"{name}.{member}: ours {ours[name].get(member, '<missing>')} != official {signature}"
        for member, signature in theirs[name].items()
        if member not in skipped and ours[name].get(member, "<missing>") != signature
    ]

    assert not problems, "\n".join(problems)


def test_not_supported_lists_name_only_official_things(
    both: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
) -> None:
    _, theirs = both
    assert set(theirs) >= NOT_SUPPORTED_YET_NAMES
    for name, methods in NOT_SUPPORTED_YET_METHODS.items():
        assert set(theirs[name]) >= methods
