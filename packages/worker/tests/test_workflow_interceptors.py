"""Workflow interceptors on a tempyral worker: a header set by a client interceptor reaches the
workflow, and the workflow's interceptor carries it on into an activity and a child workflow
(whose own activity sees it too). Signals and queries go through the inbound chain. Mixed with an
official worker in its own process (``interceptor_workflows.py``), the header crosses SDKs both
ways: headers are payloads in one wire format. A user's outbound interceptor sees ``info()``,
``start_local_activity``, ``signal_child_workflow`` and ``signal_external_workflow`` as the
official SDK's does (``outbound_workflows.py`` on a worker of each SDK), and the header it adds
reaches the local activity and the signalled workflows.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, NoReturn

import pytest

from tempyral import activity, workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType as E
from tempyral.client import Client, OutboundInterceptor, SignalWorkflowInput, StartWorkflowInput
from tempyral.client import Interceptor as ClientInterceptor
from tempyral.converter import PayloadConverter
from tempyral.worker import (
    ActivityInboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    Interceptor,
    Replayer,
    StartActivityInput,
    StartChildWorkflowInput,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from . import interceptor_workflows as mixed
from . import outbound_workflows as outbound

pytestmark = pytest.mark.integration

KEY = "tenant"
CONVERTER = PayloadConverter.default
SEEN: list[str] = []  # what the interceptors saw, in order, as "<where>:<tenant>"


def tenant(headers: Any) -> str:
    payload = headers.get(KEY)
    return CONVERTER.from_payloads([payload])[0] if payload is not None else "-"


class _ClientOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        input.headers = {**input.headers, KEY: CONVERTER.to_payloads(["acme"])[0]}
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = {**input.headers, KEY: CONVERTER.to_payloads(["globex"])[0]}
        await super().signal_workflow(input)


class TenantClientInterceptor(ClientInterceptor):
    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _ClientOutbound(next)


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, inbound: _Inbound) -> None:
        super().__init__(next)
        self._inbound = inbound

    def start_activity(self, input: StartActivityInput) -> Any:
        input.headers = {**input.headers, **self._inbound.headers}
        return super().start_activity(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> Any:
        input.headers = {**input.headers, **self._inbound.headers}
        return await super().start_child_workflow(input)


class _Inbound(WorkflowInboundInterceptor):
    headers: dict[str, Any]

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        self.headers = {}
        super().init(_Outbound(outbound, self))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        self.headers = {k: v for k, v in input.headers.items() if k == KEY}
        if not workflow.unsafe.is_replaying():
            SEEN.append(f"workflow {input.type.__name__}:{tenant(input.headers)}")
        return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        SEEN.append(f"signal {input.signal}")
        await super().handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        return f"intercepted {await super().handle_query(input)}"


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        SEEN.append(f"activity {activity.info().workflow_type}:{tenant(input.headers)}")
        return await super().execute_activity(input)


class TenantInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Inbound

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next)


@activity.defn
async def echo(text: str) -> str:
    return text


@workflow.defn
class TenantChild:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            echo, "child", start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class TenantParent:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> list[str]:
        first = await workflow.execute_activity(
            echo, "parent", start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.wait_condition(lambda: self.go)
        child = await workflow.execute_child_workflow(
            TenantChild.run, id=f"{workflow.info().workflow_id}-child"
        )
        return [first, child]

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.query
    def state(self) -> str:
        return "waiting" if not self.go else "going"


async def test_a_client_header_travels_through_the_workflow_into_an_activity_and_a_child(
    tempyral_target: str,
) -> None:
    SEEN.clear()
    client = await Client.connect(tempyral_target, interceptors=[TenantClientInterceptor()])
    task_queue = f"intercept-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TenantParent, TenantChild],
        activities=[echo],
        interceptors=[TenantInterceptor()],
    ):
        handle = await client.start_workflow(
            TenantParent.run, id=f"intercept-{uuid.uuid4()}", task_queue=task_queue
        )
        assert await handle.query(TenantParent.state) == "intercepted waiting"
        await handle.signal(TenantParent.proceed)
        assert await asyncio.wait_for(handle.result(), 30) == ["parent", "child"]
    # The signal may be handled before or after the parent's activity ran.
    assert sorted(SEEN) == sorted(
        [
            "workflow TenantParent:acme",
            "activity TenantParent:acme",
            "signal proceed",
            "workflow TenantChild:acme",
            "activity TenantChild:acme",
        ]
    )


def identities(history: Any, event_type: int) -> list[str]:
    """The worker identities on the events of ``event_type`` (started activities, tasks)."""
    found = []
    for event in history.events:
        if event.event_type != event_type:
            continue
        kind = event.WhichOneof("attributes")
        found.append(getattr(event, kind).identity)
    return found


@pytest.mark.parametrize("workflow_sdk", ["tempyral", "official"])
async def test_a_header_crosses_sdks_into_activities_and_a_child(
    tempyral_target: str, workflow_worker_process: Any, workflow_sdk: str
) -> None:
    """The parent runs on one SDK; its activity, its child and the child's activity on the other
    (an official worker in its own process): the client's header arrives at each, intact."""
    remote_sdk = "official" if workflow_sdk == "tempyral" else "tempyral"
    local_queue = f"intercept-local-{uuid.uuid4()}"
    remote_queue = f"intercept-remote-{uuid.uuid4()}"
    queues = {"tempyral": local_queue, "official": remote_queue}
    official = workflow_worker_process(
        "official", tempyral_target, remote_queue, "--workflows", "interceptor_workflows.py"
    )
    await official.wait_ready()
    client = await Client.connect(
        tempyral_target, identity="tempyral-in-process", interceptors=[TenantClientInterceptor()]
    )
    async with Worker(
        client,
        task_queue=local_queue,
        workflows=mixed.WORKFLOWS,
        activities=mixed.ACTIVITIES,
        interceptors=mixed.INTERCEPTORS,
    ):
        handle = await client.start_workflow(
            mixed.MixedParent.run,
            queues[remote_sdk],
            id=f"intercept-mixed-{uuid.uuid4()}",
            task_queue=queues[workflow_sdk],
        )
        result = await asyncio.wait_for(handle.result(), 60)
        child_history = await client.get_workflow_handle(f"{handle.id}-child").fetch_history()
    assert result == ["parent@acme", "child@acme"], official.output()
    # Each step ran on the SDK this test meant it to.
    names = {"tempyral": "tempyral-in-process", "official": f"official-{remote_queue}"}
    started = E.EVENT_TYPE_ACTIVITY_TASK_STARTED
    completed = E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    assert set(identities(await handle.fetch_history(), completed)) == {names[workflow_sdk]}
    assert set(identities(await handle.fetch_history(), started)) == {names[remote_sdk]}
    assert set(identities(child_history, completed)) == {names[remote_sdk]}


