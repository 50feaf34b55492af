"""Update histories recorded under the official SDK (``golden/updates``) replay in tempyral: in
one batch, task by task as a sticky worker sees them, and with the last task run as new issuing
the commands history recorded; a deliberate change to an update handler is caught with its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import NondeterminismError, Replayer, WorkflowHistory
from tempyral.replay._history import is_command_event
from tempyral.replay._machines._base import EVENT_FOR_COMMAND

from .conftest import load_module, workflow_classes

FOLDER = Path(__file__).parent / "golden" / "updates"
E = EventType
TASK_SCHEDULED = E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED


def update_histories() -> list[tuple[str, WorkflowHistory]]:
    folder = FOLDER / "histories"
    index = json.loads((folder / "index.json").read_text())
    return [
        (name, WorkflowHistory.from_json(workflow_id, (folder / f"{name}.json").read_text()))
        for name, workflow_id in sorted(index.items())
    ]


HISTORIES = update_histories()
IDS = [name for name, _ in HISTORIES]


@pytest.fixture(scope="module")
def update_workflows() -> ModuleType:
    return load_module(FOLDER / "workflows.py", "golden_update_workflows")


@pytest.fixture(scope="module")
def update_replayer(update_workflows: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(update_workflows))


def test_every_acceptance_scenario_is_recorded() -> None:
    assert set(IDS) >= {
        "update_accepted",
        "update_rejected",
        "update_failed",
        "update_with_start",
        "update_async_accepted",
        "update_deduplicated",
        "update_dynamic",
    }
    accepted = dict(HISTORIES)["update_accepted"]
    kinds = {event.event_type for event in accepted.events}
    assert E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in kinds
    assert E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in kinds


async def test_all_in_one_batch(update_replayer: Replayer) -> None:
    results = await update_replayer.replay_workflows([h for _, h in HISTORIES])
    assert dict(results.replay_failures) == {}
    assert len(results.results) == len(HISTORIES)


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_fed_task_by_task_like_a_sticky_worker(
    update_replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    instance = update_replayer.new_instance(history.workflow_id)
    events = history.events
    start = 0
    for index, event in enumerate(events):
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED and (
            index + 1 == len(events)
            or events[index + 1].event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            # The server sent this task the requests its completion then accepted.
            following = events[index + 1 :]
            next_task = next(
                (n for n, e in enumerate(following) if e.event_type == TASK_SCHEDULED),
                len(following),
            )
            messages = [
                _request_message(e)
                for e in following[:next_task]
                if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            ]
            completion = instance.activate(events[start : index + 1], messages=messages)
            assert completion.failure is None, f"{name} at {index + 1}: {completion.failure!r}"
            accepts = [m.id for m in completion.messages if m.id.endswith("/accept")]
            assert len(accepts) == len(messages), (name, index, accepts)
            start = index + 1
    completion = instance.activate(events[start:], history_complete=True)
    assert completion.failure is None
    assert instance.finished


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_each_task_run_as_new_answers_as_history_recorded(
    update_replayer: Replayer, name: str, history: WorkflowHistory
) -> None:
    """Cut the history before each task that accepted or completed updates, run that task as new:
    its commands are the recorded ones (protocol messages where history has update events) and
    its messages accept and complete the same updates, with the recorded results."""
    events = history.events
    for index, event in enumerate(events):
        if event.event_type != E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            continue
        recorded = []
        for later in events[index + 1 :]:
            if later.event_type in (E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,):
                break
            recorded.append(later)
        updates = [
            e for e in recorded if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        if not updates:
            continue
        instance = update_replayer.new_instance(history.workflow_id)
        # The new task sees the requests as messages, as the server would send them.
        messages = [_request_message(e) for e in updates]
        completion = instance.activate(events[:index], messages=messages)
        assert completion.failure is None, name
        assert not completion.replaying
        ids = [m.id for m in completion.messages]
        for accepted in updates:
            attrs = accepted.workflow_execution_update_accepted_event_attributes
            message_id = attrs.accepted_request_message_id
            assert f"{message_id}/accept" in ids, (name, ids)
        completed = [
            e.workflow_execution_update_completed_event_attributes
            for e in recorded
            if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
        ]
        outcomes = {}
        for message in completion.messages:
            if message.id.endswith("/complete"):
                from tempyral.api.update.v1 import message_pb2 as update_pb2

                response = update_pb2.Response()
                message.body.Unpack(response)
                outcomes[response.meta.update_id] = response.outcome
        for attrs in completed:
            produced = outcomes[attrs.meta.update_id]
            if attrs.outcome.HasField("success"):
                assert produced.success == attrs.outcome.success, name
            else:
                assert produced.failure.message == attrs.outcome.failure.message, name
        recorded_types = [e.event_type for e in recorded if is_command_event(e)]
        produced_types = [EVENT_FOR_TEST.get(c.command_type, -1) for c in completion.commands]
        produced_types = [
            _protocol_event(c) if c.command_type == PROTOCOL_MESSAGE else t
            for c, t in zip(completion.commands, produced_types, strict=True)
        ]
        assert produced_types == recorded_types, name


EVENT_FOR_TEST = dict(EVENT_FOR_COMMAND)
PROTOCOL_MESSAGE = CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE


def _protocol_event(command: object) -> int:
    message_id = command.protocol_message_command_attributes.message_id  # type: ignore[attr-defined]
    if message_id.endswith("/accept"):
        return E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED


def _request_message(accepted: object) -> object:
    from tempyral.api.protocol.v1.message_pb2 import Message

    attrs = accepted.workflow_execution_update_accepted_event_attributes  # type: ignore[attr-defined]
    message = Message(
        id=attrs.accepted_request_message_id,
        protocol_instance_id=attrs.protocol_instance_id,
        event_id=attrs.accepted_request_sequencing_event_id,
    )
    message.body.Pack(attrs.accepted_request)
    return message


CHANGED = """
    from tempyral import workflow

    @workflow.defn(name="Counter")
    class Counter:
        def __init__(self) -> None:
            self.total = 0
            self.done = False

        @workflow.run
        async def run(self) -> dict:
            await workflow.wait_condition(lambda: self.done)
            return {{}}

        @workflow.update
        async def {handler}(self, amount: int) -> int:
            await workflow.sleep(5)  # the deliberate change: a timer the original did not start
            self.total += amount
            return self.total

        @workflow.update
        def finish(self) -> str:
            self.done = True
            return "finishing"
