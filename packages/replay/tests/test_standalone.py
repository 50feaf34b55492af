"""tempyral-replay works on its own: no worker, no gRPC, no sockets, no threads started."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys, threading

    class Forbid(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "grpc" or name.startswith(("grpc.", "tempyral.worker", "temporalio")):
                raise ImportError(f"replay must not import {name}")
            return None

    sys.meta_path.insert(0, Forbid())
    from pathlib import Path
    from tempyral.replay import Replayer, WorkflowHistory
    sys.path.insert(0, sys.argv[1])
    import workflows

    golden = Path(sys.argv[1]) / "histories"
    index = json.loads((golden / "index.json").read_text())
    classes = [v for v in vars(workflows).values() if isinstance(v, type)
               and "__tempyral_workflow_definition" in v.__dict__]
    replayer = Replayer(workflows=classes)
    for name, workflow_id in sorted(index.items()):
        history = WorkflowHistory.from_json(workflow_id, (golden / f"{name}.json").read_text())
        replayer.replay_workflow_sync(history)
    assert threading.active_count() == 1, threading.enumerate()
    print("replayed", len(index))
    """
)


def test_replays_without_worker_grpc_or_threads() -> None:
    golden = Path(__file__).parent / "golden"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(golden)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("replayed ")
