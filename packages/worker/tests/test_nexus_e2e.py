"""Nexus operations served by a tempyral worker, called by an official-SDK workflow.

The caller is ``official/nexus_caller.py``'s ``CallNexus`` on an official worker in its own
process; the operations are ``nexus_services.TempyralNexusService`` on a tempyral worker here,
reached through a Nexus endpoint created with OperatorService ``CreateNexusEndpoint`` that
targets the tempyral worker's task queue. What the official caller gets back (results, handler
errors, operation errors, cancellation) is what tempyral's handler side reported, as the
official SDK's caller reads it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from nexusrpc.handler import StartOperationResultSync

from tempyral.api.enums.v1.event_type_pb2 import (
    EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
    EVENT_TYPE_NEXUS_OPERATION_STARTED,
    EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
)
from tempyral.api.enums.v1.workflow_pb2 import WORKFLOW_EXECUTION_STATUS_CANCELED
from tempyral.api.nexus.v1.message_pb2 import EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1.request_response_pb2 import CreateNexusEndpointRequest
from tempyral.client import Client
from tempyral.converter import DataConverter
from tempyral.nexus import WorkflowHandle
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig
from tempyral.testing import DevServer
from tempyral.worker import (
    CustomSlotSupplier,
    ExecuteNexusOperationStartInput,
    FixedSizeSlotSupplier,
    Interceptor,
    NexusOperationInboundInterceptor,
    NexusSlotInfo,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    Worker,
    WorkerTuner,
)

from .codec_workflows import XorCodec
from .conftest import HERE, OfficialHost
from .nexus_services import (
    ATTEMPTS,
    CANCEL_REASONS,
    DEADLINES,
    HELD,
    RELEASED,
    Greet,
    Tally,
    TempyralNexusService,
    ThreadedNexusService,
    WaitForever,
)

SERVICE = "TempyralNexusService"


@pytest.fixture(scope="session")
def nexus_caller(tempyral_dev_server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(
        tempyral_dev_server.target,
        f"official-nexus-caller-{uuid.uuid4()}",
        script=HERE / "official" / "nexus_caller.py",
    ).start()
    yield host
    host.stop()


@pytest.fixture(scope="session")
def nexus_caller_with_codec(tempyral_dev_server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(
        tempyral_dev_server.target,
        f"official-nexus-caller-codec-{uuid.uuid4()}",
        HERE / "official" / "nexus_caller.py",
        "--codec",
    ).start()
    yield host
    host.stop()


@pytest.fixture
async def endpoint(client: Client, task_queue: str) -> str:
    """A Nexus endpoint whose operations go to ``task_queue``."""
    name = f"tempyral-{uuid.uuid4().hex[:12]}"
    target = EndpointTarget(
        worker=EndpointTarget.Worker(namespace=client.namespace, task_queue=task_queue)
    )
    await client.operator_service.create_nexus_endpoint(
        CreateNexusEndpointRequest(spec=EndpointSpec(name=name, target=target))
    )
    return name


@pytest.fixture
async def handler_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        workflows=[Greet, WaitForever, Tally],
    ) as worker:
        yield worker


class Caller:
    def __init__(self, client: Client, host: OfficialHost, endpoint: str) -> None:
        self.client = client
        self.host = host
        self.endpoint = endpoint

    async def start(self, operation: str, input: Any, **spec: Any) -> str:
        workflow_id = f"call-nexus-{operation}-{uuid.uuid4()}"
        await self.client.start_workflow(
            "CallNexus",
            {
                "endpoint": self.endpoint,
                "service": SERVICE,
                "operation": operation,
                "input": input,
            }
            | spec,
            id=workflow_id,
            task_queue=self.host.task_queue,
        )
        return workflow_id

    async def result(self, workflow_id: str, timeout: float = 60) -> dict[str, Any]:
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout)
        except TimeoutError:
            raise AssertionError(f"no outcome; caller output:\n{self.host.output()}") from None
        return result

    async def call(self, operation: str, input: Any, **spec: Any) -> dict[str, Any]:
        return await self.result(await self.start(operation, input, **spec))


@pytest.fixture
def caller(
    client: Client, nexus_caller: OfficialHost, endpoint: str, handler_worker: Worker
) -> Caller:
    return Caller(client, nexus_caller, endpoint)


async def test_sync_operation_answers_the_official_caller(caller: Caller) -> None:
    outcome = await caller.call("echo", "ping")
    assert (outcome["result"], outcome["token"]) == ("echo ping", None)


async def test_nexus_functions_describe_the_operation_inside_a_handler(
    caller: Caller, task_queue: str, client: Client
) -> None:
    outcome = await caller.call("describe", "x")
    assert outcome["result"] == {
        "in_operation": True,
        "endpoint": caller.endpoint,
        "namespace": client.namespace,
        "task_queue": task_queue,
        "client_namespace": client.namespace,
        "service": SERVICE,
        "operation": "describe",
        # The server sends a request-timeout header from the schedule-to-close timeout.
        "has_deadline": True,
        "is_worker_shutdown": False,
        # The official caller workflow links its scheduled event.
        "inbound_links": [
            [
                "temporal.api.common.v1.Link.WorkflowEvent",
                f"temporal:///namespaces/{client.namespace}/workflows/{outcome['caller_id']}/"
                f"{outcome['caller_run_id']}/history?eventID=5&eventType=NexusOperationScheduled"
                "&referenceType=EventReference",
            ]
        ],
    }


async def test_workflow_run_operation_completes_the_caller_when_its_workflow_ends(
    caller: Caller, client: Client
) -> None:
    outcome = await caller.call("greet_by_workflow", "nexus")
    assert outcome["result"] == "hello nexus"
    # The operation token names the handler's workflow, as the official SDK encodes it.
    backing = WorkflowHandle[str].from_token(outcome["token"])
    assert backing.namespace == client.namespace
    assert backing.workflow_id.startswith("greet-")
    # The workflow started with the caller's completion callback (carrying the operation
    # token) and a link back to the caller's scheduled event.
    history = await client.get_workflow_handle(backing.workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [callback] = started.completion_callbacks
    assert callback.nexus.header["nexus-operation-token"] == outcome["token"]
    [link] = callback.links
    assert link.workflow_event.workflow_id == outcome["caller_id"]
    assert link.workflow_event.event_ref.event_type == EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
    # And the response linked the caller's started event to the handler's workflow.
    caller_history = await client.get_workflow_handle(outcome["caller_id"]).fetch_history()
    [operation_started] = [
        event
        for event in caller_history.events
        if event.event_type == EVENT_TYPE_NEXUS_OPERATION_STARTED
    ]
    [response_link] = operation_started.links
    assert response_link.workflow_event.workflow_id == backing.workflow_id
    # The server's own link from the start response: the handler workflow's first event.
    event_ref = response_link.workflow_event.event_ref
    assert (event_ref.event_id, event_ref.event_type) == (1, EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)


async def test_cancelling_a_workflow_run_operation_cancels_its_workflow(
    caller: Caller, client: Client
) -> None:
    name = f"blocked-{uuid.uuid4().hex[:8]}"
    call = await caller.start("wait_by_workflow", name, cancel=True)
    backing = client.get_workflow_handle(f"wait-{name}")
    await _until_started(backing)
    await client.get_workflow_handle(call).signal("cancel_operation")
    outcome = await caller.result(call)
    assert outcome["error"]["class"] == "NexusOperationError"
    assert outcome["error"]["cause"]["class"] == "CancelledError"
    description = await backing.describe()
    assert description.raw_description.workflow_execution_info.status == (
        WORKFLOW_EXECUTION_STATUS_CANCELED
    )


async def _until_started(handle: Any, timeout: float = 30) -> None:
    async def described() -> None:
        while True:
            try:
                await handle.describe()
                return
            except Exception:
                await asyncio.sleep(0.1)

    await asyncio.wait_for(described(), timeout)


@pytest.mark.parametrize(
    ("kind", "handler_type", "message", "retryable"),
    [
        ("bad_request", "BAD_REQUEST", "the input is wrong", False),
        ("not_found", "NOT_FOUND", "nothing here", False),
        ("internal_non_retryable", "INTERNAL", "broken for good", False),
        ("unauthorized", "UNAUTHORIZED", "not for you", False),
        ("unauthenticated", "UNAUTHENTICATED", "who are you", False),
        ("not_implemented", "NOT_IMPLEMENTED", "not yet", False),
        ("unavailable_non_retryable", "UNAVAILABLE", "gone for good", False),
        ("resource_exhausted_non_retryable", "RESOURCE_EXHAUSTED", "no room", False),
        (
            "application_non_retryable",
            "INTERNAL",
            "Handler failed with non-retryable application error",
            False,
        ),
    ],
)
async def test_handler_errors_reach_the_official_caller_as_handler_errors(
    caller: Caller, kind: str, handler_type: str, message: str, retryable: bool
) -> None:
    outcome = await caller.call("fail", kind)
    error = outcome["error"]
    assert error["class"] == "NexusOperationError"
    cause = error["cause"]
    assert cause["class"] == "HandlerError"
    assert cause["handler_error_type"] == handler_type
    assert cause["message"] == message
    assert cause["retryable"] is retryable


async def test_application_error_cause_travels_with_the_handler_error(caller: Caller) -> None:
    cause = (await caller.call("fail", "application_non_retryable"))["error"]["cause"]
    assert cause["cause"]["class"] == "ApplicationError"
    assert cause["cause"]["message"] == "application says no"
    assert cause["cause"]["type"] == "Refused"


async def test_operation_errors_fail_or_cancel_the_operation(caller: Caller) -> None:
    failed = (await caller.call("fail", "operation_failed"))["error"]
    assert failed["class"] == "NexusOperationError"
    assert failed["cause"]["class"] == "ApplicationError"
    assert failed["cause"]["message"] == "the operation failed"
    assert failed["cause"]["type"] == "OperationError"
    assert failed["cause"]["non_retryable"] is True
    cancelled = (await caller.call("fail", "operation_canceled"))["error"]
    assert cancelled["class"] == "NexusOperationError"
    assert cancelled["cause"]["class"] == "CancelledError"
    assert cancelled["cause"]["message"] == "the operation was canceled"


async def test_handlers_raising_base_exceptions_do_not_stop_the_worker(
    caller: Caller, handler_worker: Worker
) -> None:
    key = uuid.uuid4().hex
    outcome = await caller.call("survive", key)
    # SystemExit, then KeyboardInterrupt, each reported as a retryable INTERNAL handler error;
    # the server retried, and the third attempt answered.
    assert outcome["result"] == f"survived {key} after 3 attempts"
    assert ATTEMPTS[key] == 3
    assert handler_worker.is_running
    assert (await caller.call("echo", "still here"))["result"] == "echo still here"


@pytest.fixture
def bare_caller(client: Client, nexus_caller: OfficialHost, endpoint: str) -> Caller:
    """A caller without the standard handler worker: the test runs its own."""
    return Caller(client, nexus_caller, endpoint)


async def test_temporal_operation_starts_the_workflow_that_completes_the_caller(
    caller: Caller,
) -> None:
    outcome = await caller.call("greet_by_temporal_operation", "temporal")
    assert outcome["result"] == "hello temporal"
    assert WorkflowHandle[str].from_token(outcome["token"]).workflow_id.startswith("greet-t-")


async def test_sync_def_operations_run_in_the_nexus_task_executor(
    bare_caller: Caller, client: Client, task_queue: str
) -> None:
    with pytest.raises(RuntimeError, match="async"):
        Worker(client, task_queue=task_queue, nexus_service_handlers=[ThreadedNexusService()])
    with concurrent.futures.ThreadPoolExecutor(thread_name_prefix="nexus-pool") as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            nexus_service_handlers=[ThreadedNexusService()],
            nexus_task_executor=executor,
        ):
            outcome = await bare_caller.call("where", "x", service="ThreadedNexusService")
    assert outcome["result"]["thread"].startswith("nexus-pool")
    # The task's context variables went to the thread: tempyral.nexus works there.
    assert outcome["result"]["task_queue"] == task_queue


class RecordingInterceptor(Interceptor):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def intercept_nexus_operation(
        self, next: NexusOperationInboundInterceptor
    ) -> NexusOperationInboundInterceptor:
        return _Shouting(next, self.seen)


class _Shouting(NexusOperationInboundInterceptor):
    def __init__(self, next: NexusOperationInboundInterceptor, seen: list[str]) -> None:
        super().__init__(next)
        self.seen = seen

    async def execute_nexus_operation_start(self, input: ExecuteNexusOperationStartInput) -> Any:
        self.seen.append(f"start {input.ctx.operation} {input.input}")
        result = await super().execute_nexus_operation_start(input)
        if isinstance(result, StartOperationResultSync) and isinstance(result.value, str):
            return StartOperationResultSync(result.value.upper())
        return result


async def test_worker_interceptors_wrap_nexus_operations(
    bare_caller: Caller, client: Client, task_queue: str
) -> None:
    recording = RecordingInterceptor()
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        interceptors=[recording],
    ):
        outcome = await bare_caller.call("echo", "quiet")
    assert outcome["result"] == "ECHO QUIET"
    assert recording.seen == ["start echo quiet"]


async def test_a_handler_past_its_request_timeout_is_told_and_cancelled(
    caller: Caller,
) -> None:
    key = uuid.uuid4().hex
    # The request-timeout header is what is left of the schedule-to-close timeout: the handler
    # is told TIMED_OUT when it passes, and the caller sees the operation time out.
    outcome = await caller.call("until_cancelled", key, timeout_s=3)
    assert CANCEL_REASONS[key] == ["TIMED_OUT"]
    assert outcome["error"]["class"] == "NexusOperationError"
    assert outcome["error"]["cause"]["class"] == "TimeoutError"


def runs_with_time_to_spare(key: str) -> bool:
    """Whether an attempt of operation ``key`` runs now with more than 4 s to its deadline.

    Each attempt's request deadline is what the server left it (about 10 s): on a loaded
    machine a task can wait in the server's queue until only a second or two is left, and its
    handler is then cancelled as TIMED_OUT before a shutdown's grace period ends. Such an
    attempt fails and the server retries it; the shutdown tests wait for one with time to spare.
    """
    attempts, deadlines = ATTEMPTS[key], DEADLINES.get(key, [])
    running_now = attempts == len(CANCEL_REASONS.get(key, [])) + 1
    deadline = deadlines[-1] if deadlines else None
    left = (deadline - datetime.now(timezone.utc)).total_seconds() if deadline else 0.0
    return attempts > 0 and running_now and left > 4


async def shut_down_while_running(
    bare_caller: Caller,
    client: Client,
    task_queue: str,
    eventually: Any,
    operation: str,
    key: str,
) -> str:
    """Start ``operation``, stop a worker (1 s grace) while an attempt runs with time to spare.

    Returns the caller's workflow ID for the operation's outcome.
    """
    worker = Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        graceful_shutdown_timeout=timedelta(seconds=1),
    )
    running = asyncio.create_task(worker.run())
    call = await bare_caller.start(operation, key, timeout_s=120)
    await eventually(lambda: runs_with_time_to_spare(key), timeout=90)
    await asyncio.wait_for(worker.shutdown(), 30)
    await running
    return call


async def test_shutdown_tells_handlers(
    bare_caller: Caller, client: Client, task_queue: str, eventually: Any
) -> None:
    patient = uuid.uuid4().hex
    call = await shut_down_while_running(
        bare_caller, client, task_queue, eventually, "until_shutdown", patient
    )
    assert set(CANCEL_REASONS.get(patient, [])) <= {"TIMED_OUT"}
    assert (await bare_caller.result(call))["result"] == "saw shutdown: True"


async def test_shutdown_cancels_handlers_that_outlive_the_grace_period(
    bare_caller: Caller, client: Client, task_queue: str, eventually: Any
) -> None:
    stubborn = uuid.uuid4().hex
    call = await shut_down_while_running(
        bare_caller, client, task_queue, eventually, "until_released", stubborn
    )
    *earlier, last = CANCEL_REASONS[stubborn]
    assert last == "WORKER_SHUTDOWN"
    assert set(earlier) <= {"TIMED_OUT"}
    # Nothing was reported for the cancelled attempt: the server retries it on the next worker.
    RELEASED.add(stubborn)
    services = [TempyralNexusService()]
    async with Worker(client, task_queue=task_queue, nexus_service_handlers=services):
        answer = (await bare_caller.result(call))["result"]
    assert answer == f"attempt {len(earlier) + 2}"


async def test_payloads_go_through_the_payload_codec_both_ways(
    nexus_caller_with_codec: OfficialHost, tempyral_target: str, endpoint: str, task_queue: str
) -> None:
    codec = XorCodec()
    client = await Client.connect(
        tempyral_target, data_converter=DataConverter(payload_codec=codec)
    )
    caller = Caller(client, nexus_caller_with_codec, endpoint)
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        workflows=[Greet],
    ):
        decoded_before = codec.decoded
        outcome = await caller.call("echo", "secret")
        assert outcome["result"] == "echo secret"
        # Both directions needed the codecs to agree: the official caller encrypted the input
        # (this worker's codec decoded it) and decrypted the result (this worker's codec
        # encoded it). Here: the caller workflow's result and the operation's input.
        assert codec.decoded - decoded_before == 2
        by_workflow = await caller.call("greet_by_workflow", "secret")
        assert by_workflow["result"] == "hello secret"


async def test_nexus_task_metrics_are_the_core_sdks(
    bare_caller: Caller, tempyral_target: str, task_queue: str
) -> None:
    buffer = MetricBuffer(100_000)
    client = await Client.connect(
        tempyral_target, runtime=Runtime(telemetry=TelemetryConfig(metrics=buffer))
    )
    services = [TempyralNexusService()]
    async with Worker(client, task_queue=task_queue, nexus_service_handlers=services):
        await bare_caller.call("echo", "counted")
        await bare_caller.call("fail", "bad_request")
        await bare_caller.call("fail", "operation_failed")
    seen: dict[str, list[dict[str, object]]] = {}
    for update in buffer.retrieve_updates():
        if update.metric.name.startswith("temporal_nexus_") or (
            update.metric.name.startswith("temporal_worker_task_slots")
            and update.attributes.get("worker_type") == "NexusWorker"
        ):
            seen.setdefault(update.metric.name, []).append(dict(update.attributes))
    failed = seen["temporal_nexus_task_execution_failed"]
    failures = sorted(str(attributes["failure_reason"]) for attributes in failed)
    assert failures == ["handler_error_BAD_REQUEST", "operation_failed"]
    assert len(seen["temporal_nexus_task_execution_latency"]) == 3
    assert len(seen["temporal_nexus_task_schedule_to_start_latency"]) == 3
    assert len(seen["temporal_nexus_task_endtoend_latency"]) == 3
    assert "temporal_worker_task_slots_used" in seen
    for attributes in seen["temporal_nexus_task_execution_latency"]:
        assert attributes["task_queue"] == task_queue


async def test_max_concurrent_nexus_tasks_bounds_the_operations_running_at_once(
    bare_caller: Caller, client: Client, task_queue: str, eventually: Any
) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    services = [TempyralNexusService()]
    async with Worker(
        client, task_queue=task_queue, nexus_service_handlers=services, max_concurrent_nexus_tasks=1
    ):
        calls = [await bare_caller.start("held", key) for key in (first, second)]
        await eventually(lambda: ATTEMPTS[first] + ATTEMPTS[second] == 1, timeout=30)
        running = first if ATTEMPTS[first] else second
        waiting = second if running == first else first
        await asyncio.sleep(1)
        assert ATTEMPTS[waiting] == 0  # its task waits for the one slot
        HELD.setdefault(running, asyncio.Event()).set()
        await eventually(lambda: ATTEMPTS[waiting] == 1, timeout=30)
        HELD.setdefault(waiting, asyncio.Event()).set()
        results = [(await bare_caller.result(call))["result"] for call in calls]
    assert results == [f"released {first}", f"released {second}"]


async def test_a_handlers_signal_carries_links_back_to_the_caller(
    caller: Caller, client: Client, task_queue: str
) -> None:
    tally_id = f"tally-{uuid.uuid4()}"
    tally = await client.start_workflow(Tally.run, id=tally_id, task_queue=task_queue)
    outcome = await caller.call("nudge", tally.id)
    assert outcome["result"] == 0
    history = await tally.fetch_history()
    [signaled] = [
        event
        for event in history.events
        if event.HasField("workflow_execution_signaled_event_attributes")
    ]
    [link] = signaled.links
    assert link.workflow_event.workflow_id == outcome["caller_id"]


async def test_a_broken_nexus_task_executor_stops_the_worker(
    bare_caller: Caller, client: Client, task_queue: str
) -> None:
    def no_threads() -> None:
        raise RuntimeError("no threads today")

    with concurrent.futures.ThreadPoolExecutor(initializer=no_threads) as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            nexus_service_handlers=[ThreadedNexusService()],
            nexus_task_executor=executor,
        )
        await bare_caller.start("where", "x", service="ThreadedNexusService", timeout_s=5)
        # As in the official SDK: a handler error does not stop a worker, a broken executor does.
        with pytest.raises(RuntimeError, match="Nexus worker failed") as raised:
            await asyncio.wait_for(worker.run(), 30)
    assert isinstance(raised.value.__cause__, concurrent.futures.BrokenExecutor)


class RecordingNexusSlots(CustomSlotSupplier):
    """Unlimited Nexus slots; records what the worker tells it."""

    def __init__(self) -> None:
        self.reserved: list[str] = []
        self.used: list[Any] = []
        self.released = 0

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.reserved.append(ctx.slot_type)
        return SlotPermit()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        return SlotPermit()

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self.used.append(ctx.slot_info)

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        self.released += 1


async def test_a_tuners_nexus_slot_supplier_sees_each_nexus_task(
    bare_caller: Caller, client: Client, task_queue: str
) -> None:
    slots = RecordingNexusSlots()
    tuner = WorkerTuner.create_composite(
        workflow_supplier=FixedSizeSlotSupplier(10),
        activity_supplier=FixedSizeSlotSupplier(10),
        local_activity_supplier=FixedSizeSlotSupplier(10),
        nexus_supplier=slots,
    )
    services = [TempyralNexusService()]
    async with Worker(client, task_queue=task_queue, nexus_service_handlers=services, tuner=tuner):
        outcome = await bare_caller.call("echo", "slotted")
    assert outcome["result"] == "echo slotted"
    assert set(slots.reserved) == {"nexus"}
    [used] = slots.used
    assert isinstance(used, NexusSlotInfo)
    assert (used.service, used.operation) == (SERVICE, "echo")
    assert slots.released == len(slots.reserved)  # every permit back, polls' and the task's
