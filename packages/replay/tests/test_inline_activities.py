"""A workflow module that defines its activities in the same file replays from its history.

``golden/inline_activities/workflows.py`` imports ``tempyral.activity`` as user code does; the
activity definition side lives in tempyral-replay, so this needs no worker. The same module and
history are replayed in a replay-only install (no worker, no grpc) by ``tools/replay_only.py``,
and by the official ``Replayer`` here, in a separate process, with the module's ``tempyral``
imports pointed at the official SDK.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory

HERE = Path(__file__).parent / "golden" / "inline_activities"
HISTORY = HERE / "history.json"


def history() -> WorkflowHistory:
    return WorkflowHistory.from_json("ship-p-7", HISTORY.read_text(encoding="utf-8"))


def load(name: str, path: Path) -> type:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    workflow_class = module.ShipParcel
    assert isinstance(workflow_class, type)
    return workflow_class


def test_the_module_replays_its_history() -> None:
    ship = load("inline_workflows", HERE / "workflows.py")
    result = Replayer(workflows=[ship]).replay_workflow_sync(history())
    assert result.replay_failure is None


def test_a_swapped_activity_is_caught_at_its_line(tmp_path: Path) -> None:
    source = (HERE / "workflows.py").read_text(encoding="utf-8")
    changed = source.replace("            weigh, parcel,", "            print_label, ['x', 1],")
    assert changed != source
    (tmp_path / "workflows.py").write_text(changed, encoding="utf-8")
    ship = load("inline_workflows_changed", tmp_path / "workflows.py")
    with pytest.raises(NondeterminismError) as caught:
        Replayer(workflows=[ship]).replay_workflow_sync(history())
    # The call starts on the line before its arguments: that is the line the engine names.
    call = next(n for n, text in enumerate(changed.splitlines(), 1) if "print_label, ['x'" in text)
    assert f"workflows.py:{call - 1}" in str(caught.value)


def test_the_official_replayer_replays_the_tempyral_history() -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        import temporalio.activity, temporalio.workflow
        sys.modules["tempyral.activity"] = temporalio.activity
        sys.modules["tempyral.workflow"] = temporalio.workflow
        sys.path.insert(0, {str(HERE)!r})
        from workflows import ShipParcel
        from temporalio.client import WorkflowHistory
        from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
        history = WorkflowHistory.from_json("ship-p-7", open({str(HISTORY)!r}).read())
        replayer = Replayer(workflows=[ShipParcel], workflow_runner=UnsandboxedWorkflowRunner())
        asyncio.run(replayer.replay_workflow(history))
        print("replayed", flush=True)
        # The official SDK's native runtime can abort while the interpreter finalizes
        # (PyGILState_Release) after its work is done: leave before finalization.
        import os
        os._exit(0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("replayed")
    assert json.loads(HISTORY.read_text())["events"][0]["eventType"].endswith("STARTED")
