"""``CloudOperationsClient``: a client of the Temporal Cloud operations API.

The Cloud operations API (namespaces, users, API keys of a Temporal Cloud account) is a gRPC
service of its own, ``CloudService``, at ``saas-api.tmprl.cloud:443``. This client is a thin
holder of a :py:class:`~tempyral.service.ServiceClient`: it adds the API version header
(``temporal-cloud-api-version``) to every call and turns TLS on by default; the calls themselves
are the generated methods of ``cloud_service``, taking and returning
``tempyral.api.cloud.cloudservice.v1`` messages. Experimental upstream, and here too.
"""

from __future__ import annotations

from collections.abc import Mapping

from tempyral.client._helpers import NO_METADATA
from tempyral.runtime import Runtime
from tempyral.service import (
    CloudService,
    ConnectConfig,
    DnsLoadBalancingConfig,
    GrpcCompression,
    HttpConnectProxyConfig,
    KeepAliveConfig,
    RetryConfig,
    ServiceClient,
    TLSConfig,
)

__all__ = ["CLOUD_API_VERSION_HEADER", "CloudOperationsClient"]

CLOUD_API_VERSION_HEADER = "temporal-cloud-api-version"


class CloudOperationsClient:
    """Client of the Temporal Cloud operations API (experimental).

    Create one with :py:meth:`connect`; :py:attr:`cloud_service` has one async method per RPC.
    Like :py:class:`~tempyral.client.Client`, use it from the event loop it was connected in.
    """

    @staticmethod
    async def connect(
        *,
        api_key: str | None = None,
        version: str | None = None,
        target_host: str = "saas-api.tmprl.cloud:443",
        tls: bool | TLSConfig = True,
        retry_config: RetryConfig | None = None,
        keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        identity: str | None = None,
        lazy: bool = False,
        runtime: Runtime | None = None,
        http_connect_proxy_config: HttpConnectProxyConfig | None = None,
        dns_load_balancing_config: DnsLoadBalancingConfig | None = None,
        grpc_compression: GrpcCompression = GrpcCompression.GZIP,
    ) -> CloudOperationsClient:
        """Connect to the Temporal Cloud operations API.

        Args:
            api_key: Sent as ``authorization: Bearer <key>`` unless ``rpc_metadata`` has an
                ``authorization`` key; the Cloud API needs it.
            version: The API version, sent as the ``temporal-cloud-api-version`` header with
                every call (Temporal Cloud may require it for mutations).
            target_host: ``host:port`` of the API; the default is Temporal Cloud's endpoint.
            tls: ``True`` (the default) for TLS with the system's roots, a
                :py:class:`TLSConfig`, or ``False`` for plaintext (local test servers only).
            retry_config: Retries of calls made with ``retry=True``.
            keep_alive_config: HTTP/2 keep-alive pings; ``None`` turns them off.
            rpc_metadata: Headers sent with every call; per-call metadata wins over them.
            identity: Identity of this client; a default names the process and host.
            lazy: Connect on the first call instead of now.
            runtime: Telemetry of the client's calls (default: ``Runtime.default()``).
            http_connect_proxy_config: An HTTP CONNECT proxy to reach the API through.
            dns_load_balancing_config: Spread calls over the addresses the host resolves to.
            grpc_compression: Compression of the calls; gzip by default.

        Raises:
            RuntimeError: The API could not be reached (not with ``lazy``).
        """
        if version:
            rpc_metadata = {**rpc_metadata, CLOUD_API_VERSION_HEADER: version}
        config = ConnectConfig(
            target_host=target_host,
            api_key=api_key,
            tls=tls,
            retry_config=retry_config,
            keep_alive_config=keep_alive_config,
            rpc_metadata=rpc_metadata,
            identity=identity or "",
            lazy=lazy,
            runtime=runtime,
            http_connect_proxy_config=http_connect_proxy_config,
            dns_load_balancing_config=dns_load_balancing_config,
            grpc_compression=grpc_compression,
        )
        return CloudOperationsClient(await ServiceClient.connect(config))

    def __init__(self, service_client: ServiceClient) -> None:
        """Wrap an existing service client (its metadata should carry the version header)."""
        self._service_client = service_client

    @property
    def service_client(self) -> ServiceClient:
        """The underlying service client."""
        return self._service_client

    @property
    def cloud_service(self) -> CloudService:
        """The Cloud operations service: one async method per RPC."""
        return self._service_client.cloud_service

    @property
    def identity(self) -> str:
        """Identity of this client."""
        return self._service_client.config.identity

    @property
    def rpc_metadata(self) -> Mapping[str, str | bytes]:
        """Headers of every call, the version header included; replace, do not mutate."""
        return self._service_client.config.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str | bytes]) -> None:
        # Replaces the version header too: include it in ``value`` if the API needs it.
        self._service_client.config.rpc_metadata = value
        self._service_client.update_rpc_metadata(value)

    @property
    def api_key(self) -> str | None:
        """API key of every call (as ``authorization: Bearer <key>``)."""
        return self._service_client.config.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._service_client.config.api_key = value
        self._service_client.update_api_key(value)
