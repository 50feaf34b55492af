"""Service classes built from gRPC service descriptors: one async method per RPC.

Nothing lists RPCs by hand: :func:`install_rpcs` reads a service descriptor (``WorkflowService``
has over a hundred methods) and adds a method named like the official SDK's (snake case of the
RPC name) to a :class:`ServiceStub` subclass. Each method forwards to the client's ``_rpc_call``
with its request/response types and gRPC path. The registry lets ``_rpc_call`` find the RPC from
the (service, method name) pair the official SDK's signature passes.

Type checkers see the methods through ``_services.pyi``, rendered from the same descriptors by
``_stubgen`` and checked against them by a test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, ServiceDescriptor
from google.protobuf.message import Message

if TYPE_CHECKING:
    from tempyral.service._client import ServiceClient

__all__ = ["NO_METADATA", "RpcMethod", "ServiceStub", "install_rpcs", "lookup", "snake_case"]

NO_METADATA: Mapping[str, str | bytes] = MappingProxyType({})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``GetWorkflowExecutionHistory`` -> ``get_workflow_execution_history``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


@dataclass(frozen=True)
class RpcMethod:
    """One unary RPC of a service, as the client calls it."""

    service_key: str
    """Short service name as in the official SDK: ``workflow``, ``operator``, ``test``, ..."""
    name: str
    """Python method name (snake case)."""
    proto_name: str
    """RPC name in the proto (``StartWorkflowExecution``)."""
    path: str
    """gRPC path: ``/<package>.<Service>/<Method>``."""
    request_type: type[Message]
    response_type: type[Message]


_REGISTRY: dict[tuple[str, str], RpcMethod] = {}


def lookup(service_key: str, name: str) -> RpcMethod:
    """The RPC called ``name`` on ``service_key``; KeyError names the service if unknown."""
    try:
        return _REGISTRY[(service_key, name)]
    except KeyError:
        raise KeyError(f"no RPC {name!r} on the {service_key} service") from None


class ServiceStub:
    """Base of the generated service classes: holds the client the calls go through."""

    _service_key: str = ""

    def __init__(self, client: ServiceClient) -> None:
        """Initialize service with the provided ServiceClient."""
        self._client = client
        self._service = self._service_key


def _message_class(descriptor: Descriptor) -> type[Message]:
    # The class the generated module registered for this descriptor (protobuf caches it).
    return message_factory.GetMessageClass(descriptor)


def _make_rpc(method: RpcMethod, owner: str) -> Any:
    async def rpc(
        self: ServiceStub,
        req: Message,
        retry: bool = False,
        metadata: Mapping[str, str | bytes] = NO_METADATA,
        timeout: timedelta | None = None,
    ) -> Message:
        return await self._client._rpc_call(
            rpc=method.name,
            req=req,
            resp_type=method.response_type,
            service=method.service_key,
            retry=retry,
            metadata=metadata,
            timeout=timeout,
        )

    rpc.__name__ = method.name
    rpc.__qualname__ = f"{owner}.{method.name}"
    rpc.__doc__ = f"Invokes the {owner}.{method.name} rpc method."
    return rpc


def rpc_methods(service_key: str, service: ServiceDescriptor) -> list[RpcMethod]:
    """The unary RPCs of ``service``."""
    package = service.full_name.rsplit(".", 1)[0]
    found = []
    for method in service.methods:
        if method.client_streaming or method.server_streaming:
            continue  # Temporal's services are unary; a streaming RPC would need its own API
        found.append(
            RpcMethod(
                service_key=service_key,
                name=snake_case(method.name),
                proto_name=method.name,
                path=f"/{package}.{service.name}/{method.name}",
                request_type=_message_class(method.input_type),
                response_type=_message_class(method.output_type),
            )
        )
    return found


def install_rpcs(cls: type[ServiceStub], service_key: str, service: ServiceDescriptor) -> None:
    """Add one async method per unary RPC of ``service`` to ``cls`` and register them."""
    cls._service_key = service_key
    for method in rpc_methods(service_key, service):
        _REGISTRY[(service_key, method.name)] = method
        setattr(cls, method.name, _make_rpc(method, cls.__name__))
