"""The public names of tempyral.nexus against the official ``temporalio.nexus``.

Both APIs are described in a separate process each (so the official SDK is never imported
here): every official public name exists here with the same parameters and public methods,
unless listed below with why.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from .public_surface import describe, official, surface_problems

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
    problems = surface_problems(
        ours[module_name],
        theirs[official(module_name)],
        not_yet=NOT_SUPPORTED_YET.get(official(module_name), set()),
        missing_methods=MISSING_METHODS,
    )
    assert not problems, "\n".join(problems)
