"""What a worker needs from its client, and how it reaches the gRPC service through it.

A :py:class:`tempyral.client.Client` has these attributes, as ``temporalio.client.Client`` does;
the worker asks for no more, so a wrapper exposing the same attributes works too. The service
used for worker calls is ``client.service_client.worker_service_client`` (a wrapped service
client points at the original one there), as in the official SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from tempyral.converter import DataConverter
from tempyral.service import ServiceClient, WorkflowService

__all__ = ["WorkerClient", "client_config", "worker_workflow_service"]


class WorkerClient(Protocol):
    """The attributes of ``tempyral.client.Client`` that workers and activities use."""

    @property
    def service_client(self) -> ServiceClient:
        """The service client the client sends its calls through."""
        ...

    @property
    def namespace(self) -> str:
        """The namespace the client (and a worker built on it) works in."""
        ...

    @property
    def identity(self) -> str:
        """The client's identity, the worker's default identity."""
        ...

    @property
    def data_converter(self) -> DataConverter:
        """The data converter shared by the client and its workers."""
        ...


def worker_workflow_service(client: WorkerClient) -> WorkflowService:
    """The workflow service a worker on ``client`` polls and responds through."""
    service = client.service_client
    underlying = getattr(service, "worker_service_client", None)
    if isinstance(underlying, ServiceClient):
        service = underlying
    return service.workflow_service


def client_config(client: WorkerClient) -> Mapping[str, Any]:
    """``client.config()`` when the client has one (interceptors, header codec behaviour)."""
    config = getattr(client, "config", None)
    if not callable(config):
        return {}
    try:
        found = config(active_config=True)
    except TypeError:
        found = config()
    return found if isinstance(found, Mapping) else {}
