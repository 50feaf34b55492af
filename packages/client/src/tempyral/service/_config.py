"""Connection settings: what ``ServiceClient.connect`` is given.

Field names, defaults and meanings are those of ``temporalio.service``; the translation of these
settings into gRPC channel options and credentials lives in ``_transport`` and ``_tls``.
"""

from __future__ import annotations

import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

import grpc

from tempyral.common._redact import redacted_repr
from tempyral.service._payload_limits import PayloadLimitsConfig

if TYPE_CHECKING:
    from tempyral.runtime import Runtime

__all__ = [
    "ConnectConfig",
    "DnsLoadBalancingConfig",
    "GrpcCompression",
    "HttpConnectProxyConfig",
    "KeepAliveConfig",
    "RetryConfig",
    "TLSConfig",
]


@dataclass
class TLSConfig:
    """TLS configuration for connecting to a Temporal server.

    Certificates and keys are PEM bytes. Leave ``server_root_ca_cert`` unset to verify the server
    against the system's root certificates.
    """

    server_root_ca_cert: bytes | None = None
    """Root CA (PEM) to validate the server certificate against."""

    domain: str | None = None
    """Name the server certificate is verified against and sent as SNI/authority, instead of the
    host in ``target_host``."""

    client_cert: bytes | None = None
    """Client certificate chain (PEM) for mutual TLS; requires :py:attr:`client_private_key`."""

    client_private_key: bytes | None = None
    """Client private key (PEM, unencrypted) for mutual TLS; requires :py:attr:`client_cert`."""

    def __repr__(self) -> str:
        return redacted_repr(self, ["client_private_key"])


@dataclass
class RetryConfig:
    """Retry configuration for server calls made with ``retry=True``."""

    initial_interval_millis: int = 100
    """Initial backoff interval."""
    randomization_factor: float = 0.2
    """Randomization jitter: each delay is scaled by a random factor in ``1 ± this``."""
    multiplier: float = 1.5
    """Backoff multiplier."""
    max_interval_millis: int = 5000
    """Maximum backoff interval."""
    max_elapsed_time_millis: int | None = 10000
    """Maximum total time spent retrying, or None for no limit."""
    max_retries: int = 10
    """Maximum number of attempts; 0 means no limit."""


@dataclass(frozen=True)
class KeepAliveConfig:
    """HTTP/2 keep-alive configuration for client connections."""

    interval_millis: int = 30000
    """Interval to send HTTP/2 keep-alive pings."""
    timeout_millis: int = 15000
    """Time a keep-alive ping must be answered within, or the connection is closed."""
    default: ClassVar[KeepAliveConfig]
    """Default keep-alive config."""


KeepAliveConfig.default = KeepAliveConfig()


@dataclass(frozen=True)
class HttpConnectProxyConfig:
    """An HTTP CONNECT proxy that client connections go through."""

    target_host: str
    """``host:port`` of the HTTP CONNECT proxy."""
    basic_auth: tuple[str, str] | None = None
    """Basic auth for the proxy as a ``(user, password)`` tuple, if any."""

    def __repr__(self) -> str:
        return redacted_repr(self, ["basic_auth"])


@dataclass(frozen=True)
class DnsLoadBalancingConfig:
    """Spread calls over every address the target host resolves to (round robin).

    gRPC re-resolves the name when a connection fails, and not more often than
    ``resolution_interval_millis``.
    """

    resolution_interval_millis: int = 30000
    """Minimum time between two DNS resolutions, in milliseconds."""
    default: ClassVar[DnsLoadBalancingConfig]
    """Default DNS load balancing config."""


DnsLoadBalancingConfig.default = DnsLoadBalancingConfig()


class GrpcCompression(ABC):
    """Transport-level gRPC compression; use the constants ``NONE`` and ``GZIP``."""

    NONE: ClassVar[GrpcCompression]
    """Do not compress requests."""
    GZIP: ClassVar[GrpcCompression]
    """Gzip-compress requests (and accept gzip-compressed responses)."""

    @abstractmethod
    def _to_grpc(self) -> grpc.Compression:
        raise NotImplementedError


@dataclass(frozen=True)
class _NoGrpcCompression(GrpcCompression):
    def _to_grpc(self) -> grpc.Compression:
        return grpc.Compression.NoCompression


@dataclass(frozen=True)
class _GzipGrpcCompression(GrpcCompression):
    def _to_grpc(self) -> grpc.Compression:
        return grpc.Compression.Gzip


GrpcCompression.NONE = _NoGrpcCompression()
GrpcCompression.GZIP = _GzipGrpcCompression()


@dataclass
class ConnectConfig:
    """Everything needed to connect to a Temporal server.

    ``tls`` is ``True`` for TLS with system roots, a :py:class:`TLSConfig`, ``False`` for
    plaintext, or ``None`` to decide from ``api_key``: TLS when an API key is set.
    ``connect_timeout`` bounds the check ``connect`` makes that the server answers (unless
    ``lazy``); by default that check has the usual 30 s call deadline.
    """

    target_host: str
    api_key: str | None = None
    tls: bool | TLSConfig | None = None
    retry_config: RetryConfig | None = None
    keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    identity: str = ""
    lazy: bool = False
    http_connect_proxy_config: HttpConnectProxyConfig | None = None
    dns_load_balancing_config: DnsLoadBalancingConfig | None = None
    grpc_compression: GrpcCompression = GrpcCompression.GZIP
    payload_limits: PayloadLimitsConfig = field(default_factory=PayloadLimitsConfig)
    """Warning thresholds for the payloads and memos of the requests sent (logged, still sent)."""
    connect_timeout: timedelta | None = None
    runtime: Runtime | None = None
    """Telemetry of the client's calls and its workers (default: ``Runtime.default()``)."""

    def __repr__(self) -> str:
        return redacted_repr(self, ["api_key"], metadata=["rpc_metadata"])

    def __post_init__(self) -> None:
        """Default the identity to ``pid@hostname``."""
        if not self.identity:
            self.identity = f"{os.getpid()}@{socket.gethostname()}"
        if self.runtime is None:
            from tempyral.runtime import Runtime

            self.runtime = Runtime.default()

    def _tls_config(self) -> TLSConfig | None:
        """The TLS settings to use, or None for plaintext."""
        if isinstance(self.tls, TLSConfig):
            return self.tls
        if self.tls or (self.tls is None and self.api_key is not None):
            return TLSConfig()
        return None
