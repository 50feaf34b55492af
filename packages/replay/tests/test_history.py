"""Loading histories: the JSON of the CLI and of the official SDK, older spellings, and clear
errors for what cannot be replayed."""

from __future__ import annotations

import json

import pytest

import tempyral.client
from tempyral import workflow
from tempyral.api.history.v1.message_pb2 import History
from tempyral.replay import CorruptHistoryError, Replayer, WorkflowHistory

from .conftest import HISTORIES
from .histories import Builder, first_task


def test_official_to_json_and_cli_output_parse_to_the_same_events() -> None:
    official = (HISTORIES / "kitchen_sink.json").read_text()
    cli = (HISTORIES / "kitchen_sink.cli.json").read_text()
    a = WorkflowHistory.from_json("wf", official)
    b = WorkflowHistory.from_json("wf", json.loads(cli))
    assert len(a.events) > 10
    assert [e.event_type for e in a.events] == [e.event_type for e in b.events]


def test_to_json_round_trips() -> None:
    history = WorkflowHistory.from_json("wf", (HISTORIES / "timers.json").read_text())
    again = WorkflowHistory.from_json("wf", history.to_json())
    assert again.events == history.events
    assert WorkflowHistory("wf", list(History(events=history.events).events)) == history


def test_older_pascal_case_enum_spelling_is_accepted() -> None:
    data = json.loads((HISTORIES / "timers.json").read_text())
    for event in data["events"]:
        name = event["eventType"].removeprefix("EVENT_TYPE_")
        event["eventType"] = "".join(part.title() for part in name.split("_"))
    assert data["events"][0]["eventType"] == "WorkflowExecutionStarted"
    history = WorkflowHistory.from_json("wf", data)
    assert history.events[0].HasField("workflow_execution_started_event_attributes")


@pytest.mark.parametrize("text", ["not json", '{"no": "events"}', '{"events": [{"eventId": "x"}]}'])
def test_malformed_json_is_a_value_error_as_in_the_official_sdk(text: str) -> None:
    # Loading is tempyral.client's (and temporalio.client's) WorkflowHistory.from_json; replay
    # errors are for histories that load but cannot be replayed.
    with pytest.raises(ValueError, match="History") as info:
        WorkflowHistory.from_json("wf", text)
    assert not isinstance(info.value, CorruptHistoryError)


def test_replay_uses_the_clients_workflow_history() -> None:
    assert WorkflowHistory is tempyral.client.WorkflowHistory


@workflow.defn
class Waits:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(10)


def test_a_gap_in_event_ids_is_fatal() -> None:
    events = first_task("Waits")
    events[2].event_id = 7
    with pytest.raises(CorruptHistoryError, match="gap"):
        Replayer(workflows=[Waits]).replay_workflow_sync(WorkflowHistory("wf", events))


def test_unsupported_events_are_named() -> None:
    b = Builder()
    b.started("Waits")
    b.completed()
    b.add("marker_recorded", marker_name="another_sdks_marker")
    with pytest.raises(CorruptHistoryError, match="markers named 'another_sdks_marker'") as info:
        Replayer(workflows=[Waits]).replay_workflow_sync(WorkflowHistory("wf", b.events))
    assert info.value.code == "TMPYRL1001"
    assert info.value.event_id == 5


def test_an_unknown_workflow_type_says_which_are_known() -> None:
    with pytest.raises(Exception, match=r"'Nope' is not registered.*Waits"):
        Replayer(workflows=[Waits]).replay_workflow_sync(WorkflowHistory("wf", first_task("Nope")))


@pytest.mark.parametrize("kind", ["workflow_task_timed_out", "workflow_task_failed"])
def test_a_failed_or_timed_out_task_is_not_a_task_boundary(kind: str) -> None:
    b = Builder()
    b.started("Waits")
    b.add(kind)
    b.task()
    instance = Replayer(workflows=[Waits]).new_instance("wf")
    completion = instance.activate(b.events)
    assert completion.failure is None
    assert [c.start_timer_command_attributes.timer_id for c in completion.commands] == ["1"]
    assert instance.machines.history_length == 6


def test_events_may_come_again_or_in_pieces() -> None:
    b = Builder()
    b.started("Waits")
    instance = Replayer(workflows=[Waits]).new_instance("wf")
    assert instance.activate(b.events[:2]).commands == []  # no complete task yet
    assert len(instance.activate(b.events).commands) == 1  # the first two again, then the rest
