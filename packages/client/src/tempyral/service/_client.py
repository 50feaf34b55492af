"""``ServiceClient``: a connection to a Temporal server and the calls made over it.

``_GrpcServiceClient._rpc_call`` is the one path every RPC takes: it finds the RPC, picks the
deadline (70 s for long polls, 30 s otherwise, unless given), builds the metadata (per-call
metadata, then the client's ``rpc_metadata``, then ``authorization: Bearer <api key>``, the
namespace and client headers; earlier entries win), sends the call through the transport of this
process and event loop, translates failures into ``RPCError`` and, with ``retry=True``, retries
them as ``_retry`` decides. API key and metadata changes apply from the next attempt on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any, TypeVar

from google.protobuf.message import Message

try:
    import grpc
except ImportError as missing:  # tempyral.service is the first to import grpc in this package
    raise ModuleNotFoundError(
        "tempyral.service (and with it tempyral.client.Client and tempyral.envconfig) needs "
        "grpcio, which tempyral-client installs only with its grpc extra: "
        "pip install 'tempyral-client[grpc]'",
        name="grpc",
    ) from missing

from tempyral.api.workflowservice.v1.request_response_pb2 import (
    GetSystemInfoRequest,
    GetSystemInfoResponse,
)
from tempyral.common._logging import logger
from tempyral.common._redact import remember_secret
from tempyral.service._config import ConnectConfig, RetryConfig
from tempyral.service._errors import RPCError, RPCStatusCode, rpc_error_from_grpc
from tempyral.service._metrics import RpcMetrics
from tempyral.service._payload_limits import warn_about_payload_sizes
from tempyral.service._retry import RetryPlan, call_type
from tempyral.service._rpc import NO_METADATA, lookup
from tempyral.service._secrets import remember_credentials, remember_metadata, remember_tokens
from tempyral.service._services import (
    CloudService,
    HealthService,
    OperatorService,
    TestService,
    WorkflowService,
)
from tempyral.service._tls import TLSFacts
from tempyral.service._transport import (
    CLIENT_NAME,
    ChannelSettings,
    Transport,
    client_version,
    failed_on_a_stale_fork_socket,
    new_transport,
    park,
)

__all__ = ["ServiceClient", "ServiceRequest", "ServiceResponse"]

ServiceRequest = TypeVar("ServiceRequest", bound=Message)
ServiceResponse = TypeVar("ServiceResponse", bound=Message)

_WORKFLOW_HEALTH = "temporal.api.workflowservice.v1.WorkflowService"
_COMPRESSION_REFUSED = ("decompress", "grpc-encoding", "compressor")


class ServiceClient(ABC):
    """Direct client to Temporal services."""

    @staticmethod
    async def connect(
        config: ConnectConfig, *, transport: Transport | None = None
    ) -> ServiceClient:
        """Connect directly to Temporal services.

        ``transport`` (tempyral only) replaces the gRPC channel, e.g. with a
        :py:class:`MockTransport` in tests: calls go through it with the same metadata, error
        translation and retries, and the connect check (``GetSystemInfo``) is answered by it.
        """
        return await _GrpcServiceClient.connect(config, transport=transport)

    def __init__(self, config: ConnectConfig) -> None:
        """Initialize the base service client."""
        super().__init__()
        self.config = config
        self.workflow_service = WorkflowService(self)
        self._cloud_service: CloudService | None = None
        self._system_info: GetSystemInfoResponse | None = None

    # The other services are made on first use (their RPCs and protos load then); as cached
    # properties they can still be replaced per client, as the official SDK's attributes can.
    @cached_property
    def operator_service(self) -> OperatorService:
        """The operator service (search attributes, Nexus endpoints, namespaces' clusters)."""
        return OperatorService(self)

    @cached_property
    def test_service(self) -> TestService:
        """The test server's service (time skipping)."""
        return TestService(self)

    @cached_property
    def health_service(self) -> HealthService:
        """The gRPC health service."""
        return HealthService(self)

    @property
    def system_info(self) -> GetSystemInfoResponse | None:
        """The server's answer to the connect check (``GetSystemInfo``), kept (tempyral only).

        None when no connect check was answered: a lazy client, or a server without the
        workflow service. Workers read the server's version and capabilities here rather than
        asking again at every start; with None they ask.
        """
        return self._system_info

    @property
    def cloud_service(self) -> CloudService:
        """The Cloud operations API's service (its RPCs loaded on first use)."""
        if self._cloud_service is None:
            self._cloud_service = CloudService(self)
        return self._cloud_service

    async def check_health(
        self,
        *,
        service: str = _WORKFLOW_HEALTH,
        retry: bool = False,
        metadata: Mapping[str, str | bytes] = NO_METADATA,
        timeout: timedelta | None = None,
    ) -> bool:
        """Check whether the given service (by default the WorkflowService) is up.

        Returns:
            True when available, False if the server is running but the service is not
            (rare); raises :py:class:`RPCError` if the server/service cannot be reached.
        """
        from tempyral.service._health import HealthCheckRequest, HealthCheckResponse

        resp = await self.health_service.check(
            HealthCheckRequest(service=service), retry=retry, metadata=metadata, timeout=timeout
        )
        return resp.status == HealthCheckResponse.ServingStatus.SERVING

    @property
    @abstractmethod
    def worker_service_client(self) -> ServiceClient:
        """Underlying service client."""
        raise NotImplementedError

    @abstractmethod
    def update_rpc_metadata(self, metadata: Mapping[str, str | bytes]) -> None:
        """Replace the metadata sent with every call."""
        raise NotImplementedError

    @abstractmethod
    def update_api_key(self, api_key: str | None) -> None:
        """Replace the API key sent (as ``authorization: Bearer ...``) with every call."""
        raise NotImplementedError

    @abstractmethod
    async def _rpc_call(
        self,
        rpc: str,
        req: Message,
        resp_type: type[ServiceResponse],
        *,
        service: str,
        retry: bool,
        metadata: Mapping[str, str | bytes],
        timeout: timedelta | None,
    ) -> ServiceResponse:
        raise NotImplementedError


def _checked_metadata(metadata: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """Lower-cased keys; ``-bin`` keys need bytes values, others str (as in gRPC)."""
    checked: dict[str, str | bytes] = {}
    for key, value in metadata.items():
        name = key.lower()
        if name.endswith("-bin"):
            if not isinstance(value, bytes):
                raise ValueError(f"Invalid metadata value for binary key {key}: expected bytes")
        elif not isinstance(value, str):
            raise ValueError(f"Invalid metadata value for ASCII key {key}: expected str")
        checked[name] = value
    return checked


class _GrpcServiceClient(ServiceClient):
    """The ServiceClient of tempyral, over gRPC (``grpc.aio``; see ``_transport``)."""

    @staticmethod
    async def connect(
        config: ConnectConfig, *, transport: Transport | None = None
    ) -> _GrpcServiceClient:
        client = _GrpcServiceClient(config, transport=transport)
        if not config.lazy:
            await client._connect()
        return client

    def __init__(self, config: ConnectConfig, *, transport: Transport | None = None) -> None:
        super().__init__(config)
        self._settings = ChannelSettings.from_config(config)
        # A transport given by the caller is used in every process and for every setting.
        self._given_transport = transport
        tls = self._settings.tls
        self._facts = TLSFacts(
            target=self._settings.target,
            tls=tls is not None,
            custom_ca=tls is not None and tls.server_root_ca_cert is not None,
            client_cert=tls is not None and tls.client_cert is not None,
            domain=tls.domain if tls is not None else None,
        )
        self._retry_config = config.retry_config or RetryConfig()
        # Log lines never show these, whatever message they end up in (a server's error text).
        remember_credentials(config)
        self._api_key = config.api_key
        self._rpc_metadata = _checked_metadata(config.rpc_metadata)
        # The metadata of calls without metadata of their own, by (service, namespace): the
        # same for every such call until the client's metadata or API key changes.
        self._plain_metadata: dict[tuple[str, str], tuple[tuple[str, str | bytes], ...]] = {}
        self._transport: Transport | None = None
        self._transport_pid = 0
        runtime = config.runtime
        metrics = (
            RpcMetrics(runtime.metric_meter, runtime.metric_prefix) if runtime is not None else None
        )
        # A runtime without metrics (the default): no attributes built and dropped per call.
        self._rpc_metrics = metrics if metrics is not None and metrics.enabled else None

    async def _connect(self) -> None:
        """Check the server answers (GetSystemInfo), as the official SDK does on connect.

        UNIMPLEMENTED counts as an answer: a server without the workflow service (the Cloud
        operations API) is reachable all the same.
        """
        timeout = self.config.connect_timeout
        try:
            try:
                self._system_info = await self.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timeout
                )
            except RPCError as err:
                refused = err.status == RPCStatusCode.UNIMPLEMENTED and any(
                    word in err.message.lower() for word in _COMPRESSION_REFUSED
                )
                if err.status == RPCStatusCode.UNIMPLEMENTED and not refused:
                    # The server answers but serves no workflow service (the Cloud operations
                    # API): connected, as the official SDK's core treats it.
                    return
                if not refused or self._settings.compression is None:
                    raise
                self._settings.compression = None  # the server cannot read gzip: send plain
                self._transport = None
                self._system_info = await self.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timeout
                )
        except RPCError as err:
            raise RuntimeError(
                f"Failed client connect: {err.status.name}: {err.message} "
                f"(target {self.config.target_host})"
            ) from err

    @property
    def worker_service_client(self) -> _GrpcServiceClient:
        """Underlying service client."""
        return self

    def update_rpc_metadata(self, metadata: Mapping[str, str | bytes]) -> None:
        """Replace the metadata sent with every call (from the next call on)."""
        self._rpc_metadata = _checked_metadata(metadata)
        remember_metadata(self._rpc_metadata)
        self._plain_metadata = {}

    def update_api_key(self, api_key: str | None) -> None:
        """Replace the API key sent with every call (from the next call on)."""
        remember_secret(api_key)
        self._api_key = api_key
        self._plain_metadata = {}

    def _transport_here(self) -> Transport:
        """The transport for this process; a forked child gets its own."""
        if self._given_transport is not None:
            return self._given_transport
        pid = os.getpid()
        if self._transport is None or self._transport_pid != pid:
            self._transport = new_transport(self._settings)
            self._transport_pid = pid
        return self._transport

    def _renew_transport(self) -> None:
        if self._given_transport is None and self._transport is not None:
            park(self._transport)
            self._transport = None

    def _metadata(
        self, service: str, req: Message, call_metadata: Mapping[str, str | bytes]
    ) -> Sequence[tuple[str, str | bytes]]:
        if call_metadata:
            return self._merged_metadata(service, req, call_metadata)
        namespace = getattr(req, "namespace", None) if service == "workflow" else None
        key = (service, namespace if isinstance(namespace, str) else "")
        cached = self._plain_metadata.get(key)
        if cached is None:
            cached = tuple(self._merged_metadata(service, req, call_metadata))
            if len(self._plain_metadata) < 64:  # a few namespaces, never unbounded
                self._plain_metadata[key] = cached
        return cached

    def _merged_metadata(
        self, service: str, req: Message, call_metadata: Mapping[str, str | bytes]
    ) -> list[tuple[str, str | bytes]]:
        merged = _checked_metadata(call_metadata) if call_metadata else {}
        for key, value in self._rpc_metadata.items():
            merged.setdefault(key, value)
        if self._api_key is not None:
            merged.setdefault("authorization", f"Bearer {self._api_key}")
        if service == "workflow":
            namespace = getattr(req, "namespace", None)
            if isinstance(namespace, str) and namespace:
                merged.setdefault("temporal-namespace", namespace)
        merged.setdefault("client-name", CLIENT_NAME)
        merged.setdefault("client-version", client_version())
        return list(merged.items())

    async def _rpc_call(
        self,
        rpc: str,
        req: Message,
        resp_type: type[ServiceResponse],
        *,
        service: str,
        retry: bool,
        metadata: Mapping[str, str | bytes],
        timeout: timedelta | None,
    ) -> ServiceResponse:
        method = lookup(service, rpc)
        if not isinstance(req, method.request_type):
            expected = method.request_type
            raise TypeError(
                f"{rpc} takes a {expected.__module__}.{expected.__qualname__}, not a "
                f"{type(req).__module__}.{type(req).__qualname__}"
            )
        warn_about_payload_sizes(req, self.config.payload_limits)
        remember_tokens(req)  # a token answered, or completed asynchronously by the caller
        log_protos = _service_module().LOG_PROTOS
        if log_protos:
            service_logger().debug("Service %s request to %s: %s", service, rpc, req)
        kind = call_type(method.proto_name, req)
        seconds = timeout.total_seconds() if timeout is not None else kind.default_timeout
        plan = RetryPlan(self._retry_config, kind) if retry else None
        attempt = 0
        fork_retried = False
        while True:
            attempt += 1
            md = self._metadata(service, req, metadata)
            started = time.monotonic()
            try:
                response = await self._transport_here().unary(
                    method.path, req, resp_type, timeout=seconds, metadata=md
                )
            except grpc.RpcError as grpc_error:
                if not hasattr(grpc_error, "code"):
                    raise
                if not fork_retried and failed_on_a_stale_fork_socket(grpc_error):
                    # Never sent: send it once more on a fresh channel, whatever ``retry`` says.
                    fork_retried, attempt = True, attempt - 1
                    self._renew_transport()
                    continue
                error = rpc_error_from_grpc(grpc_error, self._facts)
                cause: grpc.RpcError = grpc_error
            else:
                if self._rpc_metrics is not None:
                    elapsed = time.monotonic() - started
                    self._rpc_metrics.succeeded(method.proto_name, req, kind.is_long, elapsed)
                remember_tokens(response)  # the tasks a poll (or an eager start) hands out
                if log_protos:
                    service_logger().debug(
                        "Service %s response from %s: %s", service, rpc, response
                    )
                return response
            if self._rpc_metrics is not None:
                self._rpc_metrics.failed(method.proto_name, req, kind.is_long, error.status.name)
            delay = plan.delay_after(attempt, error) if plan is not None else None
            if delay is None:
                raise error from cause
            _log_retry(plan, method.proto_name, attempt, error, delay)
            await asyncio.sleep(delay)


def _service_module() -> Any:
    # The package's LOG_PROTOS is a switch users flip at run time (as in the official SDK).
    return sys.modules["tempyral.service"]


def service_logger() -> logging.Logger:
    """``tempyral.service.logger``: where ``LOG_PROTOS`` logs requests and responses."""
    return logging.getLogger("tempyral.service")


def _log_retry(
    plan: RetryPlan | None, rpc: str, attempt: int, error: RPCError, delay: float
) -> None:
    level = plan.should_log(attempt) if plan is not None else None
    if attempt == 1:
        level = "debug"
    if level is None:
        return
    logger.log(
        level.upper(),
        "gRPC call {} failed (attempt {}): {}: {}; retrying in {:.3f}s",
        rpc,
        attempt,
        error.status.name,
        error.message,
        delay,
    )
