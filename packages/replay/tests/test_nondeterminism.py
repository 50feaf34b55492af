"""Deliberately changed workflows fail replay with a nondeterminism error a person can act on:
the history event, the command the code issued instead, and the line that issued it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory
from tempyral.workflow import NondeterminismError as WorkflowNondeterminismError

from .conftest import golden_histories, load_module, workflow_classes

CHANGED = Path(__file__).parent / "changed_workflows.py"
HISTORIES = dict(golden_histories())


def changed_line(marker_text: str) -> int:
    """The line holding ``marker_text`` right after a ``# CHANGED`` comment."""
    lines = CHANGED.read_text().splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if marker_text in line and "# CHANGED" in lines[number - 2]:
            return number
    raise AssertionError(marker_text)


@pytest.fixture(scope="module")
def changed_replayer() -> Replayer:
    return Replayer(workflows=workflow_classes(load_module(CHANGED, "changed_workflows")))


def replay_error(replayer: Replayer, name: str) -> NondeterminismError:
    with pytest.raises(NondeterminismError) as info:
        replayer.replay_workflow_sync(HISTORIES[name])
    return info.value


def test_one_error_class_for_both_modules() -> None:
    assert WorkflowNondeterminismError is NondeterminismError


def test_swapped_activity_points_at_the_changed_line(changed_replayer: Replayer) -> None:
    err = replay_error(changed_replayer, "activity_success")
    assert err.code == "TMPRL1100"
    assert err.event_type == "ACTIVITY_TASK_SCHEDULED"
    assert err.event_id == 5
    assert err.command_type == "SCHEDULE_ACTIVITY_TASK"
    assert "greet_loudly" in err.command_attributes
    assert "greet" in err.event_attributes
    assert err.source is not None
    assert (Path(err.source.filename), err.source.lineno) == (CHANGED, changed_line("greet_loudly"))
    text = str(err)
    assert "[TMPRL1100]" in text
    assert "ActivitySuccess" in text
    assert "changed_workflows.py:" in text
    assert "activity type 'greet' in history, 'greet_loudly' in the code" in text
    # The activity's state machine had only been created by the code when history disagreed.
    assert err.path == "CREATED / schedule->SCHEDULE_COMMAND_CREATED"
    assert f"the command's state machine went: {err.path}" in text


def test_added_timer_points_at_the_changed_line(changed_replayer: Replayer) -> None:
    err = replay_error(changed_replayer, "activity_failure")
    assert (err.event_type, err.command_type) == ("ACTIVITY_TASK_SCHEDULED", "START_TIMER")
    assert err.source is not None
    assert err.source.lineno == changed_line("workflow.sleep(1)")


def test_reordered_children_point_at_the_changed_line(changed_replayer: Replayer) -> None:
    err = replay_error(changed_replayer, "parent")
    assert err.event_type == "START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    assert "child-a" in err.event_attributes
    assert "child-b" in err.command_attributes
    assert err.source is not None
    assert err.source.lineno == changed_line('args=["b", True]')


def test_command_added_before_the_end_points_at_it(changed_replayer: Replayer) -> None:
    err = replay_error(changed_replayer, "workflow_failed")
    assert (err.event_type, err.command_type) == (
        "WORKFLOW_EXECUTION_FAILED",
        "SCHEDULE_ACTIVITY_TASK",
    )
    assert err.source is not None
    assert err.source.lineno == changed_line('"one more"')


def test_removed_commands_name_the_event_the_code_no_longer_produces(
    changed_replayer: Replayer,
) -> None:
    err = replay_error(changed_replayer, "timers")
    assert err.event_type == "TIMER_STARTED"
    assert err.command_type == "COMPLETE_WORKFLOW_EXECUTION"


def test_collect_mode_reports_every_failure(changed_replayer: Replayer) -> None:
    import asyncio

    names = ["activity_success", "activity_failure", "parent", "workflow_failed", "timers"]
    results = asyncio.run(
        changed_replayer.replay_workflows(
            [HISTORIES[n] for n in names], raise_on_replay_failure=False
        )
    )
    assert len(results.replay_failures) == len(names)
    assert all(isinstance(e, NondeterminismError) for e in results.replay_failures.values())


def test_fail_fast_mode_raises_the_first(changed_replayer: Replayer) -> None:
    import asyncio

    histories: list[WorkflowHistory] = [
        HISTORIES["activity_success"],
        HISTORIES["activity_failure"],
    ]
    with pytest.raises(NondeterminismError, match="greet_loudly"):
        asyncio.run(changed_replayer.replay_workflows(histories))


def test_replay_iterator_yields_each_result(changed_replayer: Replayer) -> None:
    import asyncio

    async def collect() -> list[object]:
        histories = [HISTORIES["activity_success"], HISTORIES["child_a"]]
        async with changed_replayer.workflow_replay_iterator(histories) as results:
            return [result.replay_failure async for result in results]

    failures = asyncio.run(collect())
    assert isinstance(failures[0], NondeterminismError)
    assert len(failures) == 2


def test_nondeterminism_errors_pickle() -> None:
    import pickle

    err = NondeterminismError("reason", command_type="START_TIMER")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err)
    assert again.command_type == "START_TIMER"
