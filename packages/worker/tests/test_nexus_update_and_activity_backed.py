"""A workflow update or a standalone activity backing a Nexus operation served by tempyral.

The server completes the caller when the update or the activity ends only with their
completion callbacks on (``history.enableUpdateCallbacks``, ``activity.enableCallbacks``),
which the session's dev server leaves off: this module runs its own dev server with them on,
its own official caller process (``official/nexus_caller.py``) and tempyral workers serving
``TempyralNexusService`` with the ``Tally`` workflow and the ``shout`` activity.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tempyral.api.nexus.v1.message_pb2 import EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1.request_response_pb2 import CreateNexusEndpointRequest
from tempyral.client import Client
from tempyral.nexus._token import OperationToken, OperationTokenType
from tempyral.testing import DevServer
from tempyral.worker import Worker

from .conftest import HERE, OfficialHost
from .nexus_services import Tally, TempyralNexusService, shout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    callbacks_on = {"activity.enableCallbacks": True, "history.enableUpdateCallbacks": True}
    with DevServer(dynamic_config=callbacks_on) as dev_server:
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


async def call(
    client: Client, host: OfficialHost, endpoint: str, operation: str, input: Any
) -> Any:
    """Start the official caller on ``operation`` and return its workflow's handle."""
    return await client.start_workflow(
        "CallNexus",
        {
            "endpoint": endpoint,
            "service": "TempyralNexusService",
            "operation": operation,
            "input": input,
        },
        id=f"call-{operation}-{uuid.uuid4()}",
        task_queue=host.task_queue,
    )


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
        handle = await call(client, caller_host, name, "shout_by_activity", "quiet")
        outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome["result"] == "QUIET", caller_host.output()
    token = OperationToken.decode(outcome["token"])
    assert token.type == OperationTokenType.ACTIVITY
    assert token.activity_id is not None
    assert token.activity_id.startswith("shout-")
    # The activity was started with the caller's callback (its token names the activity).
    description = await client.get_activity_handle(token.activity_id).describe()
    assert len(description.raw_callbacks) == 1


async def test_a_workflow_update_completes_the_caller_when_it_ends(
    client: Client, caller_host: OfficialHost, endpoint: tuple[str, str]
) -> None:
    name, task_queue = endpoint
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        workflows=[Tally],
    ):
        tally = await client.start_workflow(
            Tally.run, id=f"tally-{uuid.uuid4()}", task_queue=task_queue
        )
        # An update that does not wait: answered at once when the server's response already
        # carries its outcome, else through the callback as below; the caller gets 1 either way.
        at_once = await call(
            client, caller_host, name, "add_by_update", {"workflow_id": tally.id, "wait": False}
        )
        outcome = await asyncio.wait_for(at_once.result(), 60)
        assert outcome["result"] == 1
        outcome_tokens = [outcome["token"]]
        # Accepted and waiting: asynchronous, completed by the update's completion callback.
        later = await call(
            client, caller_host, name, "add_by_update", {"workflow_id": tally.id, "wait": True}
        )
        await _until_update_accepted(client, tally.id)
        await tally.signal(Tally.release)
        outcome = await asyncio.wait_for(later.result(), 60)
    assert outcome["result"] == 2, caller_host.output()
    token = OperationToken.decode(outcome["token"])
    assert (token.type, token.workflow_id) == (OperationTokenType.UPDATE_WORKFLOW, tally.id)
    # The update got an ID of its own (the Nexus request ID), distinct from the first one's.
    first = OperationToken.decode(outcome_tokens[0]) if outcome_tokens[0] else None
    assert token.update_id
    assert first is None or first.update_id != token.update_id


async def _until_update_accepted(client: Client, workflow_id: str, timeout: float = 30) -> None:
    async def accepted() -> None:
        while True:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            if (
                sum(
                    event.HasField("workflow_execution_update_accepted_event_attributes")
                    for event in history.events
                )
                >= 2
            ):
                return
            await asyncio.sleep(0.1)

    await asyncio.wait_for(accepted(), timeout)
