"""The generated tempyral.api: complete services, wire-compatible messages, a private pool."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import grpc
from google.protobuf import json_format

from tempyral.api import _pool
from tempyral.api.common.v1 import message_pb2 as common
from tempyral.api.dependencies.google.protobuf import duration_pb2
from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.history.v1 import message_pb2 as history
from tempyral.api.operatorservice.v1 import service_pb2 as operator_service
from tempyral.api.operatorservice.v1 import service_pb2_grpc as operator_grpc
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.api.workflowservice.v1 import service_pb2 as workflow_service
from tempyral.api.workflowservice.v1 import service_pb2_grpc as workflow_grpc


def test_workflow_service_stub_has_every_rpc() -> None:
    rpcs = workflow_service.DESCRIPTOR.services_by_name["WorkflowService"].methods_by_name
    # The RPCs the SDK relies on are all there, and the stub exposes each one.
    for name in (
        "StartWorkflowExecution",
        "SignalWithStartWorkflowExecution",
        "PollWorkflowTaskQueue",
        "RespondWorkflowTaskCompleted",
        "GetWorkflowExecutionHistory",
        "UpdateWorkflowExecution",
        "ExecuteMultiOperation",
        "CreateSchedule",
        "GetSystemInfo",
    ):
        assert name in rpcs
    assert len(rpcs) > 80
    operator_rpcs = operator_service.DESCRIPTOR.services_by_name["OperatorService"].methods_by_name
    assert "AddSearchAttributes" in operator_rpcs
    # A channel connects lazily: building stubs needs no server.
    with grpc.insecure_channel("127.0.0.1:1") as channel:
        stub = workflow_grpc.WorkflowServiceStub(channel)
        assert [name for name in rpcs if not callable(getattr(stub, name, None))] == []
        operator_stub = operator_grpc.OperatorServiceStub(channel)
        assert [n for n in operator_rpcs if not callable(getattr(operator_stub, n, None))] == []


def test_wire_names_stay_temporal() -> None:
    # gRPC paths, Any type URLs and json/protobuf payload metadata carry these names.
    assert common.Payload.DESCRIPTOR.full_name == "temporal.api.common.v1.Payload"
    service = workflow_service.DESCRIPTOR.services_by_name["WorkflowService"]
    assert service.full_name == "temporal.api.workflowservice.v1.WorkflowService"


def test_messages_live_in_the_private_pool() -> None:
    name = "temporal/api/common/v1/message.proto"
    assert _pool.POOL.FindFileByName(name) is common.DESCRIPTOR
    assert common.DESCRIPTOR.pool is _pool.POOL
    # Nothing of ours in the default pool: another Temporal schema can register there freely.
    # In a fresh interpreter, since other tests' imports (temporalio) may fill the default pool.
    script = (
        "import tempyral.api.history.v1.message_pb2\n"
        "from google.protobuf import descriptor_pool\n"
        "try:\n"
        "    descriptor_pool.Default().FindMessageTypeByName("
        "'temporal.api.history.v1.HistoryEvent')\n"
        "except KeyError:\n"
        "    print('absent')\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip() == "absent", result.stderr


def test_message_round_trip_and_json() -> None:
    event = history.HistoryEvent(
        event_id=1,
        event_type=event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflow_execution_started_event_attributes=history.WorkflowExecutionStartedEventAttributes(
            workflow_type=common.WorkflowType(name="Greet"),
            input=common.Payloads(
                payloads=[common.Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')]
            ),
        ),
    )
    event.event_time.FromDatetime(datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc))
    again = history.HistoryEvent.FromString(event.SerializeToString())
    assert again == event
    as_json = json_format.MessageToDict(event)
    assert as_json["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert as_json["eventTime"] == "2026-01-02T00:00:00Z"
    assert json_format.ParseDict(as_json, history.HistoryEvent()) == event


def test_well_known_types_work_in_fields() -> None:
    request = wf.StartWorkflowExecutionRequest(
        workflow_run_timeout=duration_pb2.Duration(seconds=5),
        workflow_task_timeout=datetime.timedelta(seconds=10),
    )
    assert request.workflow_run_timeout.ToTimedelta() == datetime.timedelta(seconds=5)
    assert request.workflow_task_timeout.ToTimedelta() == datetime.timedelta(seconds=10)
    request.workflow_execution_timeout.FromTimedelta(datetime.timedelta(minutes=1))
    assert request.workflow_execution_timeout.seconds == 60


def test_pure_python_protobuf_runtime_works() -> None:
    """PyPy and some platforms run protobuf's pure-Python implementation: the pool works there."""
    script = (
        "from google.protobuf.internal import api_implementation as impl\n"
        "assert impl.Type() == 'python', impl.Type()\n"
        "from tempyral.api.workflowservice.v1 import request_response_pb2 as wf\n"
        "from tempyral.api.workflowservice.v1 import service_pb2_grpc\n"
        "import datetime\n"
        "r = wf.StartWorkflowExecutionRequest(workflow_id='w', "
        "workflow_run_timeout=datetime.timedelta(seconds=3))\n"
        "assert wf.StartWorkflowExecutionRequest.FromString(r.SerializeToString()) == r\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
