"""The same Nexus service on an official worker and on a tempyral worker: the caller sees the same.

``nexus_services.TempyralNexusService`` runs on a tempyral worker here and, from the same
source, on an official worker in its own process (``official/nexus_handler.py``), each behind an
endpoint of its own. The official caller (``official/nexus_caller.py``) calls each operation on
both; what it gets back (results, handler error types, messages and retry behaviour, operation
errors and their causes) must be the same, apart from IDs.
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
from tempyral.testing import DevServer
from tempyral.worker import Worker

from .conftest import HERE, OfficialHost
from .nexus_services import Greet, TempyralNexusService, WaitForever

SERVICE = "TempyralNexusService"


@pytest.fixture(scope="module")
def official_handler(tempyral_dev_server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(
        tempyral_dev_server.target,
        f"official-nexus-handler-{uuid.uuid4()}",
        HERE / "official" / "nexus_handler.py",
    ).start()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def parity_caller(tempyral_dev_server: DevServer) -> Iterator[OfficialHost]:
    host = OfficialHost(
        tempyral_dev_server.target,
        f"official-nexus-parity-caller-{uuid.uuid4()}",
        HERE / "official" / "nexus_caller.py",
    ).start()
    yield host
    host.stop()


async def create_endpoint(client: Client, task_queue: str) -> str:
    name = f"parity-{uuid.uuid4().hex[:12]}"
    target = EndpointTarget(
        worker=EndpointTarget.Worker(namespace=client.namespace, task_queue=task_queue)
    )
    await client.operator_service.create_nexus_endpoint(
        CreateNexusEndpointRequest(spec=EndpointSpec(name=name, target=target))
    )
    return name


@pytest.fixture
async def endpoints(
    client: Client, task_queue: str, official_handler: OfficialHost
) -> AsyncIterator[dict[str, str]]:
    async with Worker(
        client,
        task_queue=task_queue,
        nexus_service_handlers=[TempyralNexusService()],
        workflows=[Greet, WaitForever],
    ):
        yield {
            "tempyral": await create_endpoint(client, task_queue),
            "official": await create_endpoint(client, official_handler.task_queue),
        }


def without_ids(outcome: Any) -> Any:
    """The outcome without what differs by run: IDs, tokens, the caller's own run."""
    if isinstance(outcome, dict):
        return {
            key: without_ids(value)
            for key, value in outcome.items()
            if key not in ("token", "operation_token", "caller_id", "caller_run_id")
        }
    return outcome


@pytest.mark.parametrize(
    ("operation", "input"),
    [
        ("echo", "same"),
        ("fail", "bad_request"),
        ("fail", "not_found"),
        ("fail", "internal_non_retryable"),
        ("fail", "unauthorized"),
        ("fail", "unauthenticated"),
        ("fail", "not_implemented"),
        ("fail", "unavailable_non_retryable"),
        ("fail", "resource_exhausted_non_retryable"),
        ("fail", "application_non_retryable"),
        ("fail", "operation_failed"),
        ("fail", "operation_canceled"),
        ("greet_by_workflow", "both"),
        ("greet_by_temporal_operation", "both"),
        # SystemExit, then KeyboardInterrupt, then an answer: retried the same way by both.
        ("survive", f"parity-{uuid.uuid4().hex}"),
    ],
)
async def test_the_caller_sees_the_same_from_both_sdks_handlers(
    client: Client,
    parity_caller: OfficialHost,
    endpoints: dict[str, str],
    operation: str,
    input: str,
) -> None:
    async def call(endpoint: str) -> Any:
        handle = await client.start_workflow(
            "CallNexus",
            {"endpoint": endpoint, "service": SERVICE, "operation": operation, "input": input},
            id=f"parity-{operation}-{uuid.uuid4()}",
            task_queue=parity_caller.task_queue,
        )
        return await asyncio.wait_for(handle.result(), 60)

    official, ours = await asyncio.gather(call(endpoints["official"]), call(endpoints["tempyral"]))
    assert without_ids(ours) == without_ids(official)
