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
    import tempyral.client
    assert WorkflowHistory is tempyral.client.WorkflowHistory
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
    loaded = [m for m in sys.modules if m == "grpc" or m.startswith(("grpc.", "tempyral.service"))]
    assert not loaded, loaded
    print("replayed", len(index))
    """
)


def run(script: str) -> subprocess.CompletedProcess[str]:
    golden = Path(__file__).parent / "golden"
    return subprocess.run(
        [sys.executable, "-c", script, str(golden)], capture_output=True, text=True, check=False
    )


def test_replays_without_worker_grpc_or_threads() -> None:
    out = run(SCRIPT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("replayed ")


def test_the_guard_catches_a_grpc_import_through_tempyral_client() -> None:
    # Proof that the test above can fail: the client's Client (unlike WorkflowHistory) needs gRPC.
    out = run(
        SCRIPT.replace(
            "import tempyral.client\n", "import tempyral.client\ntempyral.client.Client\n"
        )
    )
    assert out.returncode != 0
    assert "replay must not import grpc" in out.stderr


_WITHOUT_NEXUSRPC = SCRIPT.replace(
    'if name == "grpc" or name',
    'if name in ("grpc", "nexusrpc") or name.startswith("nexusrpc.") or name',
)


def test_workflows_that_call_no_nexus_operation_never_import_nexusrpc() -> None:
    assert _WITHOUT_NEXUSRPC != SCRIPT
    out = run(_WITHOUT_NEXUSRPC)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("replayed ")


def test_the_guard_catches_nexusrpc_once_a_service_definition_is_resolved() -> None:
    # Proof that the test above can fail: a service given as a class is looked up in nexusrpc.
    out = run(
        _WITHOUT_NEXUSRPC.replace(
            "import tempyral.client\n",
            "import tempyral.client\nimport tempyral.workflow as w\n"
            "w.create_nexus_client(service=int, endpoint='e')\n",
        )
    )
    assert out.returncode != 0
    assert "replay must not import nexusrpc" in out.stderr
