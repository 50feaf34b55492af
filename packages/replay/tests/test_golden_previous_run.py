"""Golden histories of a retry's last failure, a schedule's last completion result and the
seeded randomness beyond ``workflow.random()`` (``new_random``, ``uuid7``, ``random_seed`` and
its callbacks) across resets, recorded under the official SDK
(``golden/previous_run/record.py``), replay in tempyral; run as new, each last task completes
with the very result the official worker computed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import Replayer, WorkflowHistory
from tempyral.replay._seed import randomness_seed

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
        "reseed_reset_middle",
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
    _, start, *_ = _recorded_result("reseed_base")
    named, plain, default, made = start
    assert plain == default
    assert named != plain
    value = uuid.UUID(made)
    assert value.version == 7
    assert value.int >> 80 == history.events[2].event_time.ToMilliseconds()


def test_a_reset_to_the_first_task_runs_the_code_from_the_new_runs_seed() -> None:
    base_seeds, *base_draws = _recorded_result("reseed_base")
    seeds, *draws = _recorded_result("reseed_reset_first")
    started = BY_NAME["reseed_reset_first"].events[0].workflow_execution_started_event_attributes
    failed = BY_NAME["reseed_reset_first"].events[3].workflow_task_failed_event_attributes
    assert seeds == [str(randomness_seed(failed.new_run_id))]  # random_seed() shows it
    assert seeds != base_seeds == [str(randomness_seed(started.original_execution_run_id))]
    assert all(ours != theirs for ours, theirs in zip(draws, base_draws, strict=True))


@pytest.mark.parametrize("name", ["reseed_reset_middle", "reseed_reset_last"])
def test_a_later_reset_tells_the_seed_callbacks_of_the_new_seed(
    wf: ModuleType, replayer: Replayer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Reset to a later task, the reset run's code replays the base run's draws (as the official
    worker's did: same result); the new run's seed then reaches the registered callbacks."""
    draws = [draw[:3] for draw in _recorded_result(name)[1:]]  # uuid7's time differs
    assert draws == [draw[:3] for draw in _recorded_result("reseed_base")[1:]]
    heard: list[int] = []
    register = workflow.register_random_seed_callback

    def spy(callback: Callable[[int], None]) -> None:
        register(lambda seed: (heard.append(seed), callback(seed)))

    monkeypatch.setattr(wf.workflow, "register_random_seed_callback", spy)
    history = BY_NAME[name]
    replayer.replay_workflow_sync(history)
    [failed] = [
        e.workflow_task_failed_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert heard == [randomness_seed(failed.new_run_id)]
