"""``Client``: the entry point of ``tempyral.client``.

``await Client.connect("localhost:7233")`` connects a :py:class:`tempyral.service.ServiceClient`
and wraps it; ``Client(service_client, namespace=...)`` wraps an existing one (another namespace
over the same connection, for instance). Each call builds an input dataclass and passes it down
the interceptor chain, which ends in ``_impl._ClientImpl``.

A client belongs to one event loop at a time; forked children get their own connection (see
``tempyral.service``).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import Required, Self, TypedDict

from tempyral.client._build_id_calls import _BuildIdClientCalls
from tempyral.client._definitions import (
    workflow_name_and_result_type,
)
from tempyral.client._handle import WorkflowHandle
from tempyral.client._helpers import NO_METADATA
from tempyral.client._impl import _ClientImpl
from tempyral.client._inputs import CountWorkflowsInput, ListWorkflowsInput, RpcMetadata
from tempyral.client._interceptor import Interceptor, OutboundInterceptor
from tempyral.client._nexus_calls import _NexusClientCalls
from tempyral.client._plugin import Plugin
from tempyral.client._standalone_activity_variants import _StandaloneActivityCalls
from tempyral.client._types import ReturnType
from tempyral.client._with_start import _UpdateWithStartCalls
from tempyral.client._workflow_calls import _WorkflowStartCalls
from tempyral.common import (
    HeaderCodecBehavior,
    QueryRejectCondition,
    SearchAttributes,
    TypedSearchAttributes,
    _warn_on_deprecated_search_attributes,
)
from tempyral.converter import DataConverter
from tempyral.runtime import Runtime
from tempyral.service import (
    ConnectConfig,
    DnsLoadBalancingConfig,
    GrpcCompression,
    HttpConnectProxyConfig,
    KeepAliveConfig,
    OperatorService,
    PayloadLimitsConfig,
    RetryConfig,
    ServiceClient,
    TestService,
    TLSConfig,
    WorkflowService,
)

if TYPE_CHECKING:
    from tempyral.client._activity import AsyncActivityHandle
    from tempyral.client._list import WorkflowExecutionAsyncIterator, WorkflowExecutionCount
    from tempyral.client._schedule import Schedule, ScheduleBackfill, ScheduleHandle
    from tempyral.client._schedule_describe import ScheduleAsyncIterator

__all__ = ["Client", "ClientConfig", "ClientConnectConfig"]


class ClientConnectConfig(TypedDict, total=False):
    """Keyword arguments of :py:meth:`Client.connect`."""

    target_host: str
    namespace: str
    api_key: str | None
    data_converter: DataConverter
    plugins: Sequence[Plugin]
    interceptors: Sequence[Interceptor]
    default_workflow_query_reject_condition: QueryRejectCondition | None
    tls: bool | TLSConfig | None
    retry_config: RetryConfig | None
    keep_alive_config: KeepAliveConfig | None
    connect_timeout: timedelta | None
    rpc_metadata: Mapping[str, str | bytes]
    identity: str | None
    lazy: bool
    http_connect_proxy_config: HttpConnectProxyConfig | None
    dns_load_balancing_config: DnsLoadBalancingConfig | None
    grpc_compression: GrpcCompression
    payload_limits: PayloadLimitsConfig
    header_codec_behavior: HeaderCodecBehavior


class ClientConfig(TypedDict, total=False):
    """What a :py:class:`Client` was created with (see :py:meth:`Client.config`)."""

    service_client: Required[ServiceClient]
    namespace: Required[str]
    data_converter: Required[DataConverter]
    plugins: Required[Sequence[Plugin]]
    interceptors: Required[Sequence[Interceptor]]
    default_workflow_query_reject_condition: Required[QueryRejectCondition | None]
    header_codec_behavior: Required[HeaderCodecBehavior]


class Client(
    _WorkflowStartCalls,
    _UpdateWithStartCalls,
    _StandaloneActivityCalls,
    _BuildIdClientCalls,
    _NexusClientCalls,
):
    """Client for a Temporal namespace.

    Most users call :py:meth:`connect`. :py:attr:`workflow_service` and
    :py:attr:`operator_service` give the raw gRPC calls.
    """

    @classmethod
    async def connect(
        cls,
        target_host: str,
        *,
        namespace: str = "default",
        api_key: str | None = None,
        data_converter: DataConverter = DataConverter.default,
        plugins: Sequence[Plugin] = (),
        interceptors: Sequence[Interceptor] = (),
        default_workflow_query_reject_condition: QueryRejectCondition | None = None,
        tls: bool | TLSConfig | None = None,
        retry_config: RetryConfig | None = None,
        keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default,
        connect_timeout: timedelta | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        identity: str | None = None,
        lazy: bool = False,
        runtime: Runtime | None = None,
        http_connect_proxy_config: HttpConnectProxyConfig | None = None,
        dns_load_balancing_config: DnsLoadBalancingConfig | None = None,
        grpc_compression: GrpcCompression = GrpcCompression.GZIP,
        payload_limits: PayloadLimitsConfig = PayloadLimitsConfig(),  # noqa: B008 - frozen, as upstream
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> Self:
        """Connect to a Temporal server.

        Args:
            target_host: ``host:port`` of the server, e.g. ``localhost:7233``.
            namespace: Namespace of the client's calls.
            api_key: Sent as ``authorization: Bearer <key>`` (unless ``rpc_metadata`` has an
                ``authorization`` key); turns TLS on unless ``tls=False``.
            data_converter: Converts values to and from payloads.
            plugins: Client plugins; earlier ones wrap later ones. Those that are also
                ``tempyral.worker.Plugin`` apply to every worker built on this client too.
            interceptors: Client interceptors; earlier ones wrap later ones.
            default_workflow_query_reject_condition: Reject condition of queries that give none.
            tls: ``True`` for TLS with system roots, a :py:class:`TLSConfig`, ``False`` for
                plaintext, or ``None`` for TLS exactly when an API key is set.
            retry_config: Retries of the client's calls (all of which retry).
            keep_alive_config: HTTP/2 keep-alive; ``None`` disables it.
            connect_timeout: Limit of one TCP connection attempt.
            rpc_metadata: Headers of every call; per-call metadata overrides them.
            identity: Identity recorded with the client's calls (default ``pid@host``).
            lazy: Connect on the first call instead of now.
            http_connect_proxy_config: HTTP CONNECT proxy to go through.
            dns_load_balancing_config: Spread calls over the addresses the host resolves to.
            grpc_compression: Request compression (gzip by default).
            payload_limits: Warning thresholds for outbound payload/memo sizes. Over-threshold
                fields are logged but still sent. Set a threshold to 0 to disable it.
            header_codec_behavior: Whether the payload codec encodes headers.
            runtime: Telemetry of the client and its workers (default: ``Runtime.default()``).

        Raises:
            RuntimeError: The server could not be reached (not with ``lazy``).
        """
        config = ConnectConfig(
            target_host=target_host,
            api_key=api_key,
            tls=tls,
            retry_config=retry_config,
            keep_alive_config=keep_alive_config,
            rpc_metadata=rpc_metadata,
            identity=identity or "",
            lazy=lazy,
            http_connect_proxy_config=http_connect_proxy_config,
            dns_load_balancing_config=dns_load_balancing_config,
            grpc_compression=grpc_compression,
            payload_limits=payload_limits,
            connect_timeout=connect_timeout,
            runtime=runtime,
        )
        return cls(
            await _connect_through(plugins, config),
            namespace=namespace,
            data_converter=data_converter,
            plugins=plugins,
            interceptors=interceptors,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            header_codec_behavior=header_codec_behavior,
        )

    def __init__(
        self,
        service_client: ServiceClient,
        *,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
        plugins: Sequence[Plugin] = (),
        interceptors: Sequence[Interceptor] = (),
        default_workflow_query_reject_condition: QueryRejectCondition | None = None,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> None:
        """Create a client over an existing service client (see :py:meth:`connect`)."""
        config = ClientConfig(
            service_client=service_client,
            namespace=namespace,
            data_converter=data_converter,
            plugins=list(plugins),
            interceptors=list(interceptors),
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            header_codec_behavior=header_codec_behavior,
        )
        self._initial_config = copy.copy(config)
        for plugin in plugins:
            config = plugin.configure_client(config)
        self._config = config
        self._impl: OutboundInterceptor = _ClientImpl(self)
        for interceptor in reversed(list(config["interceptors"])):
            self._impl = interceptor.intercept_client(self._impl)
        # Set by a tempyral worker sharing this client: whether it can run a workflow task of
        # this task queue right away, which is what eager workflow start needs.
        self._eager_workflow_start_hook: Callable[[str], bool] | None = None
        # Set by the same worker: runs the first workflow task the server returns with an eager
        # start (a PollWorkflowTaskQueueResponse), which no poll would ever deliver.
        self._eager_workflow_task_hook: Callable[[Any], None] | None = None

    def config(self, *, active_config: bool = False) -> ClientConfig:
        """A shallow copy of the configuration this client was created with.

        With ``active_config``, the configuration in use: what the plugins made of it.
        """
        config = copy.copy(self._config if active_config else self._initial_config)
        config["interceptors"] = list(config["interceptors"])
        return config

    @property
    def service_client(self) -> ServiceClient:
        """The raw gRPC service client."""
        return self._config["service_client"]

    @property
    def workflow_service(self) -> WorkflowService:
        """The raw gRPC workflow service."""
        return self.service_client.workflow_service

    @property
    def operator_service(self) -> OperatorService:
        """The raw gRPC operator service."""
        return self.service_client.operator_service

    @property
    def test_service(self) -> TestService:
        """The raw gRPC test service (time-skipping test server only)."""
        return self.service_client.test_service

    @property
    def namespace(self) -> str:
        """Namespace of this client's calls."""
        return self._config["namespace"]

    @property
    def identity(self) -> str:
        """Identity recorded with this client's calls."""
        return self.service_client.config.identity

    @property
    def data_converter(self) -> DataConverter:
        """Data converter of this client."""
        return self._config["data_converter"]

    @property
    def rpc_metadata(self) -> Mapping[str, str | bytes]:
        """Headers of every call (set a new mapping to change them; do not mutate this one)."""
        return self.service_client.config.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str | bytes]) -> None:
        self.service_client.update_rpc_metadata(value)  # validates before anything changes
        self.service_client.config.rpc_metadata = value

    @property
    def api_key(self) -> str | None:
        """API key sent with every call."""
        return self.service_client.config.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self.service_client.config.api_key = value
        self.service_client.update_api_key(value)

    def _eager_workflow_start_available(self, task_queue: str) -> bool:
        hook = self._eager_workflow_start_hook
        return hook is not None and hook(task_queue)

    # -- workflows (start and execute are in _workflow_calls) -----------------------------------

    def get_workflow_handle(
        self,
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """A handle to an existing workflow; with ``run_id`` every call targets that run."""
        return WorkflowHandle(
            self,
            workflow_id,
            run_id=run_id,
            result_run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type,
        )

    def get_workflow_handle_for(
        self,
        workflow: Callable[..., Awaitable[ReturnType]],
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
    ) -> WorkflowHandle[Any, ReturnType]:
        """:py:meth:`get_workflow_handle` typed by the workflow's run method."""
        _, result_type = workflow_name_and_result_type(workflow)
        return self.get_workflow_handle(
            workflow_id,
            run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type,
        )

    def list_workflows(
        self,
        query: str | None = None,
        *,
        limit: int | None = None,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowExecutionAsyncIterator:
        """Workflow runs matching a visibility ``query``, as an async iterator (no call is made
        until iteration starts); at most ``limit`` of them if given."""
        return self._impl.list_workflows(
            ListWorkflowsInput(
                query=query,
                page_size=page_size,
                next_page_token=next_page_token,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                limit=limit,
            )
        )

    async def count_workflows(
        self,
        query: str | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowExecutionCount:
        """Count workflow runs matching a visibility ``query`` (``GROUP BY`` gives groups)."""
        return await self._impl.count_workflows(
            CountWorkflowsInput(query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        )

    # -- activities ----------------------------------------------------------------------------

    def get_async_activity_handle(
        self,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
        task_token: bytes | None = None,
    ) -> AsyncActivityHandle:
        """A handle to complete an activity asynchronously: by ``task_token`` alone, or by
        ``workflow_id``, ``run_id`` and ``activity_id``.

        Raises:
            ValueError: Neither a task token nor the ids, or both, were given.
        """
        # Imported here: asynchronous completion loads with its first handle, not with every client.
        from tempyral.client._activity import AsyncActivityHandle, AsyncActivityIDReference

        if task_token is not None:
            if workflow_id is not None or run_id is not None or activity_id is not None:
                raise ValueError("Task token cannot be present with other IDs")
            return AsyncActivityHandle(self, task_token)
        if workflow_id is not None and activity_id is None:
            raise ValueError("Workflow ID, run ID, and activity ID must all be given together")
        if activity_id is not None:
            reference = AsyncActivityIDReference(
                workflow_id=workflow_id, run_id=run_id, activity_id=activity_id
            )
            return AsyncActivityHandle(self, reference)
        raise ValueError(
            "Require task token, or workflow_id & run_id & activity_id, or activity_id & run_id"
        )

    # -- schedules -----------------------------------------------------------------------------

    async def create_schedule(
        self,
        id: str,
        schedule: Schedule,
        *,
        trigger_immediately: bool = False,
        backfill: Sequence[ScheduleBackfill] = (),
        memo: Mapping[str, Any] | None = None,
        search_attributes: TypedSearchAttributes | SearchAttributes | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ScheduleHandle:
        """Create a schedule and return its handle.

        Raises:
            ScheduleAlreadyRunningError: A schedule with this id exists.
            ValueError: ``limited_actions`` and ``remaining_actions`` disagree.
        """
        _warn_on_deprecated_search_attributes(search_attributes)
        # Imported here: schedules load with their first use, not with every client.
        from tempyral.client._schedule_inputs import CreateScheduleInput

        return await self._impl.create_schedule(
            CreateScheduleInput(
                id=id,
                schedule=schedule,
                trigger_immediately=trigger_immediately,
                backfill=backfill,
                memo=memo,
                search_attributes=search_attributes,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to the schedule with this id."""
        # Imported here: schedules load with their first use, not with every client.
        from tempyral.client._schedule import ScheduleHandle

        return ScheduleHandle(self, id)

    async def list_schedules(
        self,
        query: str | None = None,
        *,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ScheduleAsyncIterator:
        """Schedules matching a visibility ``query``, as an async iterator (eventually
        consistent: a schedule just created may not be listed yet)."""
        from tempyral.client._schedule_inputs import ListSchedulesInput

        return self._impl.list_schedules(
            ListSchedulesInput(
                page_size=page_size,
                next_page_token=next_page_token,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                query=query,
            )
        )


async def _connect_through(plugins: Sequence[Plugin], config: ConnectConfig) -> ServiceClient:
    """Connect with each plugin's ``connect_service_client`` wrapped around the next one."""
    connect: Callable[[ConnectConfig], Awaitable[ServiceClient]] = ServiceClient.connect
    for plugin in reversed(plugins):
        connect = _wrapped_connect(plugin, connect)
    return await connect(config)


def _wrapped_connect(
    plugin: Plugin, next_connect: Callable[[ConnectConfig], Awaitable[ServiceClient]]
) -> Callable[[ConnectConfig], Awaitable[ServiceClient]]:
    # A function per plugin binds this plugin and its successor (a lambda in the loop would not).
    def connect(config: ConnectConfig) -> Awaitable[ServiceClient]:
        return plugin.connect_service_client(config, next_connect)

    return connect