"""


def test_a_changed_update_handler_is_caught_with_its_line(tmp_path: Path) -> None:
    source = textwrap.dedent(CHANGED.format(handler="add"))
    path = tmp_path / "changed_counter.py"
    path.write_text(source)
    module = load_module(path, "changed_counter")
    replayer = Replayer(workflows=workflow_classes(module))
    history = dict(HISTORIES)["update_deduplicated"]
    with pytest.raises(NondeterminismError) as caught:
        replayer.replay_workflow_sync(history)
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "deliberate change" in text)
    assert f"changed_counter.py:{line}" in str(caught.value)


# Both validators of the golden workflows, made to refuse everything and to say they were called.
REFUSING_VALIDATORS = {
    """        if amount < 0:
            raise ValueError(f"amount must not be negative, got {amount}")
""": """        VALIDATED.append(f"add {amount}")
        raise ValueError("this validator refuses every update")
""",
    """        if not value:
            raise ValueError("empty value")
""": """        VALIDATED.append(f"late {value}")
        raise ValueError("this validator refuses every update")
""",
}


@pytest.fixture(scope="module")
def refusing_workflows(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The golden update workflows with validators that refuse every update they see."""
    source = (FOLDER / "workflows.py").read_text()
    for original, refusing in REFUSING_VALIDATORS.items():
        assert source.count(original) == 1, "the golden validators changed: update this test"
        source = source.replace(original, refusing)
    source += "\n\nVALIDATED: list[str] = []\n"
    path = tmp_path_factory.mktemp("refusing") / "refusing_validators.py"
    path.write_text(source)
    return load_module(path, "refusing_validators")


