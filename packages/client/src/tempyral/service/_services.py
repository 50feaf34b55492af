"""The service classes; their RPC methods are added from the service descriptors (see ``_rpc``).

Type checkers read ``_services.pyi`` instead of this module (regenerate it with
``python -m tempyral.service._stubgen``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempyral.api.workflowservice.v1 import service_pb2 as _workflow
from tempyral.service._rpc import ServiceStub, install_rpcs

if TYPE_CHECKING:
    from collections.abc import Callable

    from google.protobuf.descriptor import ServiceDescriptor

    from tempyral.service._client import ServiceClient

__all__ = ["CloudService", "HealthService", "OperatorService", "TestService", "WorkflowService"]


class WorkflowService(ServiceStub):
    """Client to the Temporal server's workflow service."""


class OperatorService(ServiceStub):
    """Client to the Temporal server's operator service."""

    def __init__(self, client: ServiceClient) -> None:
        _install_once(OperatorService, "operator", _operator_service)
        super().__init__(client)


class CloudService(ServiceStub):
    """Client to the Temporal Cloud operations API's cloud service."""

    def __init__(self, client: ServiceClient) -> None:
        # The Cloud protos take ~30 ms to import, and almost no program talking to a Temporal
        # server uses them.
        _install_once(CloudService, "cloud", _cloud_service)
        super().__init__(client)


class TestService(ServiceStub):
    """Client to the Temporal test server's test service."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, client: ServiceClient) -> None:
        _install_once(TestService, "test", _test_service)
        super().__init__(client)


class HealthService(ServiceStub):
    """Client to the Temporal server's health service."""

    def __init__(self, client: ServiceClient) -> None:
        _install_once(HealthService, "health", _health_service)
        super().__init__(client)


def _install_once(
    cls: type[ServiceStub], service_key: str, descriptor: Callable[[], ServiceDescriptor]
) -> None:
    """Add ``cls``'s RPCs when its first instance is made: only the workflow service's are
    added at import, the one every client and worker calls (``install_rpcs`` sets the class's
    ``_service_key``, so its presence says they are there)."""
    if "_service_key" not in cls.__dict__:
        install_rpcs(cls, service_key, descriptor())


def _operator_service() -> ServiceDescriptor:
    from tempyral.api.operatorservice.v1 import service_pb2

    return service_pb2.DESCRIPTOR.services_by_name["OperatorService"]


def _cloud_service() -> ServiceDescriptor:
    from tempyral.api.cloud.cloudservice.v1 import service_pb2

    return service_pb2.DESCRIPTOR.services_by_name["CloudService"]


def _test_service() -> ServiceDescriptor:
    from tempyral.api.testservice.v1 import service_pb2

    return service_pb2.DESCRIPTOR.services_by_name["TestService"]


def _health_service() -> ServiceDescriptor:
    from tempyral.service._health import HEALTH_SERVICE

    return HEALTH_SERVICE


install_rpcs(WorkflowService, "workflow", _workflow.DESCRIPTOR.services_by_name["WorkflowService"])
