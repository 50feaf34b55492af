"""The event-group golden history, recorded under the official SDK
(``golden/event_groups/record.py``), replays in tempyral in one batch and task by task, and each
of its tasks run as new puts on its commands the event-group markers the official worker put on
them (nested scopes, a call's own groups, a cancellation joining its timer's group, signal and
update handlers in their own groups). Markers are not compared on replay: code that drops its
groups still replays."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.replay import Replayer, WorkflowHistory, WorkflowInstance, WorkflowTaskCompletion
from tempyral.replay._local_activities import is_local_activity_marker
from tempyral.replay._local_markers import read_marker

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "event_groups"
INDEX = json.loads((HERE / "index.json").read_text())
HISTORY = WorkflowHistory.from_json(
    INDEX["grouped"], (HERE / "histories" / "grouped.json").read_text()
)
STARTED = EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
COMPLETED = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED


@pytest.fixture(scope="module")
def replayer() -> Replayer:
    wf: ModuleType = load_module(HERE / "workflows.py", "golden_event_group_workflows")
    return Replayer(workflows=workflow_classes(wf))


def _task_ends() -> list[int]:
    """Indexes of the WorkflowTaskStarted events of completed tasks."""
    events = HISTORY.events
    return [
        i
        for i, e in enumerate(events)
        if e.event_type == STARTED and i + 1 < len(events) and events[i + 1].event_type == COMPLETED
    ]


def test_the_official_history_has_markers_of_every_kind() -> None:
    kinds = {
        marker.ListFields()[0][0].name
        for event in HISTORY.events
        for marker in event.event_group_markers
    }
    assert kinds == {"label", "inbound_event", "inbound_update"}


async def test_replays_in_one_batch(replayer: Replayer) -> None:
    results = await replayer.replay_workflows([HISTORY])
    assert dict(results.replay_failures) == {}


def test_replays_task_by_task_like_a_sticky_worker(replayer: Replayer) -> None:
    # Each task arrives as a sticky worker gets it: its events up to its start, its updates as
    # protocol messages; the worker's commands must match what history then records.
    instance = replayer.new_instance(HISTORY.workflow_id)
    start = 0
    for end in _task_ends():
        completion = instance.activate(
            HISTORY.events[start : end + 1], messages=_update_requests(_recorded_after(end))
        )
        completion = _settle_local_activities(instance, completion, _recorded_after(end))
        assert completion.failure is None, completion.failure
        start = end + 1
    assert instance.activate(HISTORY.events[start:], history_complete=True).failure is None
    assert instance.finished


def _recorded_after(end: int) -> list[HistoryEvent]:
    """The events a task's completion recorded (its task started at index ``end``)."""
    following = []
    for event in HISTORY.events[end + 2 :]:
        if event.event_type in (STARTED, COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED):
            break
        following.append(event)
    return following


def _settle_local_activities(
    instance: WorkflowInstance, completion: WorkflowTaskCompletion, recorded: list[HistoryEvent]
) -> WorkflowTaskCompletion:
    """Resolve the local activities a new task asks for with the outcomes history recorded, as
    the worker would run them; the task's completion then has their markers too."""
    requested = {r.seq for r in completion.local_activities.start}
    for event in recorded:
        if is_local_activity_marker(event):
            _, resolution = read_marker(event)
            if resolution.seq in requested:
                completion = instance.resolve_local_activities([resolution])
                requested |= {r.seq for r in completion.local_activities.start}
    return completion


def _update_requests(events: list[HistoryEvent]) -> list[Message]:
    return [
        _request_message(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


@pytest.mark.parametrize("end", _task_ends())
def test_each_task_run_as_new_puts_the_official_markers_on_its_commands(
    replayer: Replayer, end: int
) -> None:
    following = _recorded_after(end)
    # A new task gets its updates as protocol messages, as the server sends them.
    instance = replayer.new_instance(HISTORY.workflow_id)
    completion = instance.activate(HISTORY.events[: end + 1], messages=_update_requests(following))
    completion = _settle_local_activities(instance, completion, following)
    assert completion.failure is None, completion.failure
    ours = [list(c.event_group_markers) for c in completion.commands if c.event_group_markers]
    theirs = [list(e.event_group_markers) for e in following if e.event_group_markers]
    assert ours == theirs


def _request_message(accepted: HistoryEvent) -> Message:
    attrs = accepted.workflow_execution_update_accepted_event_attributes
    message = Message(
        id=attrs.accepted_request_message_id,
        protocol_instance_id=attrs.protocol_instance_id,
        event_id=attrs.accepted_request_sequencing_event_id,
    )
    message.body.Pack(attrs.accepted_request)
    return message


def test_groups_are_not_compared_on_replay(tmp_path: Path) -> None:
    source = (HERE / "workflows.py").read_text()
    changed = source.replace(
        "await workflow.sleep(timedelta(milliseconds=10), event_groups=[billing])",
        "await workflow.sleep(timedelta(milliseconds=10))",
    ).replace("with shipping.scope():", "if True:")
    assert changed != source
    path = tmp_path / "ungrouped_workflows.py"
    path.write_text(changed)
    replayer = Replayer(workflows=workflow_classes(load_module(path, "ungrouped_workflows")))
    replayer.replay_workflow_sync(HISTORY)