CALLS: list[tuple[str, bool]] = []  # what _Recording saw: (call, replaying)


class _Recording(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        CALLS.append(
            (
                f"execute {input.type.__name__}{list(input.args)}:{tenant(input.headers)}",
                workflow.unsafe.is_replaying(),
            )
        )
        return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        CALLS.append(
            (
                f"signal {input.signal}{list(input.args)}:{tenant(input.headers)}",
                workflow.unsafe.is_replaying(),
            )
        )
        await super().handle_signal(input)


class RecordingInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Recording


@workflow.defn
class Greeter:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.run
    async def run(self, greeting: str) -> str:
        await workflow.wait_condition(lambda: len(self.names) == 2)
        return f"{greeting}, {' and '.join(self.names)}"

    @workflow.signal
    def name(self, name: str) -> None:
        self.names.append(name)


async def test_the_replayer_runs_inbound_interceptors_as_the_worker_did(
    tempyral_target: str,
) -> None:
    CALLS.clear()
    client = await Client.connect(tempyral_target, interceptors=[TenantClientInterceptor()])
    task_queue = f"intercept-replay-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[Greeter], interceptors=[RecordingInterceptor()]
    ):
        handle = await client.start_workflow(
            Greeter.run, "Hello", id=f"intercept-replay-{uuid.uuid4()}", task_queue=task_queue
        )
        await handle.signal(Greeter.name, "Ann")
        await handle.signal(Greeter.name, "Bo")
        assert await asyncio.wait_for(handle.result(), 30) == "Hello, Ann and Bo"
    expected = [
        "execute Greeter['Hello']:acme",
        "signal name['Ann']:globex",
        "signal name['Bo']:globex",
    ]
    # Signals sent before the first task are handled in it, before the run method starts: the
    # order depends on timing, so the replay is held to the order the worker saw.
    live = [call for call, replaying in CALLS if not replaying]
    assert sorted(live) == sorted(expected)

    CALLS.clear()
    replayer = Replayer(workflows=[Greeter], interceptors=[RecordingInterceptor()])
    await replayer.replay_workflow(await handle.fetch_history())
    assert [(call, True) for call in live] == CALLS


