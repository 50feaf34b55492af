"""The service classes; their RPC methods are added from the service descriptors (see ``_rpc``).

Type checkers read ``_services.pyi`` instead of this module (regenerate it with
``python -m tempyral.service._stubgen``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempyral.api.operatorservice.v1 import service_pb2 as _operator
from tempyral.api.testservice.v1 import service_pb2 as _test
from tempyral.api.workflowservice.v1 import service_pb2 as _workflow
from tempyral.service import _health
from tempyral.service._rpc import ServiceStub, install_rpcs

if TYPE_CHECKING:
    from tempyral.service._client import ServiceClient

__all__ = ["CloudService", "HealthService", "OperatorService", "TestService", "WorkflowService"]


class WorkflowService(ServiceStub):
    """Client to the Temporal server's workflow service."""


class OperatorService(ServiceStub):
    """Client to the Temporal server's operator service."""


class CloudService(ServiceStub):
    """Client to the Temporal Cloud operations API's cloud service."""

    def __init__(self, client: ServiceClient) -> None:
        _install_cloud_rpcs()
        super().__init__(client)


def _install_cloud_rpcs() -> None:
    # On the first CloudService: the Cloud protos take ~30 ms to import, and almost no program
    # talking to a Temporal server uses them.
    if "list_namespaces" not in CloudService.__dict__:
        from tempyral.api.cloud.cloudservice.v1 import service_pb2 as cloud

        install_rpcs(CloudService, "cloud", cloud.DESCRIPTOR.services_by_name["CloudService"])


class TestService(ServiceStub):
    """Client to the Temporal test server's test service."""

    __test__ = False  # not a pytest test class, despite its name


class HealthService(ServiceStub):
    """Client to the Temporal server's health service."""


install_rpcs(WorkflowService, "workflow", _workflow.DESCRIPTOR.services_by_name["WorkflowService"])
install_rpcs(OperatorService, "operator", _operator.DESCRIPTOR.services_by_name["OperatorService"])
install_rpcs(TestService, "test", _test.DESCRIPTOR.services_by_name["TestService"])
install_rpcs(HealthService, "health", _health.HEALTH_SERVICE)
