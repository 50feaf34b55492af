"""The workflow task handler against a fake server (``MockTransport``): no server, no network.

Each test hands the handler a polled task, lets it run the engine, and checks what the handler
sent back: the completion and its commands, task failures (reported on the first attempt only),
the sticky cache (a continuing task fetches no history; an uncached one fetches it page by page),
eager activities, legacy queries, eviction after a failed respond, nondeterminism failing the
workflow when the failure policy says so, and update requests rejected through the completion.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from google.protobuf.message import Message

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import (
    COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    COMMAND_TYPE_START_TIMER,
    CommandType,
)
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.failed_cause_pb2 import (
    WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
    WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
)
from tempyral.api.enums.v1.query_pb2 import QUERY_RESULT_TYPE_ANSWERED
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.api.protocol.v1.message_pb2 import Message as ProtocolMessage
from tempyral.api.query.v1.message_pb2 import WorkflowQuery
from tempyral.api.update.v1 import message_pb2 as update_pb2
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.client import Client
from tempyral.converter import DataConverter
from tempyral.replay import NondeterminismError, Replayer
from tempyral.service import ConnectConfig, MockTransport, RPCError, RPCStatusCode, ServiceClient
from tempyral.worker._slots import SlotPermit, SlotSupplier
from tempyral.worker._versioning import VersioningStrategy
from tempyral.worker._workflow_activation import ActivationRunner
from tempyral.worker._workflow_cache import WorkflowCache
from tempyral.worker._workflow_task import TaskSettings, WorkflowTaskHandler
from tempyral.worker._workflow_threads import WorkflowThreads

E = EventType
TASK_QUEUE = "tq"
RUN_ID = "run-1"
PAYLOADS = DataConverter.default.payload_converter


# -- workflows ----------------------------------------------------------------------------------


SPIN_ON_EVICTION = {"seconds": 0.0}


@workflow.defn(sandboxed=False)  # it reads the clock on purpose
class SpinsWhenEvicted:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.sleep(60)
        finally:
            # Stuck while evicted: only the deadlock detector ends this before the deadline.
            deadline = time.monotonic() + SPIN_ON_EVICTION["seconds"]
            while time.monotonic() < deadline:
                pass


@workflow.defn
class Sleepy:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(60)
        return "rested"

    @workflow.query
    def status(self) -> str:
        return "sleeping"


@workflow.defn
class Broken:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("boom")


@workflow.defn
class Greets:
    @workflow.run
    async def run(self) -> str:
        return str(
            await workflow.execute_activity(
                "greet", "you", start_to_close_timeout=timedelta(seconds=10)
            )
        )


# -- a fake server and a handler wired to it ----------------------------------------------------


@dataclass
class FakeServer:
    """Answers the worker's calls; ``answers[rpc]`` is a response, an error, or a function."""

    answers: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, Message]] = field(default_factory=list)

    def handle(self, rpc: str, request: Message) -> Message:
        self.calls.append((rpc, request))
        answer = self.answers.get(rpc)
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, BaseException):
            raise answer
        if answer is None:
            raise RPCError(f"{rpc} is not expected here", RPCStatusCode.UNIMPLEMENTED, b"")
        return cast(Message, answer)

    def sent(self, rpc: str) -> list[Any]:
        return [request for name, request in self.calls if name == rpc]


@dataclass
class FakeActivityWorker:
    """The activity worker's eager hooks: slots from a real supplier, dispatches recorded."""

    slots: SlotSupplier = field(default_factory=lambda: SlotSupplier("activity", 1))
    dispatched: list[bytes] = field(default_factory=list)

    @property
    def registry(self) -> FakeActivityWorker:
        return self

    def find(self, name: str) -> object | None:
        return object() if name == "greet" else None

    def try_reserve_eager_slot(self) -> SlotPermit | None:
        return self.slots.try_reserve()

    def dispatch_eager(self, task: wf.PollActivityTaskQueueResponse, permit: SlotPermit) -> None:
        self.dispatched.append(task.task_token)


