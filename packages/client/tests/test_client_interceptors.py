"""Client interceptors: the chain order, the inputs each call passes, and headers reaching the
official SDK's worker (through the payload codec only with ``HeaderCodecBehavior.CODEC``)."""

from __future__ import annotations

import base64
import inspect
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleSpec,
    WithStartWorkflowOperation,
)
from tempyral.common import HeaderCodecBehavior, WorkflowIDConflictPolicy
from tempyral.converter import DataConverter, PayloadCodec
from tempyral.service import RPCError

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

HEADER_KEY = "tempyral-test"


def header_payload() -> Payload:
    # Marked so that MarkedOnlyCodec encodes it, and nothing else: the official worker has no
    # codec and must still read the workflow's arguments.
    return Payload(
        metadata={"encoding": b"json/plain", "x-encode-me": b"1"}, data=b'"header-value"'
    )


class MarkedOnlyCodec(PayloadCodec):
    """Reverses the bytes of payloads marked ``x-encode-me``; leaves every other payload alone."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/reversed"}, data=p.SerializeToString()[::-1])
            if p.metadata.get("x-encode-me")
            else p
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload.FromString(p.data[::-1])
            if p.metadata.get("encoding") == b"binary/reversed"
            else p
            for p in payloads
        ]


class Recorder(Interceptor):
    """Records (label, input class) for every call and adds a header where inputs carry them."""

    def __init__(self, label: str, log: list[tuple[str, str]]) -> None:
        self.label = label
        self.log = log

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _recording_outbound(next, self.label, self.log)


def _add_header(input: Any) -> None:
    for part in (input, getattr(input, "start_workflow_input", None)):
        if part is not None and hasattr(part, "headers"):
            part.headers = {**part.headers, HEADER_KEY: header_payload()}
    update_input = getattr(input, "update_workflow_input", None)
    if update_input is not None:
        update_input.headers = {**update_input.headers, HEADER_KEY: header_payload()}


def _recording_outbound(
    next: OutboundInterceptor, label: str, log: list[tuple[str, str]]
) -> OutboundInterceptor:
    class Recording(OutboundInterceptor):
        pass

    for name, method in vars(OutboundInterceptor).items():
        if name.startswith("_"):
            continue
        if inspect.iscoroutinefunction(method):

            async def call_async(self: Any, input: Any, _name: str = name) -> Any:
                log.append((label, type(input).__name__))
                _add_header(input)
                return await getattr(self.next, _name)(input)

            setattr(Recording, name, call_async)
        else:

            def call(self: Any, input: Any, _name: str = name) -> Any:
                log.append((label, type(input).__name__))
                return getattr(self.next, _name)(input)

            setattr(Recording, name, call)
    return Recording(next)


async def test_chain_order_and_inputs(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    log: list[tuple[str, str]] = []
    client = Client(
        tempyral_client.service_client,
        interceptors=[Recorder("outer", log), Recorder("inner", log)],
    )
    # Terminated below; started without the interceptors, so only the terminate is recorded. (The
    # cancelled workflow may already have ended when a terminate would reach it.)
    to_terminate = await tempyral_client.start_workflow(
        "Interactive", [], id=f"terminated-{uuid.uuid4()}", task_queue=official_worker.task_queue
    )
    handle = await client.start_workflow(
        "Interactive", [], id=f"intercepted-{uuid.uuid4()}", task_queue=official_worker.task_queue
    )
    await handle.signal("add", "x")
    await handle.query("items")
    await handle.execute_update("add_and_count", "y")
    await handle.describe()
    await handle.fetch_history()
    [e async for e in client.list_workflows(f"WorkflowId = '{handle.id}'")]
    await client.count_workflows(f"WorkflowId = '{handle.id}'")
    await handle.cancel()
    await client.get_workflow_handle(to_terminate.id).terminate()
    schedule = await client.create_schedule(
        f"intercepted-{uuid.uuid4()}",
        Schedule(
            action=ScheduleActionStartWorkflow(
                "Greeting", "x", id="never", task_queue=official_worker.task_queue
            ),
            spec=ScheduleSpec(),
        ),
    )
    await schedule.pause()
    await schedule.delete()
    activity = client.get_async_activity_handle(task_token=b"not a real token")
    with pytest.raises(RPCError):
        await activity.heartbeat()

    inputs = [name for label, name in log if label == "outer"]
    assert inputs == [
        "StartWorkflowInput",
        "SignalWorkflowInput",
        "QueryWorkflowInput",
        "StartWorkflowUpdateInput",
        "DescribeWorkflowInput",
        "FetchWorkflowHistoryEventsInput",
        "ListWorkflowsInput",
        "CountWorkflowsInput",
        "CancelWorkflowInput",
        "TerminateWorkflowInput",
        "CreateScheduleInput",
        "PauseScheduleInput",
        "DeleteScheduleInput",
        "HeartbeatAsyncActivityInput",
    ]
    # Earlier interceptors wrap later ones: each call passes "outer" first, then "inner".
    assert log[0::2] == [("outer", name) for name in inputs]
    assert log[1::2] == [("inner", name) for name in inputs]


async def seen_headers(client: Client, worker: OfficialWorker) -> list[list[Any]]:
    workflow_id = f"headers-{uuid.uuid4()}"
    operation = WithStartWorkflowOperation(
        "Interactive",
        [],
        id=workflow_id,
        task_queue=worker.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        "add_and_count", "a", start_workflow_operation=operation
    )
    handle = await operation.workflow_handle()
    await handle.signal("add", "b")
    await handle.query("items")
    await handle.execute_update("add_and_count", "c")
    headers = await handle.query("seen_headers")
    await handle.terminate()
    assert isinstance(headers, list)
    return headers


async def test_headers_reach_the_worker(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    log: list[tuple[str, str]] = []
    client = Client(tempyral_client.service_client, interceptors=[Recorder("only", log)])
    headers = await seen_headers(client, official_worker)
    seen = {(kind, name): value[HEADER_KEY] for kind, name, value in headers}
    assert set(seen) == {
        ("workflow", "Interactive"),
        ("update", "add_and_count"),
        ("signal", "add"),
        ("query", "items"),
    }
    for header in seen.values():
        assert header["encoding"] == "json/plain"
        assert base64.b64decode(header["data"]) == b'"header-value"'


@pytest.mark.parametrize(
    ("behavior", "encoding"),
    [(HeaderCodecBehavior.CODEC, "binary/reversed"), (HeaderCodecBehavior.NO_CODEC, "json/plain")],
)
async def test_header_codec_behavior(
    tempyral_client: Client,
    official_worker: OfficialWorker,
    behavior: HeaderCodecBehavior,
    encoding: str,
) -> None:
    client = Client(
        tempyral_client.service_client,
        data_converter=DataConverter(payload_codec=MarkedOnlyCodec()),
        interceptors=[Recorder("only", [])],
        header_codec_behavior=behavior,
    )
    headers = await seen_headers(client, official_worker)
    assert {value[HEADER_KEY]["encoding"] for _, _, value in headers} == {encoding}
    # The codec also ran (or not) on headers of schedule actions.
    action = ScheduleActionStartWorkflow(
        "Greeting",
        "x",
        id="never",
        task_queue=official_worker.task_queue,
        headers={HEADER_KEY: header_payload()},
    )
    proto = await action._to_proto(client)
    assert proto.start_workflow.header.fields[HEADER_KEY].metadata["encoding"] == encoding.encode()
