"""The README's first command, `hatch run demo`, runs a workflow end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"

pytestmark = pytest.mark.integration


def test_demo_runs_a_workflow_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO)], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("server version: 1.")
    assert "waiting to greet: ['Ada', 'Grace']" in lines
    assert lines.index("Hello, Ada!") + 1 == lines.index("Hello, Grace!")
    assert lines[-1] == "worker and dev server stopped"