async def new_handler(
    server: FakeServer,
    *,
    workflows: list[type] | None = None,
    failure_types: tuple[type[BaseException], ...] = (),
    activity_worker: FakeActivityWorker | None = None,
    runner: ActivationRunner | None = None,
) -> WorkflowTaskHandler:
    service = await ServiceClient.connect(
        ConnectConfig(target_host="fake:7233", lazy=True), transport=MockTransport(server.handle)
    )
    client = Client(service, namespace="default")
    replayer = Replayer(
        workflows=workflows or [Sleepy, Broken, Greets],
        namespace="default",
        workflow_failure_exception_types=failure_types,
    )
    return WorkflowTaskHandler(
        client=lambda: client,
        replayer=replayer,
        cache=WorkflowCache(10),
        runner=runner or ActivationRunner(None, deadlock_timeout=None, inline=True),
        settings=TaskSettings(
            task_queue=TASK_QUEUE,
            identity="unit-test",
            worker_instance_key="key",
            sticky_queue="sticky-tq",
            sticky_schedule_to_start=timedelta(seconds=10),
            max_eager_activities=3,
            eager_activities=True,
            sdk_version="0.0.0",
        ),
        versioning=VersioningStrategy(build_id="build"),
        activity_worker=cast(Any, activity_worker),
    )


# -- histories ----------------------------------------------------------------------------------


def event(event_id: int, kind: int, **attributes: Callable[[Any], None]) -> HistoryEvent:
    new = HistoryEvent(event_id=event_id, event_type=kind)  # type: ignore[arg-type]
    new.event_time.FromSeconds(1_700_000_000 + event_id)
    for name, fill in attributes.items():
        target = getattr(new, f"{name}_event_attributes")
        target.SetInParent()
        fill(target)
    return new


def first_task(workflow_type: str) -> list[HistoryEvent]:
    def started(attrs: Any) -> None:
        attrs.workflow_type.name = workflow_type
        attrs.task_queue.name = TASK_QUEUE
        attrs.original_execution_run_id = attrs.first_execution_run_id = RUN_ID
        attrs.workflow_task_timeout.FromSeconds(10)

    def task_started(attrs: Any) -> None:
        attrs.scheduled_event_id = 2

    return [
        event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflow_execution_started=started),
        event(2, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        event(3, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflow_task_started=task_started),
    ]


