"""Local activity histories are interchangeable with the official SDK's, live.

- The golden local activity workflows (``packages/replay/tests/golden/local_activities``, recorded
  under the official worker) run on a tempyral worker; the histories it writes replay in the
  official ``Replayer`` (in a separate process, where ``temporalio`` runs the same source).
- A run with local activities and a patch started under one SDK's worker (a worker process,
  ``scripts/workflow_worker.py``) waits on a signal, or on the timer of a local retry backoff; that
  worker stops, the other SDK's worker finishes the run: it replayed the markers the first wrote,
  found the first's patch taken, and recorded a patch of its own.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict

from tempyral import activity
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowHandle, WorkflowHistory
from tempyral.exceptions import ApplicationError
from tempyral.replay import Replayer
from tempyral.worker import Worker

from .shared_workflows import LocalHandover

pytestmark = pytest.mark.integration

E = EventType
GOLDEN = Path(__file__).resolve().parents[2] / "replay" / "tests" / "golden" / "local_activities"


def load_golden() -> ModuleType:
    spec = importlib.util.spec_from_file_location("golden_local_e2e", GOLDEN / "workflows.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The activities the golden workflows name (as in golden/record.py).
@activity.defn(name="greet")
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn(name="fail_always")
async def fail_always() -> None:
    raise ApplicationError("always fails", non_retryable=True)


@activity.defn(name="flaky")
async def flaky(succeed_on_attempt: int) -> str:
    attempt = activity.info().attempt
    if attempt < succeed_on_attempt:
        raise ApplicationError(f"attempt {attempt} failed")
    return f"succeeded on attempt {attempt}"


@activity.defn(name="slow")
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "slow done"


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


def golden_history(name: str) -> WorkflowHistory:
    folder = GOLDEN / "histories"
    workflow_id = json.loads((folder / "index.json").read_text())[name]
    return WorkflowHistory.from_json(workflow_id, (folder / f"{name}.json").read_text())


def cancelled_marker(events: Any) -> dict[str, Any]:
    """The ``slow`` activity's marker: its data (without the run's own times) and failure."""
    for event in events:
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != "core_local_activity":
            continue
        data = json.loads(marker.details["data"].payloads[0].data)
        if data["activity_type"] == "slow":
            # When the activity was first scheduled: this run's own time, but always there.
            assert data.pop("original_schedule_time") is not None
            return {"data": data, "failure": MessageToDict(marker.failure)}
    raise AssertionError("no marker of the cancelled activity")


OFFICIAL_REPLAY = """
import asyncio, importlib.util, json, os, sys
from pathlib import Path
import temporalio.common, temporalio.exceptions, temporalio.workflow
sys.modules["tempyral.workflow"] = temporalio.workflow
sys.modules["tempyral.common"] = temporalio.common
sys.modules["tempyral.exceptions"] = temporalio.exceptions
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

golden, folder = Path(sys.argv[1]), Path(sys.argv[2])
spec = importlib.util.spec_from_file_location("golden_local_official", golden / "workflows.py")
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
index = json.loads((folder / "index.json").read_text())
replayer = Replayer(
    workflows=module.all_workflows(), workflow_runner=UnsandboxedWorkflowRunner()
)

