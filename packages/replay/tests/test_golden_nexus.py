"""Golden histories of Nexus operations called from workflows, recorded under the official SDK
(caller and handler: ``golden/nexus/record.py``), replay in tempyral: in one batch, at every task
boundary, task by task, and, run as new, the last task completes with what the official caller
returned (the same result, the same failure messages). Changed code fails with the line that
changed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.replay import (
    NondeterminismError,
    Replayer,
    StartNexusOperationInput,
    WorkflowHistory,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
)

from .conftest import load_module, workflow_classes

HERE = Path(__file__).parent / "golden" / "nexus"
WORKFLOWS_FILE = HERE / "workflows.py"


# The events that record this set's commands.
_COMMAND_EVENTS = {
    EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
    EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}


def _histories() -> list[tuple[str, WorkflowHistory]]:
    index = json.loads((HERE / "index.json").read_text())
    return [
        (path.stem, WorkflowHistory.from_json(index[path.stem], path.read_text()))
        for path in sorted((HERE / "histories").glob("*.json"))
    ]


HISTORIES = _histories()
IDS = [name for name, _ in HISTORIES]
BY_NAME = dict(HISTORIES)
RESULTS: dict[str, str] = json.loads((HERE / "results.json").read_text())


@pytest.fixture(scope="module")
def wf() -> Iterator[ModuleType]:
    yield load_module(WORKFLOWS_FILE, "golden_nexus_workflows")
    sys.modules.pop("golden_nexus_workflows", None)


@pytest.fixture
def replayer(wf: ModuleType) -> Replayer:
    return Replayer(workflows=workflow_classes(wf))


def _changed(tmp_path: Path, old: str, new: str) -> Replayer:
    """The golden workflows with one edit, loaded from a file of their own (for file:line)."""
    source = WORKFLOWS_FILE.read_text()
    assert old in source
    path = tmp_path / "changed_nexus_workflows.py"
    path.write_text(source.replace(old, new))
    return Replayer(workflows=workflow_classes(load_module(path, "changed_nexus_workflows")))


def _event_types(history: WorkflowHistory) -> set[str]:
    return {EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events}


def test_every_way_an_operation_ends_has_a_golden_history() -> None:
    assert set(IDS) == {
        "sync_result",
        "async_result",
        "handler_failure",
        "handler_error",
        "async_failure",
        "cancelled_abandon",
        "cancelled_try_cancel",
        "cancelled_wait_requested",
        "cancelled_wait_completed",
        "cancelled_before_sent",
        "timed_out",
        "signal_with_start",
        "mailbox",
    }
    assert "NEXUS_OPERATION_STARTED" not in _event_types(BY_NAME["sync_result"])
    assert "NEXUS_OPERATION_STARTED" in _event_types(BY_NAME["async_result"])
    assert "NEXUS_OPERATION_FAILED" in _event_types(BY_NAME["handler_failure"])
    refused = next(
        e.nexus_operation_failed_event_attributes.failure
        for e in BY_NAME["handler_error"].events
        if e.event_type == EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED
    )
    assert refused.cause.HasField("nexus_handler_failure_info")
    assert "NEXUS_OPERATION_CANCEL_REQUESTED" not in _event_types(BY_NAME["cancelled_abandon"])
    assert "NEXUS_OPERATION_CANCEL_REQUESTED" in _event_types(BY_NAME["cancelled_try_cancel"])
    assert "NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED" in _event_types(
        BY_NAME["cancelled_wait_requested"]
    )
    assert "NEXUS_OPERATION_CANCELED" in _event_types(BY_NAME["cancelled_wait_completed"])
    assert "NEXUS_OPERATION_TIMED_OUT" in _event_types(BY_NAME["timed_out"])
    assert not any("NEXUS" in kind for kind in _event_types(BY_NAME["cancelled_before_sent"]))
    scheduled = next(
        e.nexus_operation_scheduled_event_attributes
        for e in BY_NAME["signal_with_start"].events
        if e.event_type == EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
    )
    assert scheduled.endpoint == "__temporal_system"
    assert scheduled.operation == "SignalWithStartWorkflowExecution"


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
            index + 1 == len(events)
            or events[index + 1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            completion = instance.activate(events[start : index + 1])
            assert completion.failure is None, f"{name} at {index + 1}: {completion.failure!r}"
            start = index + 1
    assert instance.activate(events[start:], history_complete=True).failure is None
    assert instance.finished


@pytest.mark.parametrize(("name", "history"), HISTORIES, ids=IDS)
def test_every_task_run_as_new_issues_what_the_official_caller_issued(
    wf: ModuleType, name: str, history: WorkflowHistory
) -> None:
    """Each task's commands, computed as new from the events before them, are the ones the
    official worker sent: the schedule (endpoint, service, operation, input, timeouts, headers,
    summary), the cancel request, and the result the run completed with."""
    # The namespace the runs were recorded in (signal-with-start's request names it).
    replayer = Replayer(workflows=workflow_classes(wf), namespace="default")
    events = history.events
    compared = []
    for index, event in enumerate(events):
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            continue
        if index + 1 >= len(events):
            break
        if events[index + 1].event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            continue
        instance = replayer.new_instance(history.workflow_id)
        completion = instance.activate(events[: index + 1])
        assert completion.failure is None, name
        recorded = []
        for later in events[index + 2 :]:
            if later.event_type not in _COMMAND_EVENTS:
                break  # the task's commands are recorded right after its completion
            recorded.append(later)
        assert len(completion.commands) == len(recorded), name
        for command, recorded_event in zip(completion.commands, recorded, strict=True):
            compared.append(CommandType.Name(command.command_type))
            if command.command_type == CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION:
                ours = command.schedule_nexus_operation_command_attributes
                theirs = recorded_event.nexus_operation_scheduled_event_attributes
                for field in (
                    "endpoint",
                    "service",
                    "operation",
                    "input",
                    "schedule_to_close_timeout",
                    "schedule_to_start_timeout",
                    "start_to_close_timeout",
                ):
                    assert getattr(ours, field) == getattr(theirs, field), (name, field)
                assert dict(ours.nexus_header) == dict(theirs.nexus_header), name
                assert command.user_metadata == recorded_event.user_metadata, name
            elif command.command_type == CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION:
                ours_cancel = command.request_cancel_nexus_operation_command_attributes
                theirs_cancel = recorded_event.nexus_operation_cancel_requested_event_attributes
                assert ours_cancel.scheduled_event_id == theirs_cancel.scheduled_event_id
            elif command.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
                result = command.complete_workflow_execution_command_attributes.result
                assert result == recorded_event.workflow_execution_completed_event_attributes.result
                assert json.loads(result.payloads[0].data) == RESULTS[name]
    if name not in ("mailbox", "cancelled_before_sent"):  # no operation reached the server
        assert "COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION" in compared
    assert "COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION" in compared


def test_an_operation_replaced_by_a_timer_names_the_line(tmp_path: Path) -> None:
    call = "        by_definition = await client.execute_operation(\n"
    replayer = _changed(tmp_path, call, "        await workflow.sleep(1)\n" + call)
    with pytest.raises(NondeterminismError) as info:
        replayer.replay_workflow_sync(BY_NAME["sync_result"])
    text = str(info.value)
    assert "NexusOperationScheduled" in text or "NEXUS_OPERATION_SCHEDULED" in text
    assert "START_TIMER" in text
    assert "changed_nexus_workflows.py:" in text


def test_a_dropped_cancel_request_is_reported(tmp_path: Path) -> None:
    replayer = _changed(tmp_path, "        handle.cancel()\n", "")
    result = replayer.replay_workflow_sync(
        BY_NAME["cancelled_try_cancel"], raise_on_replay_failure=False
    )
    assert isinstance(result.replay_failure, NondeterminismError)
    assert "CANCEL_REQUESTED" in str(result.replay_failure)


class _Recorder:
    """An interceptor (the official protocol: ``workflow_interceptor_class``) that writes down
    what the outbound chain sees of each Nexus call."""

    seen: ClassVar[list[tuple[str, str, str, Any]]] = []

    def workflow_interceptor_class(self, _input: Any) -> type[WorkflowInboundInterceptor]:
        seen = self.seen

        class Outbound(WorkflowOutboundInterceptor):
            async def start_nexus_operation(
                self, input: StartNexusOperationInput[Any, Any]
            ) -> workflow.NexusOperationHandle[Any]:
                seen.append(("operation", input.service, input.operation_name, input.output_type))
                return await super().start_nexus_operation(input)

            async def start_signal_with_start_workflow(self, request: Any) -> Any:
                seen.append(("signal-with-start", request.id, str(request.signal), None))
                return await super().start_signal_with_start_workflow(request)

            async def start_system_nexus_operation(
                self, input: StartNexusOperationInput[Any, Any]
            ) -> workflow.NexusOperationHandle[Any]:
                seen.append(("system", input.service, input.operation_name, input.output_type))
                return await super().start_system_nexus_operation(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


def test_outbound_interceptors_see_each_nexus_call(wf: ModuleType) -> None:
    _Recorder.seen.clear()
    replayer = Replayer(workflows=workflow_classes(wf), interceptors=[_Recorder()])
    replayer.replay_workflow_sync(BY_NAME["sync_result"])
    replayer.replay_workflow_sync(BY_NAME["signal_with_start"])
    [by_definition, by_name, signal_with_start, system] = _Recorder.seen
    # A definition names its operation and brings its output type; a name brings neither.
    assert by_definition == ("operation", "GoldenService", "echo", str)
    assert by_name == ("operation", "GoldenService", "echo", None)
    assert signal_with_start[:2] == ("signal-with-start", "golden-mailbox")
    assert system[:3] == (
        "system",
        "temporal.api.workflowservice.v1.WorkflowService",
        "SignalWithStartWorkflowExecution",
    )


def test_a_service_or_operation_that_is_not_nexus_says_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"@nexusrpc\.service"):
        workflow.create_nexus_client(service=dict, endpoint="my-endpoint")
    with pytest.raises(ValueError, match="not a Nexus operation"):
        StartNexusOperationInput(
            endpoint="my-endpoint",
            service="MyService",
            operation=len,
            input=None,
            schedule_to_close_timeout=None,
            schedule_to_start_timeout=None,
            start_to_close_timeout=None,
            cancellation_type=workflow.NexusOperationCancellationType.WAIT_COMPLETED,
            headers=None,
            summary=None,
        )


def test_handle_result_is_awaiting_the_handle(tmp_path: Path) -> None:
    """``handle.result()`` (an addition: the official documentation's example calls it) gives
    what ``await handle`` gave the official caller."""
    replayer = _changed(tmp_path, "result = await handle\n", "result = await handle.result()\n")
    history = BY_NAME["async_result"]
    events = history.events
    started = EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    last_started = max(i for i, e in enumerate(events) if e.event_type == started)
    completion = replayer.new_instance(history.workflow_id).activate(events[: last_started + 1])
    assert completion.failure is None
    [complete] = completion.commands
    result = complete.complete_workflow_execution_command_attributes.result.payloads[0]
    assert json.loads(result.data) == RESULTS["async_result"]
