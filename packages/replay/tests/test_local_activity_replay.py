"""Local activity histories recorded under the official SDK replay in tempyral: in one batch, at
every task boundary, task by task like a sticky worker; the results the code computes (workflow
time moved by the markers included) equal the official run's; a swapped local activity is a
nondeterminism error naming the workflow line."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory
from tempyral.replay._local_activities import is_local_activity_marker
from tempyral.replay._local_markers import read_marker

from .conftest import GOLDEN, load_module, workflow_classes

LOCAL = GOLDEN / "local_activities"
BOUNDARIES = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
)


def local_histories(folder: Path = LOCAL / "histories") -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((folder / "index.json").read_text())
    return [
        (name, WorkflowHistory.from_json(index[name], (folder / f"{name}.json").read_text()))
        for name in sorted(index)
    ]


HISTORIES = local_histories()
IDS = [name for name, _ in HISTORIES]


@pytest.fixture(scope="module")
def local_workflows() -> ModuleType:
    return load_module(LOCAL / "workflows.py", "golden_local_workflows")


@pytest.fixture(scope="module")
def local_replayer(local_workflows: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(local_workflows))


def test_every_scenario_was_recorded() -> None:
    assert set(IDS) >= {
        "local_success",
        "local_retried",
        "local_failure",
        "local_timeout",
        "local_cancelled",
        "local_abandoned",
        "local_heartbeat",
        "local_backoff_timer",
    }


async def test_all_in_one_batch(local_replayer: Replayer) -> None:
    results = await local_replayer.replay_workflows([h for _, h in HISTORIES])
    assert dict(results.replay_failures) == {}
    assert len(results.results) == len(HISTORIES)


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_every_task_boundary_prefix_replays(
    local_replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    cuts = [i + 1 for i, e in enumerate(history.events) if e.event_type in BOUNDARIES]
    for cut in cuts:
        prefix = WorkflowHistory(history.workflow_id, history.events[:cut])
        result = local_replayer.replay_workflow_sync(prefix, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{name} cut at event {cut}: {result.replay_failure}"


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_fed_task_by_task_like_a_sticky_worker(
    local_replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    """Each task is new to the instance: it asks for its local activities to be run; they are
    "run" with the outcomes the official worker recorded, and the marker commands tempyral then
    issues are the markers in history (matched as commands, not read from history)."""
    instance = local_replayer.new_instance(history.workflow_id)
    events = history.events
    markers = {read_marker(e)[0].seq: e for e in events if is_local_activity_marker(e)}
    requested: set[int] = set()
    start = 0
    for index, event in enumerate(events):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and (
            index + 1 == len(events)
            or events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            chunk = events[start : index + 1]
            _resolve_recorded(instance, chunk, requested)
            completion = instance.activate(chunk)
            assert completion.failure is None, f"{name} at event {index + 1}"
            requested |= {r.seq for r in completion.local_activities.start}
            start = index + 1
    _resolve_recorded(instance, events[start:], requested)
    completion = instance.activate(events[start:], history_complete=True)
    assert completion.failure is None
    assert instance.finished
    assert requested == set(markers), name


def _resolve_recorded(instance: Any, chunk: list[Any], requested: set[int]) -> Any:
    """Give the instance, in history's order, the outcomes recorded in ``chunk`` of the local
    activities it asked for (including those it asks for on the way); the last completion."""
    completion = None
    for event in chunk:
        if is_local_activity_marker(event):
            _, resolution = read_marker(event)
            if resolution.seq in requested:
                completion = instance.resolve_local_activities([resolution])
                assert completion.failure is None
                requested |= {r.seq for r in completion.local_activities.start}
    return completion


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_the_result_is_the_official_runs(
    local_replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    """Running the last task as new, with the local activity outcomes the official worker had,
    the code closes the run with the very result it recorded (workflow time moved by the
    markers included)."""
    events = history.events
    last_started = max(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    )
    instance = local_replayer.new_instance(history.workflow_id)
    completion = instance.activate(events[: last_started + 1])
    assert completion.failure is None, name
    requested = {r.seq for r in completion.local_activities.start}
    completion = _resolve_recorded(instance, events[last_started + 1 :], requested) or completion
    final = events[-1]
    assert final.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    command = completion.commands[-1]
    assert command.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
    produced = command.complete_workflow_execution_command_attributes.result
    assert produced == final.workflow_execution_completed_event_attributes.result, name


def _cancelled_marker(attributes: Any) -> tuple[dict[str, Any], Any]:
    data: dict[str, Any] = json.loads(attributes.details["data"].payloads[0].data)
    # When it was first scheduled: the run's own time (a wall clock's), but always there.
    assert data.pop("original_schedule_time") is not None
    return data, attributes.failure


@pytest.mark.parametrize("name", ["local_cancelled", "local_abandoned"])
def test_a_cancelled_local_activity_records_the_official_marker(
    local_replayer: Replayer, name: str
) -> None:
    """TRY_CANCEL and ABANDON resolve at once: the marker tempyral writes, given the outcome of
    the activity that ran beside it, is the official worker's (activation index included)."""
    history = dict(HISTORIES)[name]
    events = history.events
    instance = local_replayer.new_instance(history.workflow_id)
    started = next(
        i + 1
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    )
    completion = instance.activate(events[:started])
    requested = {r.seq for r in completion.local_activities.start}
    completion = _resolve_recorded(instance, events[started:], requested) or completion
    ours = [
        _cancelled_marker(c.record_marker_command_attributes)
        for c in completion.commands
        if c.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER
        and c.record_marker_command_attributes.HasField("failure")
    ]
    official = [
        _cancelled_marker(e.marker_recorded_event_attributes)
        for e in events
        if is_local_activity_marker(e) and e.marker_recorded_event_attributes.HasField("failure")
    ]
    assert len(official) == 1
    assert ours == official


def test_a_swapped_local_activity_names_the_workflow_line(tmp_path: Path) -> None:
    source = (LOCAL / "workflows.py").read_text()
    changed = source.replace(
        '"greet", name, start_to_close_timeout=SHORT', '"flaky", 3, start_to_close_timeout=SHORT'
    )
    assert changed != source
    path = tmp_path / "changed_local_workflows.py"
    path.write_text(changed)
    module = load_module(path, "changed_local_workflows")
    replayer = Replayer(workflows=workflow_classes(module))
    history = dict(HISTORIES)["local_success"]
    with pytest.raises(NondeterminismError) as caught:
        replayer.replay_workflow_sync(history)
    text = str(caught.value)
    assert "local activity type 'greet' in history, 'flaky' in the code" in text
    line = next(n for n, ln in enumerate(changed.splitlines(), 1) if '"flaky", 3, start' in ln)
    assert f"{path.name}:{line - 1}" in text or f"{path.name}:{line}" in text, text


def test_a_local_activity_history_lacks_is_an_error(tmp_path: Path) -> None:
    source = (LOCAL / "workflows.py").read_text()
    changed = source.replace(
        "        second = await workflow.execute_local_activity(\n"
        '            "greet", "again", schedule_to_close_timeout=SHORT\n'
        "        )\n",
        '        second = "skipped"\n',
    )
    assert changed != source
    path = tmp_path / "fewer_local_workflows.py"
    path.write_text(changed)
    module = load_module(path, "fewer_local_workflows")
    replayer = Replayer(workflows=workflow_classes(module))
    with pytest.raises(NondeterminismError, match="did not schedule"):
        replayer.replay_workflow_sync(dict(HISTORIES)["local_success"])