async def main():
    failures = {}
    for name, workflow_id in index.items():
        history = WorkflowHistory.from_json(workflow_id, (folder / f"{name}.json").read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures[name] = repr(result.replay_failure)
    print(json.dumps({"replayed": len(index), "failures": failures}))

asyncio.run(main())
# The official SDK's native runtime can abort while the interpreter finalizes
# (PyGILState_Release) after its work is done: leave before finalization.
sys.stdout.flush()
os._exit(0)
"""


async def test_tempyral_histories_of_the_golden_workflows_replay_in_the_official_sdk(
    client: Client, tmp_path: Path
) -> None:
    golden = load_golden()
    task_queue = f"local-golden-{uuid.uuid4()}"
    index: dict[str, str] = {}
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=golden.all_workflows(),
        activities=[greet, fail_always, flaky, slow],
    ):
        handles = {
            name: await client.start_workflow(
                getattr(golden, cls).run,
                args=args,
                id=f"tempyral-{name}-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
                # As when recording: the long local activity heartbeats its task.
                task_timeout=timedelta(seconds=2),
            )
            for name, (cls, args) in SCENARIOS.items()
        }
        for name, handle in handles.items():
            await asyncio.wait_for(handle.result(), 60)
            history = await handle.fetch_history()
            (tmp_path / f"{name}.json").write_text(history.to_json())
            index[name] = handle.id
    (tmp_path / "index.json").write_text(json.dumps(index))

    heartbeat = await handles["local_heartbeat"].fetch_history()
    kinds = [e.event_type for e in heartbeat.events]
    assert kinds.count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) >= 3  # heartbeated, then done
    backoff = await handles["local_backoff_timer"].fetch_history()
    assert [e.event_type for e in backoff.events].count(E.EVENT_TYPE_TIMER_FIRED) == 2
    # The marker of the cancelled (TRY_CANCEL) or abandoned activity is the official one.
    for name in ("local_cancelled", "local_abandoned"):
        ours = cancelled_marker((await handles[name].fetch_history()).events)
        official = cancelled_marker(golden_history(name).events)
        assert ours == official, json.dumps([name, ours, official])

    # tempyral replays them too, in one batch.
    results = await Replayer(workflows=golden.all_workflows()).replay_workflows(
        [await handle.fetch_history() for handle in handles.values()],
        raise_on_replay_failure=False,
    )
    assert dict(results.replay_failures) == {}

    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", textwrap.dedent(OFFICIAL_REPLAY), str(GOLDEN), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"replayed": len(SCENARIOS), "failures": {}}


def sdk_names(history: Any) -> list[str]:
    return [
        event.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
        for event in history.events
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        and event.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
    ]


def patch_markers(history: Any) -> list[tuple[str, str]]:
    """Each ``core_patch`` marker's patch id, with the SDK whose workflow task recorded it."""
    completed_by = {
        event.event_id: event.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
        for event in history.events
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }
    # A task completion names its SDK only when it records something new in its metadata:
    # the task's SDK is the last one named at or before it.
    sdk = ""
    for event_id in sorted(completed_by):
        sdk = completed_by[event_id] = completed_by[event_id] or sdk
    markers = []
    for event in history.events:
        marker = event.marker_recorded_event_attributes
        if event.event_type == E.EVENT_TYPE_MARKER_RECORDED and marker.marker_name == "core_patch":
            data = json.loads(marker.details["patch-data"].payloads[0].data)
            markers.append((data["id"], completed_by[marker.workflow_task_completed_event_id]))
    return markers


def change_versions(history: Any) -> list[Any]:
    """The TemporalChangeVersion values upserted, in order."""
    return [
        json.loads(
            event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
                "TemporalChangeVersion"
            ].data
        )
        for event in history.events
        if event.event_type == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]


async def waiting(handle: WorkflowHandle[Any, Any], wait_on: str, timeout: float = 30) -> None:
    """Until the first worker recorded the first marker (and, for ``timer``, started the
    backoff timer)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        kinds = [event.event_type for event in (await handle.fetch_history()).events]
        if wait_on == "signal" and E.EVENT_TYPE_MARKER_RECORDED in kinds:
            return
        if wait_on == "timer" and E.EVENT_TYPE_TIMER_STARTED in kinds:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never waited on its {wait_on}")


async def stop(worker: Any) -> None:
    code = await asyncio.to_thread(worker.terminate)
    if worker.sdk == "tempyral":
        assert code == 0, worker.output()


@pytest.mark.parametrize(("first", "second"), [("official", "tempyral"), ("tempyral", "official")])
async def test_a_run_with_local_activities_moves_between_sdks(
    client: Client, tempyral_target: str, workflow_worker_process: Any, first: str, second: str
) -> None:
    task_queue = f"local-handover-{first}-{uuid.uuid4()}"
    starting = workflow_worker_process(first, tempyral_target, task_queue)
    await starting.wait_ready()
    handles = {
        wait_on: await client.start_workflow(
            LocalHandover.run,
            wait_on,
            id=f"local-handover-{wait_on}-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        for wait_on in ("signal", "timer")
    }
    for wait_on, handle in handles.items():
        await waiting(handle, wait_on)
    await stop(starting)

    finishing = workflow_worker_process(second, tempyral_target, task_queue)
    await finishing.wait_ready()
    await handles["signal"].signal(LocalHandover.go)
    results = {
        wait_on: await asyncio.wait_for(handle.result(), 60) for wait_on, handle in handles.items()
    }
    await stop(finishing)

    patched = ["patched before the wait"]
    after_the_wait = ["still patched after the wait", "patched after the wait", "Hello, after!"]
    assert results == {
        "signal": ["Hello, before!", *patched, *after_the_wait],
        "timer": ["Hello, before!", *patched, "succeeded on attempt 2", *after_the_wait],
    }
    names = {"official": "temporal-python", "tempyral": "tempyral"}
    for wait_on, handle in handles.items():
        history = await handle.fetch_history()
        recorded = sdk_names(history)
        assert recorded[0] == names[first], (wait_on, recorded)
        assert recorded[-1] == names[second], (wait_on, recorded)
        # Each worker recorded its own patch marker (and the TemporalChangeVersion upsert that
        # goes with it); the second found the first's patch in history and recorded it no more.
        assert patch_markers(history) == [
            ("handover-before-wait", names[first]),
            ("handover-after-wait", names[second]),
        ], wait_on
        # The second upsert lists every patch so far, sorted, whichever SDK wrote it.
        assert change_versions(history) == [
            ["handover-before-wait"],
            ["handover-after-wait", "handover-before-wait"],
        ], wait_on