# Every accepted update of these histories went through a validator when it was recorded.
VALIDATED_WHEN_RECORDED = ["update_accepted", "update_deduplicated", "update_dynamic"]


async def test_validators_never_run_on_replay(refusing_workflows: ModuleType) -> None:
    refusing_workflows.VALIDATED.clear()
    replayer = Replayer(workflows=workflow_classes(refusing_workflows))
    histories = dict(HISTORIES)
    results = await replayer.replay_workflows([histories[n] for n in VALIDATED_WHEN_RECORDED])
    assert dict(results.replay_failures) == {}
    assert len(results.results) == len(VALIDATED_WHEN_RECORDED)
    assert refusing_workflows.VALIDATED == []


@pytest.mark.parametrize("name", VALIDATED_WHEN_RECORDED)
def test_validators_never_run_on_replay_task_by_task(
    refusing_workflows: ModuleType, name: str
) -> None:
    """Fed as a worker without a cache sees it (each task from the start, the accepted requests
    only as events), the accepted updates run again and their validators do not."""
    refusing_workflows.VALIDATED.clear()
    replayer = Replayer(workflows=workflow_classes(refusing_workflows))
    history = dict(HISTORIES)[name]
    events = history.events
    ends = [
        index + 1
        for index, event in enumerate(events)
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED
        and index + 1 < len(events)
        and events[index + 1].event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    for end in [*ends, len(events)]:
        instance = replayer.new_instance(history.workflow_id)
        completion = instance.activate(events[:end], history_complete=end == len(events))
        assert completion.failure is None, f"{name} up to event {end}: {completion.failure!r}"
    assert instance.finished
    assert refusing_workflows.VALIDATED == []


def test_a_refusing_validator_runs_when_an_update_is_first_delivered(
    refusing_workflows: ModuleType,
) -> None:
    """The companion that shows the tests above can fail: delivered as new, the same update
    meets the refusing validator, which rejects it."""
    refusing_workflows.VALIDATED.clear()
    replayer = Replayer(workflows=workflow_classes(refusing_workflows))
    history = dict(HISTORIES)["update_accepted"]
    events = history.events
    accepted = next(
        n
        for n, e in enumerate(events)
        if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    task_completed = max(
        n for n in range(accepted) if events[n].event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    instance = replayer.new_instance(history.workflow_id)
    completion = instance.activate(
        events[:task_completed], messages=[_request_message(events[accepted])]
    )
    assert completion.failure is None
    assert refusing_workflows.VALIDATED == ["add 1"]
    [reply] = completion.messages
    assert reply.id.endswith("/reject")


def test_a_command_less_task_keeps_its_own_activation_before_an_update(
    update_replayer: Replayer,
) -> None:
    """A child's result came in a task that answered with no command; the next task brought an
    update. As under the official SDK (whose result history recorded), the child's step comes
    before the update's when the run is rebuilt from history: a task that brought an event is
    not a heartbeat to merge with the next one."""
    history = dict(HISTORIES)["update_after_quiet_task"]
    events = history.events
    completed = events[-1].workflow_execution_completed_event_attributes
    recorded = json.loads(completed.result.payloads[0].data)
    assert recorded == ["child done", "updated"]
    last_task_started = max(
        n for n, e in enumerate(events) if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED
    )
    instance = update_replayer.new_instance(history.workflow_id)
    completion = instance.activate(events[: last_task_started + 1])
    assert completion.failure is None
    answer = instance.query("seen")
    assert json.loads(answer.data) == recorded
