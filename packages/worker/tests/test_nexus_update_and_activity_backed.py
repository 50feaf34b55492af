"""A standalone activity backing a Nexus operation served by a tempyral worker.

The server completes the caller when the activity ends only with activity completion
callbacks on (``activity.enableCallbacks``), which the session's dev server leaves off: this
module runs its own dev server with them on, its own official caller process
(``official/nexus_caller.py``) and a tempyral worker serving ``TempyralNexusService`` and the
``shout`` activity.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tempyral.api.nexus.v1.message_pb2 import EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1.request_response_pb2 import CreateNexusEndpointRequest
from tempyral.client import Client
from tempyral.nexus._token import OperationToken, OperationTokenType
from tempyral.testing import DevServer
from tempyral.worker import Worker

from .conftest import HERE, OfficialHost
from .nexus_services import TempyralNexusService, shout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(dynamic_config={"activity.enableCallbacks": True}) as dev_server:
        yield dev_server


@pytest.fixture(scope="module")
def caller_host(server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(
        server.target, f"nexus-caller-{uuid.uuid4()}", HERE / "official" / "nexus_caller.py"
    ).start()
    yield host
    host.stop()


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await Client.connect(server.target)


@pytest.fixture
async def endpoint(client: Client) -> AsyncIterator[tuple[str, str]]:
    name, task_queue = f"activity-backed-{uuid.uuid4().hex[:8]}", f"handler-{uuid.uuid4()}"
    target = EndpointTarget(
        worker=EndpointTarget.Worker(namespace=client.namespace, task_queue=task_queue)
    )
    await client.operator_service.create_nexus_endpoint(
        CreateNexusEndpointRequest(spec=EndpointSpec(name=name, target=target))
    )
    return name, task_queue


async def test_the_activity_result_completes_the_caller(
    client: Client, caller_host: OfficialHost, endpoint: tuple[str, str]
) -> None:
    name, task_queue = endpoint
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        activities=[shout],
    ):
        handle = await client.start_workflow(
            "CallNexus",
            {
                "endpoint": name,
                "service": "TempyralNexusService",
                "operation": "shout_by_activity",
                "input": "quiet",
            },
            id=f"call-{uuid.uuid4()}",
            task_queue=caller_host.task_queue,
        )
        outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome["result"] == "QUIET", caller_host.output()
    token = OperationToken.decode(outcome["token"])
    assert token.type == OperationTokenType.ACTIVITY
    assert token.activity_id is not None
    assert token.activity_id.startswith("shout-")
    # The activity was started with the caller's callback (its token names the activity).
    description = await client.get_activity_handle(token.activity_id).describe()
    assert len(description.raw_callbacks) == 1
