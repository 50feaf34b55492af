"""Golden histories of a retry's last failure, a schedule's last completion result and the
seeded randomness beyond ``workflow.random()`` (``new_random``, ``uuid7``, ``random_seed`` and
its callbacks) across resets, recorded under the official SDK
(``golden/previous_run/record.py``), replay in tempyral; run as new, each last task completes
with the very result the official worker computed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import Replayer, WorkflowHistory

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "previous_run"


def _histories() -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((HERE / "index.json").read_text())
    return [
        (path.stem, WorkflowHistory.from_json(index[path.stem], path.read_text()))
        for path in sorted((HERE / "histories").glob("*.json"))
    ]


HISTORIES = _histories()
IDS = [name for name, _ in HISTORIES]
BY_NAME = dict(HISTORIES)


def _recorded_result(name: str) -> Any:
    completed = BY_NAME[name].events[-1].workflow_execution_completed_event_attributes
    return json.loads(completed.result.payloads[0].data)


@pytest.fixture(scope="module")
def wf() -> ModuleType:
    return load_module(HERE / "workflows.py", "golden_previous_run_workflows")


@pytest.fixture
def replayer(wf: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(wf))


def test_every_scenario_has_a_golden_history() -> None:
    assert set(IDS) == {
        "retried",
        "tally_first",
        "tally_second",
        "reseed_base",
        "reseed_reset_first",
        "reseed_reset_last",
    }


async def test_all_replay(replayer: Replayer) -> None:
    results = await replayer.replay_workflows([h for _, h in HISTORIES])
    assert dict(results.replay_failures) == {}
    assert len(results.results) == len(HISTORIES)


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_the_last_task_run_as_new_completes_with_the_official_result(
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
    assert completion.failure is None, completion.failure
    [command] = completion.commands
    assert command.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
    ours = json.loads(
        command.complete_workflow_execution_command_attributes.result.payloads[0].data
    )
    assert ours == _recorded_result(name)


def test_a_retry_sees_the_failure_of_the_attempt_before() -> None:
    assert _recorded_result("retried") == [
        2,
        "first attempt fails",
        "FirstAttempt",
        ["detail"],
        False,
    ]


def test_a_scheduled_run_sees_the_result_of_the_run_before() -> None:
    assert _recorded_result("tally_first") == [1, False]
    assert _recorded_result("tally_second") == [2, True]


def test_new_random_and_uuid7_draw_as_documented() -> None:
    """Unnamed ``new_random()`` starts as ``random()``, a named one does not; ``uuid7()`` is a
    version-7 UUID whose first 48 bits are the workflow time in milliseconds."""
    history = BY_NAME["reseed_base"]
    _, before, _ = _recorded_result("reseed_base")
    named, plain, default, made = before
    assert plain == default
    assert named != plain
    value = uuid.UUID(made)
    assert value.version == 7
    first_task = history.events[2].event_time.ToMilliseconds()
    assert value.int >> 80 == first_task


def test_a_reset_run_reseeds_and_tells_the_registered_callbacks() -> None:
    """What the official worker did on each reset, which tempyral reproduces above: reset to
    the first task, the code runs again from a seed of the new run (random_seed() shows it);
    reset to the last task, the code after the reset point draws from where it drew before or
    from the new seed, and callbacks hear of every seed change."""
    base_seeds, base_before, base_after = _recorded_result("reseed_base")
    first_seeds, first_before, _ = _recorded_result("reseed_reset_first")
    assert len(base_seeds) == len(first_seeds) == 1
    assert first_seeds != base_seeds
    assert first_before != base_before
    last_seeds, last_before, last_after = _recorded_result("reseed_reset_last")
    assert last_before == base_before
    # Each seed the callback heard of changed what the streams drew after it.
    assert (len(last_seeds) > 1) == (last_after[:3] != base_after[:3])
