"""Golden histories of workflows that moved between workers of different build IDs and
deployment versions, or saw their deployment's current version move on, recorded under the
official SDK (``golden/versioning/record.py``), replay in
tempyral: in one batch, at every task boundary and task by task. Each replayed task reports the
version history says completed it (the workflow branches on it, so a wrong answer is a
nondeterminism error), and the last task run as new on the second worker's version computes the
result the official run computed."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.common import WorkerDeploymentVersion
from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "versioning"


def _histories() -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((HERE / "index.json").read_text())
    return [
        (path.stem, WorkflowHistory.from_json(index[path.stem], path.read_text()))
        for path in sorted((HERE / "histories").glob("*.json"))
    ]


HISTORIES = _histories()
IDS = [name for name, _ in HISTORIES]
BY_NAME = dict(HISTORIES)
SECOND_WORKER = {
    "build_ids": WorkerDeploymentVersion("", "golden-build-b"),
    "deployments": WorkerDeploymentVersion("golden-deployment", "2.0"),
    # Pinned to 1.0: its last task ran there, after the current version had moved to 2.0.
    "target_changed": WorkerDeploymentVersion("golden-deployment-target", "1.0"),
}


@pytest.fixture(scope="module")
def wf() -> ModuleType:
    return load_module(HERE / "workflows.py", "golden_versioning_workflows")


@pytest.fixture
def replayer(wf: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(wf))


def _result(history: WorkflowHistory) -> Any:
    completed = history.events[-1].workflow_execution_completed_event_attributes
    return json.loads(completed.result.payloads[0].data)


def _last_started(events: list[HistoryEvent]) -> int:
    started = EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    return max(i for i, e in enumerate(events) if e.event_type == started)


def _result_run_as_new(
    replayer: Replayer, history: WorkflowHistory, version: WorkerDeploymentVersion | None
) -> Any:
    events = list(history.events)
    instance = replayer.new_instance(history.workflow_id, worker_deployment_version=version)
    completion = instance.activate(events[: _last_started(events) + 1])
    assert completion.failure is None
    (command,) = completion.commands
    assert command.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
    result = command.complete_workflow_execution_command_attributes.result
    return json.loads(result.payloads[0].data)


def test_the_official_runs_saw_the_version_change() -> None:
    assert _result(BY_NAME["build_ids"]) == [
        ["golden-build-a", ".golden-build-a", False],
        ["golden-build-a", ".golden-build-a", False],
        ["golden-build-b", ".golden-build-b", False],
    ]
    assert [row[1] for row in _result(BY_NAME["deployments"])] == [
        "golden-deployment.1.0",
        "golden-deployment.1.0",
        "golden-deployment.2.0",
    ]
    # A pinned run on a versioned worker hears that the deployment's current version moved on.
    assert _result(BY_NAME["target_changed"]) == [
        ["1.0", "golden-deployment-target.1.0", False],
        ["1.0", "golden-deployment-target.1.0", True],
    ]


async def test_all_in_one_batch(replayer: Replayer) -> None:
    results = await replayer.replay_workflows([h for _, h in HISTORIES])
    assert dict(results.replay_failures) == {}
    assert len(results.results) == len(HISTORIES)


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_every_task_boundary_prefix_replays(
    replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    boundaries = (
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    )
    cuts = [i + 1 for i, e in enumerate(history.events) if e.event_type in boundaries]
    for cut in cuts:
        prefix = WorkflowHistory(history.workflow_id, history.events[:cut])
        result = replayer.replay_workflow_sync(prefix, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{name} cut at event {cut}: {result.replay_failure}"


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_fed_task_by_task_like_a_sticky_worker(
    replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    instance = replayer.new_instance(history.workflow_id)
    events = history.events
    start = 0
    for index, event in enumerate(events):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and (
            index + 1 < len(events)
            and events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            completion = instance.activate(events[start : index + 2])
            assert completion.failure is None, f"{name} at {index + 1}: {completion.failure!r}"
            start = index + 2
    assert instance.activate(events[start:], history_complete=True).failure is None
    assert instance.finished


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_the_last_task_run_as_new_computes_the_official_result(
    replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    assert _result_run_as_new(replayer, history, SECOND_WORKER[name]) == _result(history)


def test_a_new_task_reports_this_workers_version(replayer: Replayer) -> None:
    history = BY_NAME["build_ids"]
    last = _result_run_as_new(replayer, history, WorkerDeploymentVersion("dep", "mine"))[-1]
    assert last == ["mine", "dep.mine", False]
    # A worker with neither build ID nor deployment reports none.
    assert _result_run_as_new(replayer, history, None)[-1] == ["", None, False]


def test_the_replayer_reports_its_build_id_for_a_new_task(wf: ModuleType) -> None:
    replayer = Replayer(workflows=workflow_classes(wf), build_id="replaying-build")
    last = _result_run_as_new(replayer, BY_NAME["build_ids"], None)[-1]
    assert last == ["replaying-build", ".replaying-build", False]


def _edited(history: WorkflowHistory, event_id: int, edit: Any) -> WorkflowHistory:
    events = [HistoryEvent.FromString(e.SerializeToString()) for e in history.events]
    edit(events[event_id - 1])
    return WorkflowHistory(history.workflow_id, events)


def test_a_task_completed_by_another_build_replays_the_other_branch(replayer: Replayer) -> None:
    """Companion of the batch test: the version really comes from the completion event, so a
    history saying another build completed the first task no longer matches the code."""

    def other_build(event: HistoryEvent) -> None:
        event.workflow_task_completed_event_attributes.worker_version.build_id = "someone-else"

    with pytest.raises(NondeterminismError):
        replayer.replay_workflow_sync(_edited(BY_NAME["build_ids"], 4, other_build))


def test_the_newest_recorded_form_of_the_version_wins(replayer: Replayer) -> None:
    def newest(event: HistoryEvent) -> None:
        attrs = event.workflow_task_completed_event_attributes
        attrs.worker_version.build_id = "stamp"
        attrs.worker_deployment_version = "legacy.string"
        attrs.deployment_version.deployment_name = "dep"
        attrs.deployment_version.build_id = "golden-build-b"

    # Event 9 completes the second task (after the timer): its row shows what it names.
    history = _edited(BY_NAME["build_ids"], 9, newest)
    second_task = _result_run_as_new(replayer, history, None)[1]
    assert second_task == ["golden-build-b", "dep.golden-build-b", False]


def test_the_target_version_change_comes_from_the_task_started_event(replayer: Replayer) -> None:
    def changed(event: HistoryEvent) -> None:
        event.workflow_task_started_event_attributes.target_worker_deployment_version_changed = True

    history = _edited(BY_NAME["deployments"], 12, changed)
    last = _result_run_as_new(replayer, history, SECOND_WORKER["deployments"])[-1]
    assert last == ["2.0", "golden-deployment.2.0", True]
