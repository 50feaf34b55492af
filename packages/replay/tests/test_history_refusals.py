"""The Replayer refuses histories that would check nothing or cannot be what they claim, and
every history that does not load is a ValueError naming the history and what is wrong."""

from __future__ import annotations

import json

import pytest

from tempyral import workflow
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.replay import CorruptHistoryError, Replayer, WorkflowHistory

from .conftest import HISTORIES
from .histories import Builder


@workflow.defn
class Waits:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


def replay(events: list[HistoryEvent]) -> None:
    Replayer(workflows=[Waits]).replay_workflow_sync(WorkflowHistory("wf-7", events))


def good_events() -> list[HistoryEvent]:
    b = Builder()
    b.started("Waits")
    b.completed()
    b.signal("ignored")
    b.task()
    return b.events


def test_an_empty_history_is_refused_rather_than_passing_silently() -> None:
    with pytest.raises(CorruptHistoryError, match=r"'wf-7' has no events.*check nothing"):
        replay([])


def test_a_history_must_begin_with_workflow_execution_started() -> None:
    with pytest.raises(CorruptHistoryError, match="does not begin with WorkflowExecution") as e:
        replay(good_events()[1:])
    assert e.value.event_id == 2


@pytest.mark.parametrize("same", [True, False])
def test_a_repeated_event_id_is_refused_naming_it(same: bool) -> None:
    events = good_events()
    twin = HistoryEvent()
    twin.CopyFrom(events[3])
    if not same:
        twin.event_time.FromSeconds(1)
    events.insert(4, twin)
    text = "the same event" if same else "two different events"
    with pytest.raises(CorruptHistoryError, match=f"event id 4 twice \\({text}\\)") as e:
        replay(events)
    assert e.value.event_id == 4


def test_a_gap_in_event_ids_is_refused() -> None:
    events = good_events()
    del events[2]
    with pytest.raises(CorruptHistoryError, match="event id 4 at position 3"):
        replay(events)


def test_an_unknown_event_type_number_is_named() -> None:
    events = good_events()
    events[-1].event_type = 987
    with pytest.raises(CorruptHistoryError, match="unknown type 987"):
        replay(events)


def test_a_worker_refuses_an_event_resent_with_different_content() -> None:
    events = good_events()
    instance = Replayer(workflows=[Waits]).new_instance("wf-7")
    instance.activate(events)
    changed = HistoryEvent()
    changed.CopyFrom(events[1])
    changed.event_time.FromSeconds(5)
    instance.activate(events[:1])  # the same events again are skipped
    with pytest.raises(CorruptHistoryError, match="event 2 arrived again with different content"):
        instance.activate([changed])


def test_a_good_history_still_replays() -> None:
    replay(good_events())


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"events": 3}', "'events' list"),
        ('{"events": [1]}', "events[0] is int"),
        ('{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_FROM_THE_FUTURE"}]}', "FUTURE"),
        ('{"events": [{"eventId": "1", "eventType": "WorkflowFromTheFuture"}]}', "FromThe"),
        ('{"events": [{"eventId": "1"}]}', "no eventType"),
        ('{"events": [{"eventId": "1", "eventType": 4242}]}', "4242"),
        ('{"events": [{"eventId": "one", "eventType": "EVENT_TYPE_TIMER_FIRED"}]}', "eventId"),
    ],
)
def test_every_parse_error_is_a_value_error_naming_the_history_and_the_field(
    text: str | bytes, names: str
) -> None:
    with pytest.raises(ValueError, match="history of workflow 'wf-7'") as info:
        WorkflowHistory.from_json("wf-7", text)
    assert names in str(info.value)


def test_an_event_type_workers_may_ignore_loads() -> None:
    data = json.loads((HISTORIES / "timers.json").read_text())
    new_id = str(len(data["events"]) + 1)
    data["events"].append(
        {"eventId": new_id, "eventType": "EVENT_TYPE_NEW", "workerMayIgnore": True}
    )
    assert len(WorkflowHistory.from_json("wf-7", data).events) == len(data["events"])
