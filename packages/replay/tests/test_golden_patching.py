"""Golden histories of patches, upserts, metadata, history hints, continue-as-new carry-over and
reset, recorded under the official SDK (``golden/patching/record.py``), replay in tempyral: in one
batch, at every task boundary, task by task, and, run as new, the last task computes the result
the official run computed (seeded randomness after a reset included). Changed code fails with the
line that changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "patching"
WORKFLOWS_FILE = HERE / "workflows.py"


def _histories() -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((HERE / "index.json").read_text())
    return [
        (path.stem, WorkflowHistory.from_json(index[path.stem], path.read_text()))
        for path in sorted((HERE / "histories").glob("*.json"))
    ]


HISTORIES = _histories()
IDS = [name for name, _ in HISTORIES]
BY_NAME = dict(HISTORIES)


@pytest.fixture(scope="module")
def wf() -> ModuleType:
    return load_module(WORKFLOWS_FILE, "golden_patching_workflows")


@pytest.fixture
def replayer(wf: ModuleType) -> Iterator[Replayer]:
    """The newest code: ``MidFlight`` with its patch (it replays runs of both versions)."""
    wf.MidFlight.patched_code = True
    yield Replayer(workflows=workflow_classes(wf))
    wf.MidFlight.patched_code = False


def _changed(wf: ModuleType, tmp_path: Path, old: str, new: str) -> Replayer:
    """The golden workflows with one edit, loaded from a file of their own (for file:line)."""
    source = WORKFLOWS_FILE.read_text()
    assert old in source
    path = tmp_path / "changed_patching_workflows.py"
    path.write_text(source.replace(old, new))
    return Replayer(workflows=workflow_classes(load_module(path, "changed_patching_workflows")))


def test_every_feature_has_a_golden_history() -> None:
    assert {
        "patched",
        "deprecated",
        "upserts",
        "summaries",
        "history_hints",
        "carries_over_0",
        "carries_over_1",
        "mid_flight_v1",
        "mid_flight_v2",
        "reset_base",
        "reset_run",
    } <= set(IDS)


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
    replayer: Replayer, wf: ModuleType, name: str, history: WorkflowHistory
) -> None:
    # Fed task by task, each newest task runs as new: the code must be the one that wrote it.
    wf.MidFlight.patched_code = name != "mid_flight_v1"
    instance = replayer.new_instance(history.workflow_id)
    events = history.events
    start = 0
    for index, event in enumerate(events):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and (
            index + 1 == len(events)
            or events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            completion = instance.activate(events[start : index + 1])
            assert completion.failure is None, f"{name} at {index + 1}: {completion.failure!r}"
            start = index + 1
    assert instance.activate(events[start:], history_complete=True).failure is None
    assert instance.finished


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_the_last_task_run_as_new_issues_what_the_official_worker_issued(
    replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    events = history.events
    last_started = max(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    )
    instance = replayer.new_instance(history.workflow_id)
    completion = instance.activate(events[: last_started + 1])
    assert completion.failure is None
    recorded = events[last_started + 2 :]
    produced = completion.commands
    assert len(produced) == len(recorded), name
    for command, event in zip(produced, recorded, strict=True):
        if command.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER:
            ours = command.record_marker_command_attributes
            theirs = event.marker_recorded_event_attributes
            assert ours.marker_name == theirs.marker_name
            assert dict(ours.details) == dict(theirs.details)
        elif command.command_type == CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            ours_sa = command.upsert_workflow_search_attributes_command_attributes
            theirs_sa = event.upsert_workflow_search_attributes_event_attributes
            assert {k: v.data for k, v in ours_sa.search_attributes.indexed_fields.items()} == {
                k: v.data for k, v in theirs_sa.search_attributes.indexed_fields.items()
            }
        elif command.command_type == CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
            ours_memo = command.modify_workflow_properties_command_attributes.upserted_memo
            theirs_memo = event.workflow_properties_modified_event_attributes.upserted_memo
            assert ours_memo == theirs_memo
        elif command.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
            assert (
                command.complete_workflow_execution_command_attributes.result
                == event.workflow_execution_completed_event_attributes.result
            ), name
        elif command.command_type == CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
            ours_can = command.continue_as_new_workflow_execution_command_attributes
            theirs_can = event.workflow_execution_continued_as_new_event_attributes
            assert ours_can.memo == theirs_can.memo
            assert ours_can.search_attributes == theirs_can.search_attributes
    assert [c.command_type for c in produced]  # some commands were compared


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_every_task_run_as_new_writes_the_official_user_metadata(
    replayer: Replayer, wf: ModuleType, name: str, history: WorkflowHistory
) -> None:
    """Summaries and details (children, timers, wait_condition timeouts) are what the official
    worker wrote, command by command, at every workflow task."""
    wf.MidFlight.patched_code = name != "mid_flight_v1"
    events = history.events
    compared = 0
    for index, event in enumerate(events[:-1]):
        if not (
            event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
            and events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            continue
        completion = replayer.new_instance(history.workflow_id).activate(events[: index + 1])
        assert completion.failure is None, f"{name} at {index + 1}: {completion.failure!r}"
        recorded = events[index + 2 : index + 2 + len(completion.commands)]
        assert [c.user_metadata for c in completion.commands] == [
            e.user_metadata for e in recorded
        ], f"{name}, the task that starts at event {index + 1}"
        compared += sum(c.HasField("user_metadata") for c in completion.commands)
    expected = {"summaries": 3, "upserts": 1}.get(name, 0)
    assert compared == expected, name


def test_the_official_summaries_are_all_in_the_golden_history() -> None:
    """What the comparison above holds tempyral to (so that it cannot pass on empty metadata)."""
    decoded = [
        (e.event_type, {f.name: json.loads(v.data) for f, v in e.user_metadata.ListFields()})
        for e in BY_NAME["summaries"].events
        if e.HasField("user_metadata")
    ]
    assert decoded == [
        (
            EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            {"summary": "the child's summary", "details": "the child's **details**"},
        ),
        (EventType.EVENT_TYPE_TIMER_STARTED, {"summary": "gave up waiting"}),
        (EventType.EVENT_TYPE_TIMER_STARTED, {"summary": "a short nap"}),
    ]


def test_a_reset_run_draws_from_the_new_runs_seed() -> None:
    """The reset run's result (which tempyral reproduces, above) is not the base run's: code
    that runs after the reset point draws from a seed of the new run id."""
    base = BY_NAME["reset_base"].events[-1].workflow_execution_completed_event_attributes
    reset = BY_NAME["reset_run"].events[-1].workflow_execution_completed_event_attributes
    assert json.loads(base.result.payloads[0].data) != json.loads(reset.result.payloads[0].data)
    started = BY_NAME["reset_run"].events[0].workflow_execution_started_event_attributes
    assert started.original_execution_run_id  # the old seed's source is still the started event


def test_a_run_started_before_the_patch_finishes_on_the_old_path(
    replayer: Replayer, wf: ModuleType
) -> None:
    replayer.replay_workflow_sync(BY_NAME["mid_flight_v1"])  # no marker: the nap is replayed
    replayer.replay_workflow_sync(BY_NAME["mid_flight_v2"])  # marker: no nap
    wf.MidFlight.patched_code = False  # the old code cannot replay a run of the new one
    with pytest.raises(NondeterminismError, match="'skip-nap'"):
        replayer.replay_workflow_sync(BY_NAME["mid_flight_v2"])


def test_removing_a_patch_too_early_names_the_line(wf: ModuleType, tmp_path: Path) -> None:
    replayer = _changed(
        wf,
        tmp_path,
        'first = workflow.patched("my-change")',
        "first = True",
    )
    with pytest.raises(NondeterminismError) as info:
        replayer.replay_workflow_sync(BY_NAME["patched"])
    text = str(info.value)
    assert "'my-change'" in text
    assert "changed_patching_workflows.py:" in text
    assert "deprecate_patch" in text


def test_a_deprecated_patch_may_be_removed_or_kept(wf: ModuleType, tmp_path: Path) -> None:
    # deprecate_patch() replays histories with the marker (written by patched()) ...
    deprecating = _changed(
        wf,
        tmp_path,
        'first = workflow.patched("my-change")',
        'first = True\n        workflow.deprecate_patch("my-change")',
    )
    deprecating.replay_workflow_sync(BY_NAME["patched"])
    # ... and once every run has it, the call may go: its deprecated marker is skipped.
    removed = _changed(wf, tmp_path, 'workflow.deprecate_patch("my-change")', "pass")
    removed.replay_workflow_sync(BY_NAME["deprecated"])


def test_a_moved_upsert_names_the_line(wf: ModuleType, tmp_path: Path) -> None:
    replayer = _changed(
        wf,
        tmp_path,
        '        workflow.upsert_memo({"note": "upserted", "gone": None})\n',
        "",
    )
    with pytest.raises(NondeterminismError) as info:
        replayer.replay_workflow_sync(BY_NAME["upserts"])
    assert "changed_patching_workflows.py:" in str(info.value)
