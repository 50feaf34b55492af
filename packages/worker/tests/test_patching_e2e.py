"""Patches, upserts, metadata, history hints, continue-as-new carry-over and the built-in queries,
end to end on a tempyral worker against a dev server with the custom search attributes they use.

The histories tempyral writes replay in the official ``Replayer`` (a process of its own), those of
a run patched mid-flight and of a reset run included; a run started before a patch is finished by
the patched code on the old path while a new run takes the new one; ``temporal workflow stack``
(the Temporal CLI) shows a waiting workflow's stack.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.sdk.v1 import workflow_metadata_pb2
from tempyral.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from tempyral.client import Client, WorkflowHandle
from tempyral.testing import DevServer, find_temporal_binary
from tempyral.worker import PatchActivationInput, Worker

pytestmark = pytest.mark.integration

WORKFLOWS_FILE = (
    Path(__file__).parents[2] / "replay" / "tests" / "golden" / "patching" / "workflows.py"
)
OFFICIAL_REPLAY = Path(__file__).parent / "scripts" / "official_replay.py"


def _load_workflows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e2e_patching_workflows", WORKFLOWS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_patching_workflows"] = module
    spec.loader.exec_module(module)
    return module


wf = _load_workflows()


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    attributes = {"CustomKeywordField": "Keyword", "CustomIntField": "Int"}
    with DevServer(search_attributes=attributes) as dev_server:
        yield dev_server


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await Client.connect(server.target)


def _worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=wf.WORKFLOWS, max_cached_workflows=0)


async def _start(
    client: Client, fn: Any, *args: Any, task_queue: str, **kwargs: Any
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        fn, args=list(args), id=f"e2e-{uuid.uuid4()}", task_queue=task_queue, **kwargs
    )


async def _wait_for(handle: WorkflowHandle[Any, Any], kind: str) -> None:
    number = EventType.Value(f"EVENT_TYPE_{kind}")
    for _ in range(150):
        if any(e.event_type == number for e in (await handle.fetch_history()).events):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} in {handle.id}")


async def _replay_in_the_official_replayer(
    handles: dict[str, WorkflowHandle[Any, Any]], tmp_path: Path
) -> None:
    files = []
    for name, handle in handles.items():
        history = await handle.fetch_history()
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"workflow_id": handle.id, "history": history.to_json_dict()}))
        files.append(str(path))
    replay = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(OFFICIAL_REPLAY), str(WORKFLOWS_FILE), *files],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"OK {len(files)}" in replay.stdout


async def test_tempyral_histories_replay_in_the_official_replayer(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"patching-{uuid.uuid4()}"
    async with _worker(client, task_queue):
        handles = {
            "patched": await _start(client, wf.Patched.run, task_queue=task_queue),
            "deprecated": await _start(client, wf.Deprecated.run, task_queue=task_queue),
            "upserts": await _start(client, wf.Upserts.run, task_queue=task_queue),
            "hints": await _start(client, wf.HistoryHints.run, task_queue=task_queue),
            "summaries": await _start(client, wf.Summaries.run, task_queue=task_queue),
            "carries_over": await _start(
                client,
                wf.CarriesOver.run,
                True,
                task_queue=task_queue,
                memo={"origin": "client"},
                search_attributes=wf.TypedSearchAttributes(
                    [wf.SearchAttributePair(wf.KEYWORD, "from-start")]
                ),
            ),
        }
        results = {name: await asyncio.wait_for(h.result(), 30) for name, h in handles.items()}
    # The values the official SDK computes for the same workflows (see the golden histories).
    assert results["patched"] == [True, True, True]
    assert results["upserts"] == ["golden", None, "upserted", "none", "upserted things"]
    assert results["carries_over"] == ["client", 42, "from-start"]
    first_length, later_length, has_size, suggested = results["hints"]
    assert (first_length, later_length, has_size, suggested) == (3, 8, True, False)
    assert results["summaries"] == ["child done", "timed out"]
    # The server keeps each command's summary and details on its event, as the official
    # worker's run of the same workflow shows (golden patching/summaries.json).
    golden = json.loads((WORKFLOWS_FILE.parent / "histories" / "summaries.json").read_text())
    official_metadata = [e["userMetadata"] for e in golden["events"] if "userMetadata" in e]
    ours = (await handles["summaries"].fetch_history()).to_json_dict()
    assert [e["userMetadata"] for e in ours["events"] if "userMetadata" in e] == official_metadata

    await _replay_in_the_official_replayer(handles, tmp_path)


async def test_a_workflow_patched_mid_flight_completes_on_both_paths(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"mid-flight-{uuid.uuid4()}"
    wf.MidFlight.patched_code = False
    try:
        async with _worker(client, task_queue):
            before = await _start(client, wf.MidFlight.run, task_queue=task_queue)
            await _wait_for(before, "TIMER_STARTED")
        wf.MidFlight.patched_code = True  # the new release
        async with _worker(client, task_queue):
            await before.signal(wf.MidFlight.proceed)
            after = await _start(client, wf.MidFlight.run, task_queue=task_queue)
            await after.signal(wf.MidFlight.proceed)
            assert await asyncio.wait_for(before.result(), 30) == "old"
            assert await asyncio.wait_for(after.result(), 30) == "new"
    finally:
        wf.MidFlight.patched_code = False
    markers = [
        e
        for e in (await after.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert [m.marker_recorded_event_attributes.marker_name for m in markers] == ["core_patch"]
    # The official Replayer, with the patched code, replays both: the run tempyral started on
    # the old code (no marker: the nap) and the one it ran on the new code (marker, no nap).
    await _replay_in_the_official_replayer({"old_path": before, "new_path": after}, tmp_path)


async def test_a_reset_run_written_by_tempyral_replays_in_the_official_replayer(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"reset-{uuid.uuid4()}"
    async with _worker(client, task_queue):
        base = await _start(client, wf.Resettable.run, task_queue=task_queue)
        await _wait_for(base, "WORKFLOW_TASK_COMPLETED")
        await base.signal(wf.Resettable.proceed)
        base_result = await asyncio.wait_for(base.result(), 30)
        first_completed = next(
            e.event_id
            for e in (await base.fetch_history()).events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        reset = await client.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=base.id, run_id=base.run_id),
                reason="reset by a test",
                workflow_task_finish_event_id=first_completed,
                request_id=str(uuid.uuid4()),
            )
        )
        reset_run = client.get_workflow_handle(base.id, run_id=reset.run_id)
        reset_result = await asyncio.wait_for(reset_run.result(), 30)
    # The reset run ran its code again from the first task, drawing from its own seed.
    assert all(new != old for new, old in zip(reset_result, base_result, strict=True))
    kinds = [e.event_type for e in (await reset_run.fetch_history()).events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED in kinds  # the reset point
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds  # reapplied after it
    await _replay_in_the_official_replayer({"base": base, "reset": reset_run}, tmp_path)


async def test_the_cli_shows_the_stack_and_the_metadata_query_answers(
    client: Client, server: DevServer
) -> None:
    task_queue = f"stack-{uuid.uuid4()}"
    async with _worker(client, task_queue):
        handle = await _start(client, wf.Resettable.run, task_queue=task_queue)
        await _wait_for(handle, "WORKFLOW_TASK_COMPLETED")
        stack = await asyncio.to_thread(
            subprocess.run,
            [
                str(find_temporal_binary()),
                "workflow",
                "stack",
                "--address",
                server.target,
                "--workflow-id",
                handle.id,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert stack.returncode == 0, stack.stderr
        assert "workflows.py" in stack.stdout
        assert "in run" in stack.stdout
        metadata = await handle.query(
            "__temporal_workflow_metadata", result_type=workflow_metadata_pb2.WorkflowMetadata
        )
        assert metadata.definition.type == "Resettable"
        assert [d.name for d in metadata.definition.signal_definitions] == ["proceed"]
        assert "__stack_trace" in [d.name for d in metadata.definition.query_definitions]
        await handle.signal(wf.Resettable.proceed)
        await asyncio.wait_for(handle.result(), 30)


async def test_a_patch_activation_callback_decides_new_patches(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"patch-callback-{uuid.uuid4()}"
    asked: list[tuple[str, str]] = []

    def only_other_change(input: PatchActivationInput) -> bool:
        asked.append((input.patch_id, input.workflow_info.workflow_type))
        return input.patch_id != "my-change"

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=wf.WORKFLOWS,
        max_cached_workflows=0,  # every task replays: the callback is asked only once per patch
        patch_activation_callback=only_other_change,
    ):
        handle = await _start(client, wf.Patched.run, task_queue=task_queue)
        assert await asyncio.wait_for(handle.result(), 30) == [False, False, True]
    assert asked == [("my-change", "Patched"), ("other-change", "Patched")]
    history = await handle.fetch_history()
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert markers == ["core_patch"]  # other-change only
    path = tmp_path / "patched.json"
    path.write_text(json.dumps({"workflow_id": handle.id, "history": history.to_json_dict()}))
    replay = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(OFFICIAL_REPLAY), str(WORKFLOWS_FILE), str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "OK 1" in replay.stdout
