"""Calls against the real dev server: responses, errors, metadata, API keys, deadlines, loops."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from tempyral.api.common.v1 import message_pb2 as common
from tempyral.api.dependencies.google.protobuf import empty_pb2
from tempyral.api.enums.v1 import update_pb2 as update_enums
from tempyral.api.errordetails.v1.message_pb2 import WorkflowExecutionAlreadyStartedFailure
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue
from tempyral.api.update.v1 import message_pb2 as update_pb
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import (
    ConnectConfig,
    HealthCheckRequest,
    HealthCheckResponse,
    RPCError,
    RPCStatusCode,
    ServiceClient,
)

if TYPE_CHECKING:
    from conftest import RecordingProxy


async def connect(target: str, **kwargs: object) -> ServiceClient:
    return await ServiceClient.connect(ConnectConfig(target_host=target, **kwargs))  # type: ignore[arg-type]


def start_request(workflow_id: str) -> wf.StartWorkflowExecutionRequest:
    return wf.StartWorkflowExecutionRequest(
        namespace="default",
        workflow_id=workflow_id,
        workflow_type=common.WorkflowType(name="NeverRuns"),
        task_queue=taskqueue.TaskQueue(name=f"tq-{workflow_id}"),
        request_id=str(uuid.uuid4()),
        identity="test",
    )


async def test_connect_and_call(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    info = await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert info.server_version
    assert info.capabilities.signal_and_query_header
    assert client.worker_service_client is client


async def test_health_check(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    assert await client.check_health() is True
    response = await client.health_service.check(HealthCheckRequest())
    assert response.status == HealthCheckResponse.ServingStatus.SERVING


async def test_server_error_details_unpack_into_our_error_detail_classes(
    tempyral_target: str,
) -> None:
    client = await connect(tempyral_target)
    workflow_id = f"dup-{uuid.uuid4()}"
    first = await client.workflow_service.start_workflow_execution(start_request(workflow_id))
    with pytest.raises(RPCError) as caught:
        await client.workflow_service.start_workflow_execution(start_request(workflow_id))
    err = caught.value
    assert err.status == RPCStatusCode.ALREADY_EXISTS
    assert "already" in err.message.lower()
    assert err.raw_grpc_status
    detail = WorkflowExecutionAlreadyStartedFailure()
    assert err.grpc_status.details[0].Unpack(detail)
    assert detail.run_id == first.run_id
    await client.workflow_service.terminate_workflow_execution(
        wf.TerminateWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=common.WorkflowExecution(workflow_id=workflow_id),
        )
    )


async def test_not_found_and_unimplemented_are_rpc_errors(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    with pytest.raises(RPCError) as caught:
        await client.workflow_service.describe_namespace(
            wf.DescribeNamespaceRequest(namespace=f"missing-{uuid.uuid4()}")
        )
    assert caught.value.status == RPCStatusCode.NOT_FOUND
    assert caught.value.__cause__ is not None  # the gRPC error, for debugging
    # The dev server has no test service.
    with pytest.raises(RPCError) as caught:
        await client.test_service.get_current_time(empty_pb2.Empty())
    assert caught.value.status == RPCStatusCode.UNIMPLEMENTED
    assert caught.value.raw_grpc_status == b""


async def test_connect_fails_clearly_when_nothing_listens(unused_tcp_port: int) -> None:
    target = f"127.0.0.1:{unused_tcp_port}"
    with pytest.raises(
        RuntimeError, match=f"Failed client connect: UNAVAILABLE.*{target}"
    ) as caught:
        await connect(target)
    assert isinstance(caught.value.__cause__, RPCError)


async def test_lazy_client_connects_on_first_call(
    tempyral_target: str, unused_tcp_port: int
) -> None:
    unreachable = await connect(f"127.0.0.1:{unused_tcp_port}", lazy=True)
    with pytest.raises(RPCError) as caught:
        await unreachable.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert caught.value.status == RPCStatusCode.UNAVAILABLE
    lazy = await connect(tempyral_target, lazy=True)
    assert (await lazy.workflow_service.get_system_info(wf.GetSystemInfoRequest())).server_version


async def test_metadata_api_key_and_client_headers_reach_the_server(
    recording_proxy: RecordingProxy,
) -> None:
    tag = str(uuid.uuid4())
    client = await connect(
        recording_proxy.target,
        api_key="first-key",
        tls=False,
        rpc_metadata={"x-tag": tag, "x-static": "configured", "x-blob-bin": b"\x00\x01"},
    )
    await client.workflow_service.describe_namespace(
        wf.DescribeNamespaceRequest(namespace="default"), metadata={"x-static": "per-call"}
    )
    client.update_api_key("second-key")
    client.update_rpc_metadata({"x-tag": tag, "x-new": "added"})
    await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    client.update_api_key(None)
    await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())

    calls = recording_proxy.calls_with("x-tag", tag)
    paths = [call.method for call in calls]
    assert paths == [
        "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",  # connect
        "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace",
        "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
        "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
    ]
    connect_call, describe, rotated, no_key = calls
    assert connect_call.metadata["authorization"] == "Bearer first-key"
    assert describe.metadata["x-static"] == "per-call"  # per-call metadata wins
    assert describe.metadata["x-blob-bin"] == b"\x00\x01"
    assert describe.metadata["temporal-namespace"] == "default"
    assert describe.metadata["client-name"] == "tempyral-python"
    assert describe.metadata["client-version"]
    assert rotated.metadata["authorization"] == "Bearer second-key"
    assert rotated.metadata["x-new"] == "added"
    assert "x-static" not in rotated.metadata
    assert "authorization" not in no_key.metadata


async def test_invalid_metadata_is_refused_before_sending(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    with pytest.raises(ValueError, match="binary key x-data-bin: expected bytes"):
        await client.workflow_service.get_system_info(
            wf.GetSystemInfoRequest(), metadata={"x-data-bin": "text"}
        )
    with pytest.raises(ValueError, match="ASCII key x-data: expected str"):
        client.update_rpc_metadata({"x-data": b"bytes"})


async def test_deadlines_default_to_30s_and_70s_for_long_polls(
    recording_proxy: RecordingProxy,
) -> None:
    tag = str(uuid.uuid4())
    client = await connect(recording_proxy.target, rpc_metadata={"x-tag": tag})
    await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    await client.workflow_service.get_system_info(
        wf.GetSystemInfoRequest(), timeout=timedelta(seconds=5)
    )
    remaining = [call.time_remaining for call in recording_proxy.calls_with("x-tag", tag)]
    assert remaining[0] is not None
    assert 25 < remaining[0] <= 30.5
    assert remaining[1] is not None
    assert 25 < remaining[1] <= 30.5
    assert remaining[2] is not None
    assert remaining[2] <= 5.5

    waited = time.monotonic()
    with pytest.raises(RPCError):
        # Waiting for new history events is a long poll: 70 s (the workflow does not exist,
        # so the server answers at once).
        await client.workflow_service.get_workflow_execution_history(
            wf.GetWorkflowExecutionHistoryRequest(
                namespace="default",
                execution=common.WorkflowExecution(workflow_id=f"missing-{tag}"),
                wait_new_event=True,
            )
        )
    assert time.monotonic() - waited < 10
    long_poll = recording_proxy.calls_with("x-tag", tag)[-1]
    assert long_poll.time_remaining is not None
    assert 65 < long_poll.time_remaining <= 70.5


async def test_explicit_timeout_gives_deadline_exceeded(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    workflow_id = f"no-worker-{uuid.uuid4()}"
    await client.workflow_service.start_workflow_execution(start_request(workflow_id))
    update = wf.UpdateWorkflowExecutionRequest(
        namespace="default",
        workflow_execution=common.WorkflowExecution(workflow_id=workflow_id),
        wait_policy=update_pb.WaitPolicy(
            lifecycle_stage=update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
        ),
        request=update_pb.Request(
            meta=update_pb.Meta(update_id="u1"), input=update_pb.Input(name="never-accepted")
        ),
    )
    started = time.monotonic()
    with pytest.raises(RPCError) as caught:
        # No worker will accept the update: the server holds the call until our deadline.
        # (A call that ignored the deadline would be held for the server's own, much longer wait:
        # wait_for makes that a failure, with no tight window for a loaded machine to miss.)
        await asyncio.wait_for(
            client.workflow_service.update_workflow_execution(
                update, retry=True, timeout=timedelta(seconds=1)
            ),
            30,
        )
    assert caught.value.status == RPCStatusCode.DEADLINE_EXCEEDED  # and it is not retried
    # The deadline was not cut short (a lower bound only: load can only lengthen the call).
    assert time.monotonic() - started > 0.9


def test_one_client_works_from_several_event_loops(tempyral_target: str) -> None:
    client = asyncio.run(connect(tempyral_target))

    async def call() -> str:
        return (
            await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
        ).server_version

    assert asyncio.run(call())
    assert asyncio.run(call())


async def test_concurrent_calls_share_the_connection(tempyral_target: str) -> None:
    client = await connect(tempyral_target)
    results = await asyncio.gather(
        *(client.workflow_service.get_system_info(wf.GetSystemInfoRequest()) for _ in range(50))
    )
    assert len({r.server_version for r in results}) == 1


async def test_grpc_target_forms_pass_through(tempyral_target: str) -> None:
    client = await connect(f"dns:///{tempyral_target}")
    assert await client.check_health()


async def test_url_targets_are_deprecated_but_work(tempyral_target: str) -> None:
    with pytest.warns(DeprecationWarning, match="Target host as URL"):
        client = await connect(f"http://{tempyral_target}")
    assert await client.check_health()
