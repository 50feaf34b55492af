"""Standalone Nexus operations: started by tempyral's client (no workflow), served by a handler.

The dev server serves standalone Nexus operations only with the dynamic config
``nexusoperation.enableStandalone`` on, so this module runs a dev server of its own. The handler
is the official SDK's worker with a ``nexusrpc`` service handler, in its own process
(``official_worker/nexus_handler.py``), behind a Nexus endpoint this module creates.

Covers the result of a synchronous and of an asynchronous operation, Nexus headers, describe,
list and count with queries, cancel, terminate, a handler failure as
``NexusOperationFailureError``, the id conflict policy, interceptors seeing every call, and an
operation tempyral started read by the official client and the other way round (in a subprocess).
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import nexusrpc
import pytest
from nexusrpc.handler import StartOperationContext, service_handler, sync_operation

from tempyral.api.nexus.v1.message_pb2 import EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1 import request_response_pb2 as operator
from tempyral.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub
from tempyral.client import (
    CancelNexusOperationInput,
    Client,
    CountNexusOperationsInput,
    DescribeNexusOperationInput,
    GetNexusOperationResultInput,
    Interceptor,
    ListNexusOperationsInput,
    NexusOperationExecutionDescription,
    NexusOperationFailureError,
    NexusOperationHandle,
    OutboundInterceptor,
    RPCError,
    RPCStatusCode,
    StartNexusOperationInput,
    TerminateNexusOperationInput,
)
from tempyral.common import (
    NexusOperationCancellationState,
    NexusOperationExecutionStatus,
    NexusOperationIDConflictPolicy,
    NexusOperationIDReusePolicy,
    PendingNexusOperationExecutionState,
)
from tempyral.exceptions import (
    ApplicationError,
    CancelledError,
    NexusOperationAlreadyStartedError,
    TerminatedError,
)
from tempyral.testing import DevServer

pytestmark = pytest.mark.integration

MINUTE = timedelta(minutes=1)
HANDLER_SCRIPT = Path(__file__).parent / "official_worker" / "nexus_handler.py"


# The service the handler process serves (same names; the payloads are JSON either way).
@dataclass
class EchoInput:
    name: str


@dataclass
class EchoOutput:
    text: str
    headers: dict[str, str] = field(default_factory=dict)


@nexusrpc.service(name="TempyralEchoService")
class EchoService:
    echo: nexusrpc.Operation[EchoInput, EchoOutput]
    wait: nexusrpc.Operation[EchoInput, EchoOutput]
    refuse: nexusrpc.Operation[EchoInput, EchoOutput]


# The service's name on a definition of one operation, and a handler class for it as a user's
# code would have it: create_nexus_client takes the service from the class and start_operation
# the operation from the decorated method. Its body never runs here: the official worker
# process serves the endpoint.
@nexusrpc.service(name="TempyralEchoService")
class EchoOnlyService:
    echo: nexusrpc.Operation[EchoInput, EchoOutput]


@service_handler(service=EchoOnlyService)
class LocalEchoHandler:
    @sync_operation
    async def echo(self, ctx: StartOperationContext, input: EchoInput) -> EchoOutput:
        raise NotImplementedError("served by the official worker in these tests")


@dataclass
class NexusHandler:
    target: str
    endpoint: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def nexus_server() -> Iterator[DevServer]:
    """A dev server with standalone Nexus operations on."""
    config = {
        "nexusoperation.enableStandalone": True,
        # A new endpoint is seen at once, not at the registry's next refresh.
        "system.refreshNexusEndpointsMinWait": "0s",
    }
    with DevServer(dynamic_config=config) as server:
        yield server


def _wait_for_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and b"READY" not in seen:
        if selector.select(timeout=0.2):
            chunk = os.read(process.stdout.fileno(), 4096)
            seen += chunk
            if not chunk and process.poll() is not None:
                break
    if b"READY" not in seen:
        process.kill()
        process.wait()
        pytest.fail(f"the Nexus handler did not start:\n{seen.decode()}\n{log.read_text()}")


@pytest.fixture(scope="module")
def nexus_handler(
    nexus_server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NexusHandler]:
    """The official worker serving ``TempyralEchoService``, and an endpoint in front of it."""
    task_queue = f"nexus-handler-{uuid.uuid4()}"
    endpoint = f"tempyral-echo-{uuid.uuid4().hex[:12]}"
    with grpc.insecure_channel(nexus_server.target) as channel:
        OperatorServiceStub(channel).CreateNexusEndpoint(
            operator.CreateNexusEndpointRequest(
                spec=EndpointSpec(
                    name=endpoint,
                    target=EndpointTarget(
                        worker=EndpointTarget.Worker(namespace="default", task_queue=task_queue)
                    ),
                )
            ),
            timeout=10,
        )
    log = tmp_path_factory.mktemp("nexus-handler") / "handler.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(HANDLER_SCRIPT), nexus_server.target, "default", task_queue],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        _wait_for_ready(process, log)
        yield NexusHandler(nexus_server.target, endpoint, process)
    finally:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture
async def client(nexus_handler: NexusHandler) -> Client:
    return await Client.connect(nexus_handler.target)


def _op_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4()}"


async def _eventually_equal(read: Any, expected: Any, timeout: float = 15.0) -> None:
    """Visibility is eventually consistent: poll ``read()`` until it returns ``expected``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if value == expected or asyncio.get_running_loop().time() > deadline:
            assert value == expected
            return
        await asyncio.sleep(0.2)


