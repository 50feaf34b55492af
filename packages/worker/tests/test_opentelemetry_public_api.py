"""The public names of tempyral.contrib.opentelemetry against the official contrib's.

Both APIs are described in a separate process each (so the official SDK is never imported
here): every official public name exists here with the same parameters and public methods,
unless listed below as not supported yet.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from .public_surface import describe, official, surface_problems

MODULES = ["tempyral.contrib.opentelemetry", "tempyral.contrib.opentelemetry.workflow"]
SNAPSHOT: dict[str, list[str]] = {
    "tempyral.contrib.opentelemetry": [
        "MetricsExporter",
        "OpenTelemetryInterceptor",
        "OpenTelemetryPlugin",
        "ReplaySafeLoggerProvider",
        "ReplaySafeMeterProvider",
        "ReplaySafeTracerProvider",
        "TracingInterceptor",
        "TracingWorkflowInboundInterceptor",
        "create_tracer_provider",
        # Public in the official contrib's private module; the propagator the interceptor uses.
        "default_text_map_propagator",
    ],
    "tempyral.contrib.opentelemetry.workflow": ["completed_span"],
}
NOT_SUPPORTED_YET: dict[str, set[str]] = {}


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
        missing_methods={},
    )
    assert not problems, "\n".join(problems)
