"""Record the local activity golden histories under the OFFICIAL ``temporalio`` worker.

Run from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/local_activities/record.py [NAME ...]

With names (of ``SCENARIOS``), only those are recorded again and the other histories are kept.

It reuses the activities and helpers of ``golden/record.py`` (imported by path), runs each
workflow of ``workflows.py`` once on a fresh dev server, and writes each history with the official
``WorkflowHistory.to_json()`` plus ``index.json`` (history name -> workflow id).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-local"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


shared = _load(HERE.parent / "record.py", "golden_record")


def load_workflows_under_official_sdk() -> Any:
    import temporalio.common
    import temporalio.exceptions
    import temporalio.workflow

    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    return _load(HERE / "workflows.py", "golden_local_workflows")


SCENARIOS: dict[str, tuple[str, list[Any]]] = {
    "local_success": ("LocalSuccess", ["tempyral"]),
    "local_retried": ("LocalRetried", []),
    "local_failure": ("LocalFailure", []),
    "local_timeout": ("LocalTimeout", []),
    "local_cancelled": ("LocalCancelled", []),
    "local_abandoned": ("LocalAbandoned", []),
    "local_heartbeat": ("LocalLong", [3.5]),
    "local_backoff_timer": ("LocalBackoff", []),
    "local_mixed": ("LocalMixed", []),
}


async def main() -> None:
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    from tempyral.testing import DevServer

    only = set(sys.argv[1:])  # names of SCENARIOS: record just those, keep the others
    wf = load_workflows_under_official_sdk()
    OUT.mkdir(exist_ok=True)
    index: dict[str, str] = json.loads((OUT / "index.json").read_text()) if only else {}
    if not only:
        for old in OUT.glob("*.json"):
            old.unlink()
    run = uuid.uuid4().hex[:8]
    async with DevServer() as server:
        client = await Client.connect(server.target)
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=wf.all_workflows(),
            activities=[shared.greet, shared.fail_always, shared.flaky, shared.slow],
            workflow_runner=UnsandboxedWorkflowRunner(),
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            for name, (cls, args) in SCENARIOS.items():
                if only and name not in only:
                    continue
                handle = await client.start_workflow(
                    getattr(wf, cls).run,
                    args=args,
                    id=f"golden-{name}-{run}",
                    task_queue=TASK_QUEUE,
                    # A short task timeout makes the long local activity heartbeat the task.
                    task_timeout=timedelta(seconds=2),
                )
                print(f"{name}: {await handle.result()!r}")
                history = await handle.fetch_history()
                (OUT / f"{name}.json").write_text(history.to_json() + "\n")
                index[name] = handle.id
    (OUT / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
