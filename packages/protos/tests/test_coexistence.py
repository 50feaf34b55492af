"""tempyral.api and the official SDK's temporalio.api import and work in one process.

Both define the schema files temporal/api/...; protobuf's default pool refuses a second,
different schema under one file name, so tempyral registers in a private pool. This runs in a
fresh interpreter so that import order is under the test's control, both ways round.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import importlib, sys
    first, second = sys.argv[1:3]
    mods = {
        "tempyral": "tempyral.api.workflowservice.v1.request_response_pb2",
        "temporalio": "temporalio.api.workflowservice.v1.request_response_pb2",
    }
    loaded = {name: importlib.import_module(mods[name]) for name in (first, second)}
    ours, theirs = loaded["tempyral"], loaded["temporalio"]
    import tempyral.api.workflowservice.v1.service_pb2_grpc as our_grpc
    import temporalio.api.workflowservice.v1.service_pb2_grpc as their_grpc
    assert our_grpc.WorkflowServiceStub is not their_grpc.WorkflowServiceStub

    # Same wire format both ways.
    mine = ours.StartWorkflowExecutionRequest(namespace="default", workflow_id="w1")
    mine.workflow_type.name = "Greet"
    mine.input.payloads.add(metadata={"encoding": b"json/plain"}, data=b'"hi"')
    parsed = theirs.StartWorkflowExecutionRequest.FromString(mine.SerializeToString())
    assert parsed.workflow_type.name == "Greet"
    assert parsed.input.payloads[0].data == b'"hi"'
    back = ours.StartWorkflowExecutionRequest.FromString(parsed.SerializeToString())
    assert back == mine
    print("ok")
    """
)


@pytest.mark.parametrize("order", [("tempyral", "temporalio"), ("temporalio", "tempyral")])
def test_both_sdks_import_in_one_process(order: tuple[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT, *order],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
