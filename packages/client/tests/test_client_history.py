"""WorkflowHistory JSON: the CLI's, the official SDK's and the older PascalCase enum spelling all
read the same, in tempyral and in the official SDK."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import (
    Client,
    WorkflowFailureError,
    WorkflowHistory,
    WorkflowHistoryEventFilterType,
)
from tempyral.testing import find_temporal_binary

if TYPE_CHECKING:
    from conftest import OfficialWorker

TOOL = Path(__file__).parent / "official_worker" / "history_tool.py"


def pascal_case(data: Any) -> Any:
    """The JSON with every enum value spelled the old way: ``EVENT_TYPE_ACTIVITY_TASK_FAILED`` ->
    ``ActivityTaskFailed`` (the prefix is the enum's name, known from the field)."""
    prefixes = {
        "eventType": "EVENT_TYPE_",
        "kind": "TASK_QUEUE_KIND_",
        "retryState": "RETRY_STATE_",
        "initiator": "CONTINUE_AS_NEW_INITIATOR_",
        "timeoutType": "TIMEOUT_TYPE_",
        "cause": "WORKFLOW_TASK_FAILED_CAUSE_",
    }
    if isinstance(data, list):
        return [pascal_case(item) for item in data]
    if not isinstance(data, dict):
        return data
    fixed: dict[str, Any] = {}
    for key, value in data.items():
        prefix = prefixes.get(key)
        if isinstance(value, str) and prefix and value.startswith(prefix):
            words = value[len(prefix) :].split("_")
            fixed[key] = "".join(word.capitalize() for word in words)
        else:
            fixed[key] = pascal_case(value)
    return fixed


async def run_process(*command: str) -> bytes:
    """stdout of a command (without blocking the event loop); fails the test if it fails."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode(errors="replace")
    return stdout


def serialized(history: WorkflowHistory) -> list[str]:
    return [event.SerializeToString(deterministic=True).hex() for event in history.events]


# -- without a server ----------------------------------------------------------------------------


def test_from_json_rejects_what_is_not_a_history() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        WorkflowHistory.from_json("wf", "{not json")
    with pytest.raises(ValueError, match="not a dictionary"):
        WorkflowHistory.from_json("wf", "42")
    with pytest.raises(ValueError, match="'events' list"):
        WorkflowHistory.from_json("wf", {"history": []})
    with pytest.raises(ValueError, match="Event not a dictionary"):
        WorkflowHistory.from_json("wf", {"events": [1]})
    with pytest.raises(ValueError, match="does not parse"):
        WorkflowHistory.from_json("wf", {"events": [{"eventId": "not a number"}]})


def test_from_json_reads_a_file_of_bare_events() -> None:
    # Some tools save only the events list (tempyral-replay's own loader read those too).
    events = [{"eventId": "1", "eventType": "WorkflowExecutionStarted"}]
    for history in [json.dumps(events), json.dumps(events).encode()]:
        loaded = WorkflowHistory.from_json("wf", history)
        assert [e.event_type for e in loaded.events] == [
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        ]
        assert loaded == WorkflowHistory.from_json("wf", {"events": events})


def test_small_history_in_every_spelling() -> None:
    modern = {
        "events": [
            {
                "eventId": "1",
                "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                "workflowExecutionStartedEventAttributes": {
                    "workflowType": {"name": "Greeting"},
                    "taskQueue": {"name": "tq", "kind": "TASK_QUEUE_KIND_NORMAL"},
                    "originalExecutionRunId": "run-1",
                },
            }
        ]
    }
    old = pascal_case(modern)
    assert old["events"][0]["eventType"] == "WorkflowExecutionStarted"
    snake = {"events": [{"event_id": 1, "event_type": "WorkflowExecutionStarted"}]}
    histories = [
        WorkflowHistory.from_json("wf", modern),
        WorkflowHistory.from_json("wf", json.dumps(old)),
        WorkflowHistory.from_json("wf", json.dumps(old).encode()),
    ]
    for history in histories:
        assert history.workflow_id == "wf"
        assert history.run_id == "run-1"
        assert history.events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        attributes = history.events[0].workflow_execution_started_event_attributes
        assert attributes.task_queue.kind == 1
    assert serialized(histories[0]) == serialized(histories[1]) == serialized(histories[2])
    assert WorkflowHistory.from_json("wf", snake).events[0].event_id == 1
    # The caller's dict is not changed.
    assert old["events"][0]["eventType"] == "WorkflowExecutionStarted"
    assert json.loads(histories[0].to_json()) == histories[0].to_json_dict()


def test_run_id_needs_a_start_event() -> None:
    with pytest.raises(RuntimeError, match="No events"):
        _ = WorkflowHistory("wf", []).run_id
    other = WorkflowHistory.from_json(
        "wf", {"events": [{"eventType": "WorkflowExecutionSignaled"}]}
    )
    with pytest.raises(RuntimeError, match="not workflow start"):
        _ = other.run_id


# -- against the server, with the official SDK and the CLI -------------------------------------


@pytest.fixture(scope="module")
def failed_history_ids(official_worker: OfficialWorker) -> tuple[str, str]:
    """A finished Failing("activity") run: activity, failure, retry state and task queue kinds."""

    async def run() -> tuple[str, str]:
        client = await Client.connect(official_worker.target)
        handle = await client.start_workflow(
            "Failing",
            "activity",
            id=f"history-{uuid.uuid4()}",
            task_queue=official_worker.task_queue,
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        assert handle.result_run_id is not None
        return handle.id, handle.result_run_id

    return asyncio.run(run())


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_histories_from_the_cli_and_the_official_sdk(
    tempyral_client: Client,
    official_worker: OfficialWorker,
    failed_history_ids: tuple[str, str],
    tmp_path: Path,
) -> None:
    workflow_id, run_id = failed_history_ids
    handle = tempyral_client.get_workflow_handle(workflow_id, run_id=run_id)
    fetched = await handle.fetch_history()
    assert fetched.run_id == run_id
    types = [EventType.Name(event.event_type) for event in fetched.events]
    assert "EVENT_TYPE_ACTIVITY_TASK_FAILED" in types
    assert types[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    close_only = await handle.fetch_history(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    )
    assert [event.event_id for event in close_only.events] == [fetched.events[-1].event_id]

    cli = await run_process(
        str(find_temporal_binary()), "workflow", "show", "--workflow-id", workflow_id,
        "--run-id", run_id, "--address", official_worker.target, "--output", "json",
    )  # fmt: skip
    official = await run_process(
        sys.executable, str(TOOL), "fetch", official_worker.target, workflow_id, run_id
    )
    ours = fetched.to_json()
    old_spelling = json.dumps(pascal_case(json.loads(ours)))
    assert "ActivityTaskFailed" in old_spelling
    assert "RETRY_STATE_" not in old_spelling
    expected = serialized(fetched)
    for text in (cli, official, ours, old_spelling):
        assert serialized(WorkflowHistory.from_json(workflow_id, text)) == expected

    # The official SDK reads what tempyral writes, and the old spelling, the same way.
    for name, text in (("ours.json", ours), ("old.json", old_spelling)):
        path = tmp_path / name
        path.write_text(text)
        parsed = await run_process(sys.executable, str(TOOL), "parse", str(path), workflow_id)
        summary = json.loads(parsed)
        assert summary["run_id"] == run_id
        assert summary["event_types"] == types
        assert summary["serialized"] == expected