class _CarryingOutbound(WorkflowOutboundInterceptor):
    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        SEEN.append(f"continue_as_new {input.workflow}{list(input.args)}")
        input.headers = {**input.headers, KEY: CONVERTER.to_payloads(["initech"])[0]}
        super().continue_as_new(input)


class _Carrying(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_CarryingOutbound(outbound))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        return f"{await super().execute_workflow(input)}:{tenant(input.headers)}"


class CarryingInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Carrying


@workflow.defn
class Relay:
    @workflow.run
    async def run(self, laps: int) -> str:
        if laps > 0:
            workflow.continue_as_new(laps - 1, workflow=Relay.run)
        return "done"


async def test_continue_as_new_goes_through_the_outbound_chain_with_its_headers(
    tempyral_target: str,
) -> None:
    SEEN.clear()
    client = await Client.connect(tempyral_target)
    task_queue = f"intercept-can-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[Relay], interceptors=[CarryingInterceptor()]
    ):
        handle = await client.start_workflow(
            Relay.run, 1, id=f"intercept-can-{uuid.uuid4()}", task_queue=task_queue
        )
        # The header the outbound interceptor put on the command reached the next run.
        assert await asyncio.wait_for(handle.result(), 30) == "done:initech"
        second = await client.get_workflow_handle(handle.id).fetch_history()
    assert SEEN == ["continue_as_new Relay[0]"]
    started = second.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id == handle.first_execution_run_id
    assert tenant(started.header.fields) == "initech"


class _OffersExternFunctions(Interceptor):
    """Offers functions to workflow code through ``unsafe_extern_functions``; intercepts nothing."""

    def __init__(self, name: str, fn: Any) -> None:
        self._name = name
        self._fn = fn

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        input.unsafe_extern_functions[self._name] = self._fn
        return None


@workflow.defn
class CallsExternFunctions:
    @workflow.run
    async def run(self, value: int) -> list[Any]:
        functions = workflow.extern_functions()
        return [sorted(functions), functions["double"](value), functions["label"](value)]


async def test_workflow_code_calls_the_functions_interceptors_offer(client: Client) -> None:
    task_queue = f"extern-{uuid.uuid4()}"
    interceptors = [
        _OffersExternFunctions("double", lambda x: 2 * x),
        _OffersExternFunctions("label", lambda x: f"value {x}"),
    ]
    async with Worker(
        client, task_queue=task_queue, workflows=[CallsExternFunctions], interceptors=interceptors
    ):
        result = await client.execute_workflow(
            CallsExternFunctions.run, 21, id=f"extern-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == [["double", "label"], 42, "value 21"]


async def outbound_calls_on(
    client: Client, start_process: Any, target: str, sdk: str
) -> dict[str, Any]:
    """``outbound_workflows.py`` on a worker of ``sdk``: the parent's result and recorded calls,
    and what the external workflow it signalled received."""
    task_queue = f"intercept-outbound-{sdk}-{uuid.uuid4()}"
    worker = start_process(sdk, target, task_queue, "--workflows", "outbound_workflows.py")
    await worker.wait_ready()
    try:
        run = uuid.uuid4().hex[:8]
        external = await client.start_workflow(
            outbound.Pinged.run, id=f"intercept-external-{run}", task_queue=task_queue
        )
        parent = await client.start_workflow(
            outbound.OutboundParent.run,
            external.id,
            id=f"intercept-outbound-{run}",
            task_queue=task_queue,
        )
        result = await asyncio.wait_for(parent.result(), 60)
        external_result = await asyncio.wait_for(external.result(), 60)
    finally:
        await asyncio.to_thread(worker.terminate)
    # Ids differ between the two runs; the calls are compared without them.
    calls = [call.replace(external.id, "<external>") for call in result["calls"]]
    return {"result": result["result"], "calls": calls, "external": external_result}


async def test_outbound_calls_and_their_headers_as_on_the_official_sdk(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    """A user's outbound interceptor sees ``info()``, the local activity, the child's and the
    external workflow's signals; the header it adds reaches the local activity and both
    signalled workflows; an official worker running the same code sees the same calls."""
    outcomes = {
        sdk: await outbound_calls_on(client, workflow_worker_process, tempyral_target, sdk)
        for sdk in ("tempyral", "official")
    }
    tempyral = outcomes["tempyral"]
    assert tempyral["result"] == ["local@acme", "child-ping@acme"]
    assert tempyral["external"] == "external-ping@acme"
    assert tempyral["calls"] == [
        "info",
        "start_local_activity ['local']",
        "signal_child_workflow ping ['child-ping']",
        "signal_external_workflow <external> ping ['external-ping']",
    ]
    assert tempyral == outcomes["official"]
