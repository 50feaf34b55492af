"""The public names of tempyral.nexus against the official ``temporalio.nexus``.

Both APIs are described in a separate process each (so the official SDK is never imported
here): every official public name exists here with the same parameters and public methods,
unless listed below with why.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

MODULES = ["tempyral.nexus"]
SNAPSHOT: dict[str, list[str]] = {
    "tempyral.nexus": sorted(
        [
            "workflow_run_operation",
            "CancelActivityOptions",
            "CancelWorkflowRunOptions",
            "CancelUpdateWorkflowOptions",
            "Info",
            "LoggerAdapter",
            "NexusCallback",
            "WorkflowRunOperationContext",
            "TemporalCancelOperationContext",
            "TemporalStartOperationContext",
            "client",
            "in_operation",
            "info",
            "is_worker_shutdown",
            "logger",
            "metric_meter",
            "wait_for_worker_shutdown",
            "wait_for_worker_shutdown_sync",
            "WorkflowHandle",
            "TemporalNexusClient",
            "TemporalOperationStartHandlerFunc",
            "TemporalOperationHandler",
            "TemporalOperationResult",
            "temporal_operation",
        ]
    ),
}
NOT_SUPPORTED_YET: dict[str, set[str]] = {}
# Official methods tempyral's classes leave out, and why.
MISSING_METHODS: dict[str, dict[str, str]] = {
    "TemporalNexusClient": {},
}

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


@pytest.fixture(scope="module")
def both_apis() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    return describe(MODULES), describe([official(name) for name in MODULES])


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_snapshot(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == SNAPSHOT[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module_name", MODULES)
def test_official_names_exist_with_the_same_parameters_and_methods(
    both_apis: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]], module_name: str
) -> None:
    ours, theirs = both_apis
    mine, reference = ours[module_name], theirs[official(module_name)]
    not_yet = NOT_SUPPORTED_YET.get(official(module_name), set())
    assert not_yet <= set(reference), not_yet - set(reference)
    missing = set(reference) - set(mine) - not_yet
    assert not missing, f"official names missing from tempyral: {sorted(missing)}"
    for name, methods in MISSING_METHODS.items():
        for method in methods:
            assert method not in mine[name]["methods"], f"{name}.{method} exists now: unlist it"
            reference[name]["methods"].pop(method)
    problems = [
        f"{name}: {mine[name]} != {description}"
        for name, description in reference.items()
        if name in mine and mine[name] != description
    ]
    assert not problems, "\n".join(problems)
