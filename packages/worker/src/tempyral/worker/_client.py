"""How a worker reaches the gRPC service and settings through its :py:class:`Client`.

Worker calls go through ``client.service_client.worker_service_client`` (a wrapped service client
points at the original one there), as in the official SDK. Client interceptors that are also
worker :py:class:`~tempyral.worker.Interceptor` s apply to the worker too, ahead of its own.
"""

from __future__ import annotations

from tempyral.client import Client
from tempyral.common import HeaderCodecBehavior
from tempyral.service import ServiceClient, WorkflowService

__all__ = ["decode_headers_with_codec", "worker_service_client", "worker_workflow_service"]


def worker_service_client(client: Client) -> ServiceClient:
    """The service client a worker on ``client`` calls through."""
    service = client.service_client
    underlying = getattr(service, "worker_service_client", None)
    if isinstance(underlying, ServiceClient):
        service = underlying
    return service


def worker_workflow_service(client: Client) -> WorkflowService:
    """The workflow service a worker on ``client`` polls and responds through."""
    return worker_service_client(client).workflow_service


def decode_headers_with_codec(client: Client) -> bool:
    """Whether activity headers go through the payload codec (``HeaderCodecBehavior.CODEC``)."""
    return client.config().get("header_codec_behavior") == HeaderCodecBehavior.CODEC
