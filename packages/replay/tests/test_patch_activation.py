"""The worker's ``patch_activation_callback``: asked whether a patch met for the first time in a
new workflow task takes effect (``PatchActivationInput``), never on replay or for deprecated
patches, and its answer is what ``workflow.patched`` returns and whether a marker is recorded."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import PatchActivationInput, Replayer, WorkflowHistory

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "patching"


def _history(name: str) -> WorkflowHistory:
    index = json.loads((HERE / "index.json").read_text())
    return WorkflowHistory.from_json(index[name], (HERE / "histories" / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def wf() -> ModuleType:
    return load_module(HERE / "workflows.py", "patch_activation_workflows")


def _replayer(wf: ModuleType, callback: Any) -> Replayer:
    replayer = Replayer(workflows=workflow_classes(wf))
    replayer.patch_activation_callback = callback
    return replayer


def _first_task_commands(replayer: Replayer, history: WorkflowHistory) -> list[int]:
    """The command types of the run's first task, run as new."""
    events = history.events
    started = EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    first_started = next(i for i, e in enumerate(events) if e.event_type == started)
    completion = replayer.new_instance(history.workflow_id).activate(events[: first_started + 1])
    assert completion.failure is None, completion.failure
    return [command.command_type for command in completion.commands]


def test_a_callback_saying_no_leaves_the_patch_inactive(wf: ModuleType) -> None:
    asked: list[PatchActivationInput] = []

    def only_other_change(input: PatchActivationInput) -> bool:
        asked.append(input)
        return input.patch_id != "my-change"

    history = _history("patched")
    commands = _first_task_commands(_replayer(wf, only_other_change), history)
    # No marker for "my-change": the task only starts the timer.
    assert commands == [CommandType.COMMAND_TYPE_START_TIMER]
    assert [a.patch_id for a in asked] == ["my-change"]
    assert asked[0].workflow_info.workflow_id == history.workflow_id
    assert asked[0].workflow_info.workflow_type == "Patched"


def test_without_a_callback_a_new_patch_is_active(wf: ModuleType) -> None:
    commands = _first_task_commands(_replayer(wf, None), _history("patched"))
    assert commands == [
        CommandType.COMMAND_TYPE_RECORD_MARKER,
        CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,  # TemporalChangeVersion
        CommandType.COMMAND_TYPE_START_TIMER,
    ]


def test_replay_and_deprecated_patches_never_ask(wf: ModuleType) -> None:
    def never(input: PatchActivationInput) -> bool:
        raise AssertionError(f"asked about {input.patch_id}")

    replayer = _replayer(wf, never)
    replayer.replay_workflow_sync(_history("patched"))
    # deprecate_patch() in a new task: the marker is recorded without asking.
    commands = _first_task_commands(replayer, _history("deprecated"))
    assert commands[0] == CommandType.COMMAND_TYPE_RECORD_MARKER


def test_an_answer_that_is_not_a_bool_fails_the_task(wf: ModuleType) -> None:
    history = _history("patched")
    events = history.events
    replayer = _replayer(wf, lambda input: "yes")
    completion = replayer.new_instance(history.workflow_id).activate(events[:3])
    assert isinstance(completion.failure, TypeError)
    assert "must return true or false" in str(completion.failure)
