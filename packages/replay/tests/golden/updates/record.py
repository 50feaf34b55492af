"""Record the update golden histories: ``workflows.py`` (this folder) under the OFFICIAL worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/updates/record.py

Like ``golden/record.py`` (whose helpers it imports by path): a real dev server, the official
client and worker, the very same workflow source aliased onto ``temporalio``. With
``--tempyral-histories DIR`` it instead reads histories written by a tempyral worker from DIR and
replays them in the official ``Replayer`` (printing ``ok`` per history, or the failure): the
other direction of interchangeability, in a process of its own.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-updates"


def _shared_recorder() -> Any:
    spec = importlib.util.spec_from_file_location("golden_record", HERE.parent / "record.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_record"] = module
    spec.loader.exec_module(module)
    return module


shared = _shared_recorder()

import temporalio.client  # noqa: E402 (the shared recorder is loaded first)
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker  # noqa: E402


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_workflows() -> Any:
    shared.load_workflows_under_official_sdk()  # aliases tempyral.* to temporalio.*
    sys.modules["tempyral.client"] = temporalio.client
    return _load("golden_update_workflows", HERE / "workflows.py")


def all_workflows(wf: Any) -> list[Any]:
    return [wf.Counter, wf.Dynamic, wf.StartedWithUpdate, wf.UpdateAfterQuietTask, wf.QuietChild]


async def record() -> None:
    from tempyral.testing import DevServer

    wf = load_workflows()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    async with DevServer() as server:
        client = await Client.connect(server.target)
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=all_workflows(wf),
            activities=[shared.greet],
            workflow_runner=UnsandboxedWorkflowRunner(),
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            scenarios = _load("golden_update_scenarios", HERE / "scenarios.py")
            handles = await scenarios.drive(client, wf, TASK_QUEUE)
        index = {}
        for name, handle in handles.items():
            history = await handle.fetch_history()
            (OUT / f"{name}.json").write_text(history.to_json() + "\n")
            index[name] = handle.id
            print(f"  {name}: {len(history.events)} events")
        (OUT / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


async def replay_tempyral_histories(folder: Path) -> None:
    from temporalio.client import WorkflowHistory

    wf = load_workflows()
    replayer = Replayer(workflows=all_workflows(wf), workflow_runner=UnsandboxedWorkflowRunner())
    index = json.loads((folder / "index.json").read_text())
    for name, workflow_id in sorted(index.items()):
        history = WorkflowHistory.from_json(workflow_id, (folder / f"{name}.json").read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
        print(json.dumps({"name": name, "failure": repr(failure) if failure else None}))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--tempyral-histories":
        asyncio.run(replay_tempyral_histories(Path(sys.argv[2])))
    else:
        asyncio.run(record())
