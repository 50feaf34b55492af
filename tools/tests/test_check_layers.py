"""tools/check_layers.py catches upward and private imports, and the repository is clean."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parents[1] / "check_layers.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


def write(repo: Path, package: str, module: str, source: str) -> None:
    path = repo / "packages" / package / "src" / "tempyral" / module / "__init__.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def test_repository_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "layers ok" in result.stdout


def test_upward_sideways_and_private_imports_are_reported(tmp_path: Path) -> None:
    tool = load_tool()
    write(tmp_path, "client", "client", "from tempyral.worker import Worker\n")
    write(tmp_path, "testing", "testing", "import tempyral.cli\nfrom tempyral.api import x\n")
    write(tmp_path, "worker", "worker", "from tempyral.client._connect import Channel\n")
    write(tmp_path, "replay", "replay", "from tempyral.client import Client\n")
    write(tmp_path, "cli", "cli", "from tempyral.nothing import thing\n")
    found = sorted(str(v) for v in tool.check(tmp_path))
    assert len(found) == 4, found
    assert any("tempyral-client (layer 1a) imports tempyral.worker" in v for v in found)
    assert any("tempyral-testing (layer 3) imports tempyral.cli" in v for v in found)
    assert any("private tempyral.client._connect" in v for v in found)
    assert any("tempyral.nothing, which no package owns" in v for v in found)
    assert all(v.startswith("packages/") for v in found)


def test_a_contrib_subpackage_belongs_to_the_package_that_claims_it() -> None:
    tool = load_tool()
    # tempyral.contrib is a namespace shared by the client (pydantic) and the worker (tracing).
    assert tool.owner_of("tempyral.contrib.pydantic") == "client"
    assert tool.owner_of("tempyral.contrib.opentelemetry") == "worker"
    assert tool.owner_of("tempyral.contrib.opentelemetry.workflow") == "worker"
    assert tool.owner_of("tempyral.contrib") == "client"
