"""`tempyral doctor --json` reports what each kind of server can really do.

Every capability value is checked against a server that has it and one that does not: the dev
server as it starts by default, dev servers with the relevant dynamic configs turned on or off,
and the official Java test server (time skipping for the whole server).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest

from tempyral.api.nexus.v1.message_pb2 import EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1.request_response_pb2 import CreateNexusEndpointRequest
from tempyral.service import ConnectConfig, ServiceClient
from tempyral.testing import DevServer, TestServer

from .conftest import RunCli

pytestmark = pytest.mark.integration

# Per-workflow time skipping, the deprecated build-id version sets and standalone Nexus
# operations are off by default.
FEATURES_ON = {
    "frontend.WorkflowTimeSkippingEnabled": True,
    "nexusoperation.enableStandalone": True,
    "frontend.workerVersioningDataAPIs": True,
    "frontend.workerVersioningWorkflowAPIs": True,
}
# Worker Deployment versioning, updates and eager workflow start are on by default.
FEATURES_OFF = {
    "system.enableDeploymentVersions": False,
    "frontend.enableUpdateWorkflowExecution": False,
    "frontend.enableUpdateWorkflowExecutionAsyncAccepted": False,
    "system.enableEagerWorkflowStart": False,
}


def capabilities(run_cli: RunCli, address: str) -> dict[str, object]:
    result = run_cli("doctor", "--json", "--address", address)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    found = {check["name"]: check for check in document["checks"]}
    facts = found["server capabilities"]["facts"]
    assert isinstance(facts, dict)
    return facts


@pytest.fixture(scope="module")
def features_on() -> Iterator[DevServer]:
    with DevServer(dynamic_config=FEATURES_ON) as server:
        yield server


@pytest.fixture(scope="module")
def features_off() -> Iterator[DevServer]:
    with DevServer(dynamic_config=FEATURES_OFF) as server:
        yield server


@pytest.fixture(scope="module")
def test_server() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


def test_the_default_dev_server(run_cli: RunCli, tempyral_dev_server: DevServer) -> None:
    facts = capabilities(run_cli, tempyral_dev_server.target)
    assert str(facts["server_version"]).startswith("1.")
    assert facts["updates"] is True
    assert facts["eager_workflow_start"] is True
    assert facts["worker_deployment_versioning"] is True
    assert facts["build_id_versioning"] is False
    assert facts["nexus"] is True
    assert facts["standalone_nexus_operations"] is False
    assert facts["time_skipping"] == "off"


def test_a_dev_server_with_time_skipping_version_sets_and_standalone_nexus(
    run_cli: RunCli, features_on: DevServer
) -> None:
    facts = capabilities(run_cli, features_on.target)
    assert facts["time_skipping"] == "per-workflow"
    assert facts["build_id_versioning"] is True
    assert facts["worker_deployment_versioning"] is True
    assert facts["standalone_nexus_operations"] is True


def test_a_dev_server_without_deployments_updates_or_eager_start(
    run_cli: RunCli, features_off: DevServer
) -> None:
    facts = capabilities(run_cli, features_off.target)
    assert facts["worker_deployment_versioning"] is False
    assert facts["updates"] is False
    assert facts["eager_workflow_start"] is False
    assert facts["time_skipping"] == "off"
    result = run_cli("doctor", "--address", features_off.target)
    assert "worker_deployment_versioning: no" in result.stdout
    assert "time_skipping: off" in result.stdout


def test_nexus_endpoints_are_counted(run_cli: RunCli, features_on: DevServer) -> None:
    before = capabilities(run_cli, features_on.target)["nexus_endpoints"]
    assert isinstance(before, int)

    async def create_endpoint() -> None:
        client = await ServiceClient.connect(ConnectConfig(target_host=features_on.target))
        target = EndpointTarget(
            worker=EndpointTarget.Worker(namespace="default", task_queue="doctor-nexus")
        )
        name = f"doctor-{uuid.uuid4().hex[:12]}"
        spec = EndpointSpec(name=name, target=target)
        await client.operator_service.create_nexus_endpoint(CreateNexusEndpointRequest(spec=spec))

    asyncio.run(create_endpoint())
    after = capabilities(run_cli, features_on.target)
    assert after["nexus"] is True
    assert after["nexus_endpoints"] == before + 1


def test_the_time_skipping_test_server(run_cli: RunCli, test_server: TestServer) -> None:
    facts = capabilities(run_cli, test_server.target)
    assert facts["time_skipping"] == "test-server"
    assert facts["server_version"] == "unknown"
    assert facts["updates"] is True
    assert facts["eager_workflow_start"] is True
    assert facts["worker_deployment_versioning"] is False
    assert facts["build_id_versioning"] is False
    assert facts["nexus"] is True
    assert facts["nexus_endpoints"] == 0
    assert facts["standalone_nexus_operations"] is False
    result = run_cli("doctor", "--address", test_server.target)
    assert "time_skipping: test-server" in result.stdout