def timer_fired_task() -> list[HistoryEvent]:
    """Events 4-8 of Sleepy: its timer started and fired, and the next task started."""

    def completed(attrs: Any) -> None:
        attrs.scheduled_event_id, attrs.started_event_id = 2, 3

    def timer_started(attrs: Any) -> None:
        attrs.timer_id = "1"
        attrs.start_to_fire_timeout.FromSeconds(60)
        attrs.workflow_task_completed_event_id = 4

    def timer_fired(attrs: Any) -> None:
        attrs.timer_id, attrs.started_event_id = "1", 5

    def task_started(attrs: Any) -> None:
        attrs.scheduled_event_id = 7

    return [
        event(4, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, workflow_task_completed=completed),
        event(5, E.EVENT_TYPE_TIMER_STARTED, timer_started=timer_started),
        event(6, E.EVENT_TYPE_TIMER_FIRED, timer_fired=timer_fired),
        event(7, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        event(8, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflow_task_started=task_started),
    ]


def mismatched_history() -> list[HistoryEvent]:
    """Sleepy's history as if its first task had scheduled an activity (the code starts a
    timer), then a new task."""
    events = timer_fired_task()

    def scheduled(attrs: Any) -> None:
        attrs.activity_id = "1"
        attrs.activity_type.name = "greet"
        attrs.task_queue.name = TASK_QUEUE
        attrs.workflow_task_completed_event_id = 4

    events[1] = event(5, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activity_task_scheduled=scheduled)
    events[2] = event(6, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    return first_task("Sleepy") + events


def poll(
    workflow_type: str, events: list[HistoryEvent], *, attempt: int = 1, token: bytes = b"task"
) -> wf.PollWorkflowTaskQueueResponse:
    task = wf.PollWorkflowTaskQueueResponse(
        task_token=token,
        attempt=attempt,
        started_event_id=events[-1].event_id if events else 0,
    )
    task.workflow_execution.workflow_id = "wf-1"
    task.workflow_execution.run_id = RUN_ID
    task.workflow_type.name = workflow_type
    task.history.events.extend(events)
    return task


def completed_server() -> FakeServer:
    return FakeServer({"RespondWorkflowTaskCompleted": wf.RespondWorkflowTaskCompletedResponse()})


# -- tests --------------------------------------------------------------------------------------


async def test_a_task_completes_with_the_commands_of_the_workflow_code() -> None:
    server = completed_server()
    handler = await new_handler(server)
    task = poll("Sleepy", first_task("Sleepy"))
    task.queries["q1"].CopyFrom(WorkflowQuery(query_type="status"))
    await handler.handle(task)
    [request] = server.sent("RespondWorkflowTaskCompleted")
    assert request.task_token == b"task"
    assert [c.command_type for c in request.commands] == [COMMAND_TYPE_START_TIMER]
    assert request.sticky_attributes.worker_task_queue.name == "sticky-tq"
    answer = request.query_results["q1"]
    assert answer.result_type == QUERY_RESULT_TYPE_ANSWERED
    assert PAYLOADS.from_payloads(answer.answer.payloads) == ["sleeping"]
    assert RUN_ID in handler.cache  # sticky: kept for the next task
    assert not server.sent("GetWorkflowExecutionHistory")


async def test_a_sticky_task_continues_the_cached_run_without_fetching_history() -> None:
    server = completed_server()
    handler = await new_handler(server)
    await handler.handle(poll("Sleepy", first_task("Sleepy")))
    await handler.handle(poll("Sleepy", timer_fired_task(), token=b"second"))
    last = server.sent("RespondWorkflowTaskCompleted")[-1]
    assert last.task_token == b"second"
    assert [c.command_type for c in last.commands] == [COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    result = last.commands[0].complete_workflow_execution_command_attributes.result
    assert PAYLOADS.from_payloads(result.payloads) == ["rested"]
    assert not server.sent("GetWorkflowExecutionHistory")
    assert RUN_ID not in handler.cache  # finished: nothing left to continue


async def test_a_task_of_an_uncached_run_fetches_the_history_page_by_page() -> None:
    server = completed_server()
    pages = {
        b"": wf.GetWorkflowExecutionHistoryResponse(next_page_token=b"page-2"),
        b"page-2": wf.GetWorkflowExecutionHistoryResponse(),
    }
    pages[b""].history.events.extend(first_task("Sleepy"))
    pages[b"page-2"].history.events.extend(timer_fired_task())
    server.answers["GetWorkflowExecutionHistory"] = lambda request: pages[request.next_page_token]
    handler = await new_handler(server)
    await handler.handle(poll("Sleepy", timer_fired_task()))
    tokens = [r.next_page_token for r in server.sent("GetWorkflowExecutionHistory")]
    assert tokens == [b"", b"page-2"]
    [request] = server.sent("RespondWorkflowTaskCompleted")
    assert [c.command_type for c in request.commands] == [COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]


async def test_a_failing_task_is_reported_on_its_first_attempt_only() -> None:
    server = FakeServer({"RespondWorkflowTaskFailed": wf.RespondWorkflowTaskFailedResponse()})
    handler = await new_handler(server)
    await handler.handle(poll("Broken", first_task("Broken")))
    [failed] = server.sent("RespondWorkflowTaskFailed")
    assert failed.cause == WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
    assert failed.failure.message == "boom"
    assert RUN_ID not in handler.cache

    await handler.handle(poll("Broken", first_task("Broken"), attempt=2))
    assert len(server.sent("RespondWorkflowTaskFailed")) == 1  # attempt 2: not reported
    assert not server.sent("RespondWorkflowTaskCompleted")


async def test_eager_activities_are_reserved_and_dispatched() -> None:
    server = FakeServer()
    response = wf.RespondWorkflowTaskCompletedResponse()
    response.activity_tasks.add(task_token=b"eager-1")
    server.answers["RespondWorkflowTaskCompleted"] = response
    activities = FakeActivityWorker()
    handler = await new_handler(server, activity_worker=activities)
    await handler.handle(poll("Greets", first_task("Greets")))
    [request] = server.sent("RespondWorkflowTaskCompleted")
    [command] = request.commands
    assert command.command_type == COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK
    assert command.schedule_activity_task_command_attributes.request_eager_execution
    assert activities.dispatched == [b"eager-1"]
    assert activities.slots.in_use == 1  # the dispatched activity holds the slot


async def test_an_eager_slot_comes_back_when_the_server_sends_no_activity() -> None:
    server = completed_server()
    activities = FakeActivityWorker()
    handler = await new_handler(server, activity_worker=activities)
    await handler.handle(poll("Greets", first_task("Greets")))
    [request] = server.sent("RespondWorkflowTaskCompleted")
    assert request.commands[0].schedule_activity_task_command_attributes.request_eager_execution
    assert activities.dispatched == []
    assert activities.slots.in_use == 0


def legacy_query() -> wf.PollWorkflowTaskQueueResponse:
    task = poll("Sleepy", [], token=b"query")
    task.query.CopyFrom(WorkflowQuery(query_type="status"))
    return task


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "replayed"])
async def test_legacy_queries_are_answered(cached: bool) -> None:
    server = completed_server()
    server.answers["RespondQueryTaskCompleted"] = wf.RespondQueryTaskCompletedResponse()
    history = wf.GetWorkflowExecutionHistoryResponse()
    history.history.events.extend(first_task("Sleepy"))
    server.answers["GetWorkflowExecutionHistory"] = history
    handler = await new_handler(server)
    if cached:
        await handler.handle(poll("Sleepy", first_task("Sleepy")))
    await handler.handle(legacy_query())
    [answer] = server.sent("RespondQueryTaskCompleted")
    assert answer.task_token == b"query"
    assert answer.completed_type == QUERY_RESULT_TYPE_ANSWERED
    assert PAYLOADS.from_payloads(answer.query_result.payloads) == ["sleeping"]
    assert bool(server.sent("GetWorkflowExecutionHistory")) is not cached
    assert (RUN_ID in handler.cache) is cached  # a replay for a query is not kept


async def test_a_failed_respond_evicts_the_cached_run() -> None:
    server = FakeServer(
        {"RespondWorkflowTaskCompleted": RPCError("task gone", RPCStatusCode.NOT_FOUND, b"")}
    )
    handler = await new_handler(server)
    await handler.handle(poll("Sleepy", first_task("Sleepy")))
    assert len(server.sent("RespondWorkflowTaskCompleted")) == 1
    assert RUN_ID not in handler.cache  # the server hands the task out again: replay it


async def test_nondeterminism_fails_the_workflow_when_the_policy_says_so() -> None:
    server = completed_server()
    handler = await new_handler(server, failure_types=(NondeterminismError,))
    await handler.handle(poll("Sleepy", mismatched_history()))
    [request] = server.sent("RespondWorkflowTaskCompleted")
    [command] = request.commands
    assert command.command_type == COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION
    failure = command.fail_workflow_execution_command_attributes.failure
    assert "TMPRL1100" in failure.message
    assert not request.HasField("sticky_attributes")
    assert not server.sent("RespondWorkflowTaskFailed")
    assert RUN_ID not in handler.cache


async def test_nondeterminism_fails_only_the_task_by_default() -> None:
    server = FakeServer({"RespondWorkflowTaskFailed": wf.RespondWorkflowTaskFailedResponse()})
    handler = await new_handler(server)
    await handler.handle(poll("Sleepy", mismatched_history()))
    [failed] = server.sent("RespondWorkflowTaskFailed")
    assert failed.cause == WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    assert not server.sent("RespondWorkflowTaskCompleted")


async def test_an_update_without_handler_is_rejected_through_the_completion() -> None:
    server = completed_server()
    handler = await new_handler(server)
    task = poll("Sleepy", first_task("Sleepy"))
    update = update_pb2.Request(meta=update_pb2.Meta(update_id="u-1"))
    update.input.name = "set_name"
    message = task.messages.add(id="u-1/request", protocol_instance_id="u-1", event_id=3)
    message.body.Pack(update)
    task.messages.add(id="other", protocol_instance_id="p-2")  # not an update: ignored
    await handler.handle(task)
    [request] = server.sent("RespondWorkflowTaskCompleted")
    [reply] = request.messages
    assert isinstance(reply, ProtocolMessage)
    assert reply.protocol_instance_id == "u-1"
    rejection = update_pb2.Rejection()
    assert reply.body.Unpack(rejection)
    assert rejection.rejected_request_message_id == "u-1/request"
    assert rejection.rejected_request.input.name == "set_name"
    assert reply.id == "u-1/request/reject"
    assert rejection.failure.message.startswith("Update handler for 'set_name' expected but not")
    # The first task's own command (its timer), and nothing for the rejected update.
    assert [c.command_type for c in request.commands] == [CommandType.COMMAND_TYPE_START_TIMER]
    assert RUN_ID not in handler.cache  # the task may vanish from history: not continued


async def test_evicting_a_run_whose_code_gets_stuck_is_ended_by_the_deadlock_detector() -> None:
    # A finished run is evicted without a thread; one with live workflow code must still be
    # evicted on a workflow thread, under the detector, or this would hang the event loop.
    server = completed_server()
    threads = WorkflowThreads(2, name_prefix="test_workflow_")
    runner = ActivationRunner(None, deadlock_timeout=0.3, threads=threads)
    handler = await new_handler(server, workflows=[SpinsWhenEvicted], runner=runner)
    try:
        await handler.handle(poll("SpinsWhenEvicted", first_task("SpinsWhenEvicted")))
        run = handler.cache.get(RUN_ID)
        assert run is not None
        assert not run.instance.evicts_without_workflow_code
        SPIN_ON_EVICTION["seconds"] = 10.0
        started = time.monotonic()
        await handler.evict(run)
        assert time.monotonic() - started < 5  # the detector's 0.3 s, not the spin's 10 s
        assert RUN_ID not in handler.cache
    finally:
        SPIN_ON_EVICTION["seconds"] = 0.0
        threads.shutdown()
