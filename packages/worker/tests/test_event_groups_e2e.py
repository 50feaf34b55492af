"""Event groups on a tempyral worker against a dev server: the history tempyral writes carries
the markers the official worker writes for the same workflow
(``replay/tests/golden/event_groups``), and replays in the official ``Replayer`` (a process of
its own)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral import activity
from tempyral.client import Client, WorkflowHistory
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[2] / "replay" / "tests" / "golden" / "event_groups"
WORKFLOWS_FILE = GOLDEN / "workflows.py"
OFFICIAL_REPLAY = Path(__file__).parent / "scripts" / "official_replay.py"


def _load_workflows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e2e_event_group_workflows", WORKFLOWS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_event_group_workflows"] = module
    spec.loader.exec_module(module)
    return module


wf = _load_workflows()


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


def _markers(history: WorkflowHistory) -> list[tuple[str, list[str]]]:
    """Each marked event's type and markers, with the ids that differ between runs left out."""
    found = []
    for event in history.events:
        if event.event_group_markers:
            kinds = []
            for marker in event.event_group_markers:
                kind = marker.ListFields()[0][0].name
                kinds.append(f"label:{marker.label.id}" if kind == "label" else kind)
            found.append((event.WhichOneof("attributes") or "", kinds))
    return found


async def test_a_tempyral_history_carries_the_official_markers_and_replays_officially(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"event-groups-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=wf.WORKFLOWS, activities=[greet]):
        handle = await client.start_workflow(
            wf.Grouped.run, id=f"event-groups-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(200):  # the long nap was cancelled: the run waits for its handlers
            events = (await handle.fetch_history()).events
            if any(e.HasField("timer_canceled_event_attributes") for e in events):
                break
            await asyncio.sleep(0.1)
        await handle.signal(wf.Grouped.poke)
        assert await handle.execute_update(wf.Grouped.mark, "noted") == "noted"
        assert await asyncio.wait_for(handle.result(), 30) == "done"
    ours = await handle.fetch_history()
    official = WorkflowHistory.from_json(
        "golden", (GOLDEN / "histories" / "grouped.json").read_text()
    )
    assert sorted(_markers(ours)) == sorted(_markers(official))

    path = tmp_path / "grouped.json"
    path.write_text(json.dumps({"workflow_id": handle.id, "history": ours.to_json_dict()}))
    replay: Any = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(OFFICIAL_REPLAY), str(WORKFLOWS_FILE), str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "OK 1" in replay.stdout
