"""The gRPC health checking protocol (``grpc.health.v1.Health/Check``) messages.

The Temporal frontend serves the standard gRPC health service. Its two messages are small and
stable, so they are described here in code and registered in a descriptor pool of their own:
neither protobuf's default pool (where ``grpcio-health-checking`` or the official SDK may have
registered them) nor ``tempyral.api``'s pool is touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

__all__ = ["HEALTH_SERVICE", "HealthCheckRequest", "HealthCheckResponse"]

_PACKAGE = "grpc.health.v1"


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tempyral/service/grpc_health_v1.proto", package=_PACKAGE, syntax="proto3"
    )
    field = descriptor_pb2.FieldDescriptorProto
    request = proto.message_type.add(name="HealthCheckRequest")
    request.field.add(name="service", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    response = proto.message_type.add(name="HealthCheckResponse")
    status = response.enum_type.add(name="ServingStatus")
    for number, name in enumerate(("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        status.value.add(name=name, number=number)
    response.field.add(
        name="status",
        number=1,
        type=field.TYPE_ENUM,
        label=field.LABEL_OPTIONAL,
        type_name=f".{_PACKAGE}.HealthCheckResponse.ServingStatus",
    )
    service = proto.service.add(name="Health")
    service.method.add(
        name="Check",
        input_type=f".{_PACKAGE}.HealthCheckRequest",
        output_type=f".{_PACKAGE}.HealthCheckResponse",
    )
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
HEALTH_SERVICE: ServiceDescriptor = _POOL.FindServiceByName(f"{_PACKAGE}.Health")

if TYPE_CHECKING:

    class HealthCheckRequest(Message):
        """Asks whether ``service`` (empty: the server as a whole) is serving."""

        service: str

        def __init__(self, *, service: str = "") -> None: ...

    class HealthCheckResponse(Message):
        """The serving status; compare with ``HealthCheckResponse.ServingStatus.SERVING``."""

        class ServingStatus:
            UNKNOWN: ClassVar[int]
            SERVING: ClassVar[int]
            NOT_SERVING: ClassVar[int]
            SERVICE_UNKNOWN: ClassVar[int]

        UNKNOWN: ClassVar[int]
        SERVING: ClassVar[int]
        NOT_SERVING: ClassVar[int]
        SERVICE_UNKNOWN: ClassVar[int]
        status: int

        def __init__(self, *, status: int = 0) -> None: ...

else:
    HealthCheckRequest = message_factory.GetMessageClass(
        _POOL.FindMessageTypeByName(f"{_PACKAGE}.HealthCheckRequest")
    )
    HealthCheckResponse = message_factory.GetMessageClass(
        _POOL.FindMessageTypeByName(f"{_PACKAGE}.HealthCheckResponse")
    )
    HealthCheckRequest.__module__ = HealthCheckResponse.__module__ = __name__
