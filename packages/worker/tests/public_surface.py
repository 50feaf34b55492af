"""Describes public modules in a fresh interpreter, for the tests that compare one of ours with
the official SDK's counterpart (the official SDK is never imported in the test process)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

# Parameters (name, kind, defaulted) of each function, constructor and public method, as JSON.
DESCRIBE = textwrap.dedent(
    """
    import importlib, inspect, json, sys, types

    def params(obj):
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return None
        return [
            [p.name, p.kind.name, p.default is not inspect.Parameter.empty]
            for p in signature.parameters.values()
            if p.name != "self"
        ]

    def describe(obj):
        if isinstance(obj, type):
            methods = {
                name: params(getattr(obj, name))
                for name in dir(obj)
                if not name.startswith("_") and callable(getattr(obj, name))
            }
            return {"__init__": params(obj), "methods": methods}
        if isinstance(obj, types.FunctionType):
            return {"call": params(obj)}
        return {"value": type(obj).__name__}

    result = {}
    for module_name in sys.argv[1:]:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [
            n for n in dir(module)
            if not n.startswith("_")
            and getattr(getattr(module, n), "__module__", None) == module_name
        ]
        result[module_name] = {n: describe(getattr(module, n)) for n in names}
    print(json.dumps(result))
    """
)


def describe(modules: list[str]) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    described: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return described


def official(name: str) -> str:
    return name.replace("tempyral", "temporalio", 1)


def surface_problems(
    mine: dict[str, Any],
    reference: dict[str, Any],
    *,
    not_yet: set[str],
    missing_methods: dict[str, dict[str, str]],
) -> list[str]:
    """What differs between two described modules: official names missing here (beyond
    ``not_yet``), and names whose parameters or public methods differ (beyond the methods
    ``missing_methods`` lists, each of which must still be missing)."""
    assert not_yet <= set(reference), not_yet - set(reference)
    missing = set(reference) - set(mine) - not_yet
    if missing:
        return [f"official names missing from tempyral: {sorted(missing)}"]
    for name, methods in missing_methods.items():
        for method in methods:
            assert method not in mine[name]["methods"], f"{name}.{method} exists now: unlist it"
            reference[name]["methods"].pop(method)
    return [
        f"{name}: {mine[name]} != {description}"
        for name, description in reference.items()
        if name in mine and mine[name] != description
    ]
