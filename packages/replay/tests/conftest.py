"""Shared helpers: the golden workflows module and its recorded histories."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.replay import Replayer, WorkflowHistory

GOLDEN = Path(__file__).parent / "golden"
HISTORIES = GOLDEN / "histories"


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def workflow_classes(module: ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and "__tempyral_workflow_definition" in value.__dict__
    ]


def golden_histories() -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((HISTORIES / "index.json").read_text())
    found = []
    for path in sorted(HISTORIES.glob("*.json")):
        if path.name == "index.json":
            continue
        name = path.name.removesuffix(".json")
        found.append((name, WorkflowHistory.from_json(index[name.split(".")[0]], path.read_text())))
    return found


@pytest.fixture(scope="session")
def golden_workflows() -> ModuleType:
    return load_module(GOLDEN / "workflows.py", "golden_workflows")


@pytest.fixture(scope="session")
def replayer(golden_workflows: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(golden_workflows))
