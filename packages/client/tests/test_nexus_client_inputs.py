"""What ``NexusClient`` makes of its arguments, seen by a client interceptor (no server needed).

The interceptor records each ``StartNexusOperationInput`` and stops the call there, so these
tests cover how the service, the operation and the result type are resolved from the forms a
user may pass, and the defaults, before anything is sent. The end-to-end behaviour is in
``test_nexus_operations.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nexusrpc
import pytest
from nexusrpc.handler import StartOperationContext, service_handler, sync_operation

from tempyral.client import (
    Client,
    GetNexusOperationResultInput,
    Interceptor,
    NexusOperationHandle,
    OutboundInterceptor,
    StartNexusOperationInput,
)
from tempyral.common import NexusOperationIDConflictPolicy, NexusOperationIDReusePolicy


@nexusrpc.service(name="Renamed")
class Named:
    shout: nexusrpc.Operation[str, bytes]


@nexusrpc.service
class Plain:
    whisper: nexusrpc.Operation[str, int] = nexusrpc.Operation(name="whisper-op")


@service_handler(service=Named)
class NamedHandler:
    @sync_operation
    async def shout(self, ctx: StartOperationContext, input: str) -> bytes:
        return input.upper().encode()


class NotAService:
    pass


class _Stop(Exception):
    """Raised by the interceptor instead of calling the server."""


class _Capture(Interceptor):
    def __init__(self) -> None:
        self.inputs: list[StartNexusOperationInput] = []
        self.result_inputs: list[GetNexusOperationResultInput] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        capture = self

        class Outbound(OutboundInterceptor):
            async def start_nexus_operation(
                self, input: StartNexusOperationInput
            ) -> NexusOperationHandle[Any]:
                capture.inputs.append(input)
                raise _Stop

            async def get_nexus_operation_result(self, input: GetNexusOperationResultInput) -> Any:
                capture.result_inputs.append(input)
                raise _Stop

        return Outbound(next)


@pytest.fixture
async def capture() -> _Capture:
    return _Capture()


@pytest.fixture
async def client(capture: _Capture) -> Client:
    # Lazy: nothing listens there, and nothing is sent.
    return await Client.connect("127.0.0.1:1", lazy=True, interceptors=[capture])


async def _start(client: Client, capture: _Capture, service: Any, **kwargs: Any) -> Any:
    nexus_client = client.create_nexus_client(service, "the-endpoint")
    operation = kwargs.pop("operation")
    with pytest.raises(_Stop):
        await nexus_client.start_operation(operation, "arg", id="op-1", **kwargs)
    return capture.inputs[-1]


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        (Named, Named.shout, ("Renamed", "shout", bytes)),
        (Plain, Plain.whisper, ("Plain", "whisper-op", int)),
        (NamedHandler, NamedHandler.shout, ("Renamed", "shout", bytes)),
        ("By-Name", "anything", ("By-Name", "anything", None)),
        (NotAService, "op", ("NotAService", "op", None)),
    ],
)
async def test_service_operation_and_result_type_are_resolved(
    client: Client,
    capture: _Capture,
    service: Any,
    operation: Any,
    expected: tuple[str, str, type | None],
) -> None:
    sent = await _start(client, capture, service, operation=operation)
    assert (sent.service, sent.operation, sent.result_type) == expected
    assert sent.endpoint == "the-endpoint"
    assert (sent.id, sent.arg) == ("op-1", "arg")


async def test_defaults_and_options_reach_the_interceptor(
    client: Client, capture: _Capture
) -> None:
    sent = await _start(client, capture, Named, operation="shout")
    assert sent.id_reuse_policy == NexusOperationIDReusePolicy.ALLOW_DUPLICATE
    assert sent.id_conflict_policy == NexusOperationIDConflictPolicy.FAIL
    assert sent.headers == {}
    assert sent.summary is None
    assert sent.schedule_to_close_timeout is None

    headers = {"x-a": "1"}
    sent = await _start(
        client,
        capture,
        Named,
        operation="shout",
        result_type=str,
        headers=headers,
        summary="s",
        id_conflict_policy=NexusOperationIDConflictPolicy.USE_EXISTING,
    )
    assert sent.result_type is str
    assert sent.headers == {"x-a": "1"}
    assert sent.headers is not headers  # the caller's mapping is not shared with interceptors
    assert sent.summary == "s"
    assert sent.id_conflict_policy == NexusOperationIDConflictPolicy.USE_EXISTING


async def test_result_type_only_applies_to_an_operation_given_by_name(
    client: Client, capture: _Capture
) -> None:
    # As in the official SDK: a definition's output type wins over result_type.
    sent = await _start(client, capture, Named, operation=Named.shout, result_type=str)
    assert sent.result_type is bytes


@pytest.mark.parametrize("not_an_operation", [len, lambda value: value, NotAService])
async def test_a_callable_that_is_not_an_operation_is_refused_before_any_call(
    client: Client, capture: _Capture, not_an_operation: Callable[..., Any]
) -> None:
    nexus_client = client.create_nexus_client(Named, "the-endpoint")
    with pytest.raises(ValueError, match="is not a Nexus operation"):
        await nexus_client.start_operation(not_an_operation, "x", id="op-2")
    assert capture.inputs == []


async def test_a_handle_by_id_takes_the_result_type_from_the_operation_unless_given(
    client: Client, capture: _Capture
) -> None:
    by_operation = client.get_nexus_operation_handle("op", operation=Named.shout)
    both = client.get_nexus_operation_handle(
        "op", operation=Named.shout, result_type=str, run_id="r"
    )
    for handle in (by_operation, both):
        with pytest.raises(_Stop):
            await handle.result()
    first, second = capture.result_inputs
    assert (first.operation_id, first.run_id, first.result_type) == ("op", None, bytes)
    assert (second.operation_id, second.run_id, second.result_type) == ("op", "r", str)
    # A handle by id knows no endpoint, service or operation: the result has no Nexus context.
    assert (second.endpoint, second.service, second.operation) == ("", "", "")
    assert (both.endpoint, both.service) == ("", "")