async def _wait_until_started(handle: NexusOperationHandle[Any]) -> None:
    """Until the handler has started the asynchronous operation (it has a token)."""
    deadline = asyncio.get_running_loop().time() + 30
    while (await handle.describe()).operation_token is None:
        assert asyncio.get_running_loop().time() < deadline, "the operation never started"
        await asyncio.sleep(0.2)


async def test_synchronous_operation_result_headers_and_kept_outcome(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    handle = await nexus_client.start_operation(
        EchoService.echo,
        EchoInput("ada"),
        id=_op_id("echo"),
        headers={"x-tempyral-trace": "t-1"},
        schedule_to_close_timeout=MINUTE,
    )
    assert handle.run_id
    assert (handle.endpoint, handle.service) == (nexus_handler.endpoint, "TempyralEchoService")
    result = await handle.result()
    # The output type comes from the operation's definition: a dataclass, not a dict.
    assert result == EchoOutput("hello ada", {"x-tempyral-trace": "t-1"})
    # The outcome is kept: the same object again.
    assert await handle.result() is result


async def test_execute_by_name_with_result_type_and_describe(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client("TempyralEchoService", nexus_handler.endpoint)
    operation_id = _op_id("by-name")
    result = await nexus_client.execute_operation(
        "echo",
        EchoInput("grace"),
        id=operation_id,
        result_type=EchoOutput,
        summary="greets grace",
        schedule_to_close_timeout=MINUTE,
    )
    assert result == EchoOutput("hello grace")

    description = await client.get_nexus_operation_handle(operation_id).describe()
    assert isinstance(description, NexusOperationExecutionDescription)
    assert description.operation_id == operation_id
    assert (description.endpoint, description.service, description.operation) == (
        nexus_handler.endpoint,
        "TempyralEchoService",
        "echo",
    )
    assert description.status == NexusOperationExecutionStatus.COMPLETED
    assert description.schedule_time is not None
    assert description.close_time is not None
    assert description.close_time >= description.schedule_time
    assert description.schedule_to_close_timeout == MINUTE
    assert description.identity == client.identity
    assert description.request_id
    assert await description.static_summary() == "greets grace"
    assert await description.static_details() is None
    # A handle by id alone converts the result without a type: a dict.
    again = client.get_nexus_operation_handle(operation_id)
    assert await again.result() == {"text": "hello grace", "headers": {}}
    # With the operation's definition, the output type is known.
    typed = client.get_nexus_operation_handle(operation_id, operation=EchoService.echo)
    assert await typed.result() == EchoOutput("hello grace")


async def test_handler_class_and_decorated_method_name_the_service_and_operation(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client(LocalEchoHandler, nexus_handler.endpoint)
    handle = await nexus_client.start_operation(
        LocalEchoHandler.echo,
        EchoInput("kay"),
        id=_op_id("method"),
        schedule_to_close_timeout=MINUTE,
    )
    assert handle.service == "TempyralEchoService"
    assert await handle.result() == EchoOutput("hello kay")


async def test_handler_failure_is_a_nexus_operation_failure_error(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    handle = await nexus_client.start_operation(
        EchoService.refuse, EchoInput("bob"), id=_op_id("refuse"), schedule_to_close_timeout=MINUTE
    )
    with pytest.raises(NexusOperationFailureError) as failed:
        await handle.result()
    # The handler's ApplicationError is at the end of the cause chain, type and message intact.
    cause: BaseException | None = failed.value.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.message) == ("Refused", "refused bob")
    # The error is kept: asking again raises the same one.
    with pytest.raises(NexusOperationFailureError) as again:
        await handle.result()
    assert again.value is failed.value
    description = await handle.describe()
    assert description.status == NexusOperationExecutionStatus.FAILED


async def test_asynchronous_operation_result(client: Client, nexus_handler: NexusHandler) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    name = uuid.uuid4().hex
    handle = await nexus_client.start_operation(
        EchoService.wait, EchoInput(name), id=_op_id("async"), schedule_to_close_timeout=MINUTE
    )
    await _wait_until_started(handle)
    waiting = asyncio.ensure_future(handle.result())
    await asyncio.sleep(0.5)
    assert not waiting.done()  # the handler's workflow is waiting for its signal
    await client.get_workflow_handle(f"wait-{name}").signal("finish")
    assert await asyncio.wait_for(waiting, 30) == EchoOutput(f"finished {name}")
    description = await handle.describe()
    assert description.status == NexusOperationExecutionStatus.COMPLETED
    assert description.operation_token is not None


async def test_asynchronous_operation_cancel(client: Client, nexus_handler: NexusHandler) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    handle = await nexus_client.start_operation(
        EchoService.wait, EchoInput(uuid.uuid4().hex), id=_op_id("cancel")
    )
    await _wait_until_started(handle)
    running = await handle.describe()
    assert running.status == NexusOperationExecutionStatus.RUNNING
    assert running.state == PendingNexusOperationExecutionState.STARTED
    assert running.cancellation_info is None

    await handle.cancel(reason="not needed")
    with pytest.raises(NexusOperationFailureError) as failed:
        await asyncio.wait_for(handle.result(), 30)
    assert isinstance(failed.value.cause, CancelledError)
    closed = await handle.describe()
    assert closed.status == NexusOperationExecutionStatus.CANCELED
    assert closed.cancellation_info is not None
    assert closed.cancellation_info.reason == "not needed"
    assert closed.cancellation_info.state == NexusOperationCancellationState.SUCCEEDED


async def test_asynchronous_operation_terminate(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    handle = await nexus_client.start_operation(
        EchoService.wait, EchoInput(uuid.uuid4().hex), id=_op_id("terminate")
    )
    await handle.terminate(reason="enough")
    with pytest.raises(NexusOperationFailureError) as failed:
        await asyncio.wait_for(handle.result(), 30)
    assert isinstance(failed.value.cause, TerminatedError)
    assert "enough" in str(failed.value.cause)
    assert (await handle.describe()).status == NexusOperationExecutionStatus.TERMINATED


async def test_list_and_count_with_queries(client: Client, nexus_handler: NexusHandler) -> None:
    endpoint = nexus_handler.endpoint
    nexus_client = client.create_nexus_client(EchoService, endpoint)
    ids = [_op_id("listed") for _ in range(3)]
    for operation_id in ids:
        await nexus_client.execute_operation(
            EchoService.echo, EchoInput("x"), id=operation_id, schedule_to_close_timeout=MINUTE
        )
    query = f"OperationId = '{ids[0]}' OR OperationId = '{ids[1]}' OR OperationId = '{ids[2]}'"

    async def listed() -> list[tuple[str, str, NexusOperationExecutionStatus]]:
        return sorted(
            [
                (op.operation_id, op.operation, op.status)
                async for op in client.list_nexus_operations(query)
            ]
        )

    await _eventually_equal(
        listed, [(i, "echo", NexusOperationExecutionStatus.COMPLETED) for i in sorted(ids)]
    )
    # limit stops the iterator early; page_size makes it fetch more than one page.
    limited = [op async for op in client.list_nexus_operations(query, limit=2, page_size=1)]
    assert len(limited) == 2
    assert (await client.count_nexus_operations(query)).count == 3
    grouped = await client.count_nexus_operations(f"({query}) GROUP BY ExecutionStatus")
    assert grouped.count == 3
    assert [(g.count, list(g.group_values)) for g in grouped.groups] == [(3, ["Completed"])]


async def test_id_conflict_and_reuse_policies(client: Client, nexus_handler: NexusHandler) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    operation_id = _op_id("conflict")
    first = await nexus_client.start_operation(
        EchoService.wait, EchoInput(uuid.uuid4().hex), id=operation_id
    )
    # Running: the default conflict policy (FAIL) refuses a second start.
    with pytest.raises(NexusOperationAlreadyStartedError) as refused:
        await nexus_client.start_operation(EchoService.wait, EchoInput("y"), id=operation_id)
    assert refused.value.operation_id == operation_id
    assert refused.value.run_id == first.run_id
    # USE_EXISTING returns the running operation.
    existing = await nexus_client.start_operation(
        EchoService.wait,
        EchoInput("y"),
        id=operation_id,
        id_conflict_policy=NexusOperationIDConflictPolicy.USE_EXISTING,
    )
    assert existing.run_id == first.run_id
    await first.terminate()
    # Closed: REJECT_DUPLICATE refuses the id, the default policy reuses it for a new run.
    with pytest.raises(NexusOperationAlreadyStartedError):
        await nexus_client.start_operation(
            EchoService.echo,
            EchoInput("z"),
            id=operation_id,
            id_reuse_policy=NexusOperationIDReusePolicy.REJECT_DUPLICATE,
        )
    second = await nexus_client.start_operation(
        EchoService.echo, EchoInput("z"), id=operation_id, schedule_to_close_timeout=MINUTE
    )
    assert second.run_id != first.run_id
    assert (await second.result()).text == "hello z"


async def test_an_undecorated_callable_is_refused_before_any_call(
    client: Client, nexus_handler: NexusHandler
) -> None:
    def not_an_operation(value: str) -> str:
        return value

    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    with pytest.raises(ValueError, match="is not a Nexus operation"):
        await nexus_client.start_operation(not_an_operation, "x", id=_op_id("bad"))


async def test_a_server_without_standalone_nexus_says_how_to_turn_it_on(
    tempyral_target: str,
) -> None:
    # The session dev server runs with the server's defaults: standalone Nexus operations off.
    client = await Client.connect(tempyral_target)
    nexus_client = client.create_nexus_client(EchoService, "any-endpoint")
    with pytest.raises(RPCError) as refused:
        await nexus_client.start_operation(EchoService.echo, EchoInput("x"), id=_op_id("off"))
    assert refused.value.status == RPCStatusCode.UNIMPLEMENTED
    assert "Standalone Nexus operation is disabled" in refused.value.message
    assert "nexusoperation.enableStandalone=true" in refused.value.message


class _Recorder(Interceptor):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _RecordingOutbound(next, self.seen)


class _RecordingOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, seen: list[Any]) -> None:
        super().__init__(next)
        self.seen = seen

    async def start_nexus_operation(
        self, input: StartNexusOperationInput
    ) -> NexusOperationHandle[Any]:
        self.seen.append(input)
        input.headers = {**input.headers, "x-tempyral-interceptor": "yes"}
        return await super().start_nexus_operation(input)

    async def describe_nexus_operation(
        self, input: DescribeNexusOperationInput
    ) -> NexusOperationExecutionDescription:
        self.seen.append(input)
        return await super().describe_nexus_operation(input)

    async def get_nexus_operation_result(self, input: GetNexusOperationResultInput) -> Any:
        self.seen.append(input)
        return await super().get_nexus_operation_result(input)

    async def cancel_nexus_operation(self, input: CancelNexusOperationInput) -> None:
        self.seen.append(input)
        await super().cancel_nexus_operation(input)

    async def terminate_nexus_operation(self, input: TerminateNexusOperationInput) -> None:
        self.seen.append(input)
        await super().terminate_nexus_operation(input)

    def list_nexus_operations(self, input: ListNexusOperationsInput) -> Any:
        self.seen.append(input)
        return super().list_nexus_operations(input)

    async def count_nexus_operations(self, input: CountNexusOperationsInput) -> Any:
        self.seen.append(input)
        return await super().count_nexus_operations(input)


async def test_interceptors_see_every_nexus_call(nexus_handler: NexusHandler) -> None:
    recorder = _Recorder()
    client = await Client.connect(nexus_handler.target, interceptors=[recorder])
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    operation_id = _op_id("intercepted")
    handle = await nexus_client.start_operation(
        EchoService.echo, EchoInput("ivy"), id=operation_id, schedule_to_close_timeout=MINUTE
    )
    # The header the interceptor added reached the handler.
    assert (await handle.result()).headers == {"x-tempyral-interceptor": "yes"}
    await handle.result()  # kept: not intercepted again
    await handle.describe()
    to_cancel, to_terminate = [
        await nexus_client.start_operation(
            EchoService.wait, EchoInput(uuid.uuid4().hex), id=_op_id("intercepted")
        )
        for _ in range(2)
    ]
    await to_cancel.cancel(reason="r1")
    await to_terminate.terminate(reason="r2")
    _ = [op async for op in client.list_nexus_operations(f"OperationId = '{operation_id}'")]
    await client.count_nexus_operations(f"OperationId = '{operation_id}'")

    kinds = [type(input).__name__ for input in recorder.seen]
    assert kinds == [
        "StartNexusOperationInput",
        "GetNexusOperationResultInput",
        "DescribeNexusOperationInput",
        "StartNexusOperationInput",
        "StartNexusOperationInput",
        "CancelNexusOperationInput",
        "TerminateNexusOperationInput",
        "ListNexusOperationsInput",
        "CountNexusOperationsInput",
    ]
    start, result = recorder.seen[0], recorder.seen[1]
    assert (start.id, start.endpoint, start.service, start.operation) == (
        operation_id,
        nexus_handler.endpoint,
        "TempyralEchoService",
        "echo",
    )
    assert start.arg == EchoInput("ivy")
    assert start.result_type is EchoOutput
    assert (result.operation_id, result.run_id, result.result_type) == (
        operation_id,
        handle.run_id,
        EchoOutput,
    )
    assert [recorder.seen[5].reason, recorder.seen[6].reason] == ["r1", "r2"]


_OFFICIAL_READER = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from temporalio.client import Client

    async def main() -> None:
        target, operation_id = sys.argv[1:3]
        client = await Client.connect(target)
        handle = client.get_nexus_operation_handle(operation_id)
        result = await handle.result()
        description = await handle.describe()
        print(json.dumps({
            "result": result,
            "run_id": description.run_id,
            "status": description.status.name,
            "operation": description.operation,
            "summary": await description.static_summary(),
        }))

    asyncio.run(main())
    sys.stdout.flush()
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
    """
)


async def test_official_client_reads_an_operation_tempyral_started(
    client: Client, nexus_handler: NexusHandler
) -> None:
    nexus_client = client.create_nexus_client(EchoService, nexus_handler.endpoint)
    operation_id = _op_id("shared")
    handle = await nexus_client.start_operation(
        EchoService.echo,
        EchoInput("lin"),
        id=operation_id,
        summary="started by tempyral",
        schedule_to_close_timeout=MINUTE,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _OFFICIAL_READER,
        nexus_handler.target,
        operation_id,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout) == {
        "result": {"text": "hello lin", "headers": {}},
        "run_id": handle.run_id,
        "status": "COMPLETED",
        "operation": "echo",
        "summary": "started by tempyral",
    }


_OFFICIAL_STARTER = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from datetime import timedelta
    from temporalio.client import Client

    async def main() -> None:
        target, endpoint, operation_id = sys.argv[1:4]
        client = await Client.connect(target)
        nexus_client = client.create_nexus_client("TempyralEchoService", endpoint)
        handle = await nexus_client.start_operation(
            "echo",
            {"name": "official"},
            id=operation_id,
            summary="started by the official client",
            schedule_to_close_timeout=timedelta(minutes=1),
        )
        print(json.dumps({"run_id": handle.run_id}))

    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)
    """
)


async def test_tempyral_reads_an_operation_the_official_client_started(
    client: Client, nexus_handler: NexusHandler
) -> None:
    operation_id = _op_id("official")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _OFFICIAL_STARTER,
        nexus_handler.target,
        nexus_handler.endpoint,
        operation_id,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    run_id = json.loads(stdout)["run_id"]
    handle = client.get_nexus_operation_handle(operation_id, operation=EchoService.echo)
    assert await handle.result() == EchoOutput("hello official")
    description = await handle.describe()
    assert description.run_id == run_id
    assert await description.static_summary() == "started by the official client"
