"""Direct access to Temporal's gRPC services (mirrors ``temporalio.service``).

``await ServiceClient.connect(ConnectConfig(target_host="localhost:7233"))`` gives a client whose
``workflow_service``, ``operator_service``, ``cloud_service``, ``test_service`` and
``health_service`` have one async method per RPC, named like the official SDK's
(``start_workflow_execution(req, retry=False, metadata={}, timeout=None)``), taking and returning
``tempyral.api`` messages. Failed calls raise :py:class:`RPCError`.

Differences from ``temporalio.service``: forked child processes get a working connection of
their own. Added: :py:func:`payload_limit_violations` (with :py:class:`PayloadLimitViolation`),
the measurement behind ``PayloadLimitsConfig``'s warnings and a worker's payload error limits;
``ServiceClient.system_info``, the server's ``GetSystemInfo`` answer kept from connect (workers
read it rather than asking again).

Tests can run a client with no server: ``ServiceClient.connect(config,
transport=MockTransport(handler))`` answers every call with ``handler(rpc, request)`` (see
:py:class:`MockTransport`), and ``tempyral.client.Client(service_client)`` wraps it.

Diagnostics go through ``tempyral.common.logger``: warnings and errors reach standard
:py:mod:`logging` (see ``tempyral.common.configure_logging``), secrets redacted.
"""

import logging
from typing import TYPE_CHECKING

from tempyral.service._client import ServiceClient, ServiceRequest, ServiceResponse
from tempyral.service._config import (
    ConnectConfig,
    DnsLoadBalancingConfig,
    GrpcCompression,
    HttpConnectProxyConfig,
    KeepAliveConfig,
    RetryConfig,
    TLSConfig,
)
from tempyral.service._errors import RPCError, RPCStatusCode
from tempyral.service._mock import MockHandler, MockTransport
from tempyral.service._payload_limits import (
    PayloadLimitsConfig,
    PayloadLimitViolation,
    payload_limit_violations,
)
from tempyral.service._services import (
    CloudService,
    HealthService,
    OperatorService,
    TestService,
    WorkflowService,
)
from tempyral.service._transport import client_version

if TYPE_CHECKING:
    from tempyral.service._health import HealthCheckRequest, HealthCheckResponse

    __version__: str

LOG_PROTOS = False
"""Set to True to log every request and response (at DEBUG, on :py:data:`logger`)."""

logger = logging.getLogger(__name__)
"""The standard logger of ``tempyral.service`` (``LOG_PROTOS`` output; its children carry the
payload size warnings)."""


_HEALTH_NAMES = frozenset({"HealthCheckRequest", "HealthCheckResponse"})


def __getattr__(name: str) -> object:
    # PEP 562: the version is read from the installed metadata only when asked for, and the
    # health check's messages (built in a descriptor pool of their own) on their first use.
    if name == "__version__":
        return client_version()
    if name in _HEALTH_NAMES:
        from tempyral.service import _health

        value = getattr(_health, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_HEALTH_NAMES})


__all__ = [
    "LOG_PROTOS",
    "CloudService",
    "ConnectConfig",
    "DnsLoadBalancingConfig",
    "GrpcCompression",
    "HealthCheckRequest",
    "HealthCheckResponse",
    "HealthService",
    "HttpConnectProxyConfig",
    "KeepAliveConfig",
    "MockHandler",
    "MockTransport",
    "OperatorService",
    "PayloadLimitViolation",
    "PayloadLimitsConfig",
    "RPCError",
    "RPCStatusCode",
    "RetryConfig",
    "ServiceClient",
    "ServiceRequest",
    "ServiceResponse",
    "TLSConfig",
    "TestService",
    "WorkflowService",
    "__version__",
    "logger",
    "payload_limit_violations",
]
