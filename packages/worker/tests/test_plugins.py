"""Plugins on a real dev server: ``SimplePlugin`` given to ``Client.connect`` configures the client
and every worker built on it; a ``tempyral.worker.Plugin`` wraps the worker's run; replayer plugins
configure and wrap replays.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import pytest

import tempyral.client
from tempyral import activity, workflow
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.client import Client, ClientConfig, StartWorkflowInput, WorkflowHistory
from tempyral.converter import DataConverter, PayloadCodec
from tempyral.plugin import SimplePlugin
from tempyral.service import ConnectConfig, ServiceClient
from tempyral.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Plugin,
    Replayer,
    ReplayerConfig,
    Worker,
    WorkerConfig,
    WorkflowReplayResult,
)

WRAPPED = "binary/tempyral-plugin-test"


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}"


@workflow.defn
class GreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


class WrappingCodec(PayloadCodec):
    """Wraps each payload in another, so the history shows the plugin's converter was used."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": WRAPPED.encode()}, data=p.SerializeToString())
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            inner = Payload()
            inner.ParseFromString(payload.data)
            decoded.append(inner)
        return decoded


WRAPPING_CONVERTER = dataclasses.replace(DataConverter.default, payload_codec=WrappingCodec())


class _RecordingOutbound(tempyral.client.OutboundInterceptor):
    def __init__(self, next: tempyral.client.OutboundInterceptor, seen: list[str]) -> None:
        super().__init__(next)
        self._seen = seen

    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        self._seen.append(f"start {input.workflow}")
        return await super().start_workflow(input)


class _RecordingActivityInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, seen: list[str]) -> None:
        super().__init__(next)
        self._seen = seen

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self._seen.append(f"activity {activity.info().activity_type}")
        return await super().execute_activity(input)


class RecordingInterceptor(tempyral.client.Interceptor, Interceptor):
    """A client and worker interceptor recording the calls it sees."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def intercept_client(
        self, next: tempyral.client.OutboundInterceptor
    ) -> tempyral.client.OutboundInterceptor:
        return _RecordingOutbound(next, self.seen)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _RecordingActivityInbound(next, self.seen)


class ConnectRecorder(tempyral.client.Plugin):
    """A client-only plugin: records the target it connects to, and the order of the hooks."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        self.log.append("configure_client")
        return config

    async def connect_service_client(
        self, config: ConnectConfig, next: Callable[[ConnectConfig], Awaitable[ServiceClient]]
    ) -> ServiceClient:
        self.log.append(f"connect {config.target_host}")
        return await next(config)


@pytest.mark.integration
async def test_simple_plugin_on_the_client_configures_the_client_and_its_workers(
    tempyral_target: str,
) -> None:
    interceptor = RecordingInterceptor()
    plugin = SimplePlugin(
        "tempyral-test.greeting",
        data_converter=WRAPPING_CONVERTER,
        interceptors=[interceptor],
        activities=[greet],
        workflows=[GreetWorkflow],
    )
    log: list[str] = []
    client = await Client.connect(tempyral_target, plugins=[ConnectRecorder(log), plugin])
    assert log == [f"connect {tempyral_target}", "configure_client"]
    assert client.data_converter is WRAPPING_CONVERTER
    assert client.config()["data_converter"] is DataConverter.default
    assert client.config(active_config=True)["interceptors"] == [interceptor]

    task_queue = f"plugins-{uuid.uuid4()}"
    # No activities or workflows given: the client's plugin brings them.
    worker = Worker(client, task_queue=task_queue)
    assert worker.config(active_config=True)["workflows"] == [GreetWorkflow]
    async with worker:
        handle = await client.start_workflow(
            GreetWorkflow.run, "plugins", id=f"plugins-{uuid.uuid4()}", task_queue=task_queue
        )
        assert await handle.result() == "Hello, plugins"

    # The interceptor saw the client call and (once, not once per role) the activity.
    assert interceptor.seen == ["start GreetWorkflow", "activity greet"]
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == WRAPPED.encode()

    # A replayer with the same plugin decodes and replays that history.
    replayed = await Replayer(workflows=[], plugins=[plugin]).replay_workflow(history)
    assert replayed.replay_failure is None


class LifecyclePlugin(Plugin):
    """Records what it sees around a worker's run and a replay."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        self.events.append("configure_worker")
        config["workflows"] = [*config.get("workflows", ()), GreetWorkflow]
        return config

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        self.events.append(f"start running={worker.is_running}")
        try:
            await next(worker)
        finally:
            self.events.append(f"stop shutdown={worker.is_shutdown}")

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        self.events.append("configure_replayer")
        config["workflows"] = [*config.get("workflows", ()), GreetWorkflow]
        return config

    @contextlib.asynccontextmanager
    async def run_replayer(
        self,
        replayer: Replayer,
        histories: AsyncIterator[WorkflowHistory],
        next: Callable[
            [Replayer, AsyncIterator[WorkflowHistory]],
            AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]],
        ],
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        self.events.append("replay start")
        async with next(replayer, histories) as results:
            yield results
        self.events.append("replay end")


@pytest.mark.integration
async def test_worker_plugin_wraps_the_run_and_the_replay(client: Client) -> None:
    plugin = LifecyclePlugin()
    task_queue = f"plugins-{uuid.uuid4()}"
    workflow_id = f"plugins-{uuid.uuid4()}"
    worker = Worker(client, task_queue=task_queue, activities=[greet], plugins=[plugin])
    assert plugin.events == ["configure_worker"]
    async with worker:
        result = await client.execute_workflow(
            GreetWorkflow.run, "run", id=workflow_id, task_queue=task_queue
        )
        assert result == "Hello, run"
        assert plugin.events == ["configure_worker", "start running=False"]
    assert plugin.events == ["configure_worker", "start running=False", "stop shutdown=True"]

    history = await client.get_workflow_handle(workflow_id).fetch_history()
    replay_plugin = LifecyclePlugin()
    replayer = Replayer(workflows=[], plugins=[replay_plugin])
    assert replayer.config()["workflows"] == []
    assert replayer.config(active_config=True)["workflows"] == [GreetWorkflow]
    results = await replayer.replay_workflows([history, history])
    assert [r.replay_failure for r in results.results] == [None, None]
    # One wrapped replay for the whole batch.
    assert replay_plugin.events == ["configure_replayer", "replay start", "replay end"]


@pytest.mark.integration
async def test_a_plugin_on_both_client_and_worker_applies_twice_with_a_warning(
    tempyral_target: str,
) -> None:
    client = await Client.connect(tempyral_target, plugins=[SimplePlugin("a", activities=[greet])])
    with pytest.warns(UserWarning, match="given to both the client and the worker"):
        worker = Worker(
            client,
            task_queue=f"plugins-{uuid.uuid4()}",
            plugins=[SimplePlugin("b", workflows=[GreetWorkflow])],
        )
    active = worker.config(active_config=True)
    assert (active["activities"], active["workflows"]) == ([greet], [GreetWorkflow])


class CleanupPlugin(SimplePlugin):
    """Cleans up for ``seconds`` after the worker stopped, recording how that ended."""

    def __init__(self, seconds: float) -> None:
        super().__init__("tempyral-test.cleanup")
        self.seconds = seconds
        self.events: list[str] = []

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        await next(worker)
        try:
            await asyncio.sleep(self.seconds)
            self.events.append("cleaned up")
        except asyncio.CancelledError:
            self.events.append("cleanup cancelled")
            raise


@pytest.mark.integration
async def test_leaving_async_with_waits_for_plugin_cleanup_up_to_its_timeout(
    client: Client,
) -> None:
    quick = CleanupPlugin(0.2)
    async with Worker(
        client, task_queue=f"plugins-{uuid.uuid4()}", activities=[greet], plugins=[quick]
    ):
        pass
    assert quick.events == ["cleaned up"]

    slow = CleanupPlugin(60)
    started = time.monotonic()
    async with Worker(
        client,
        task_queue=f"plugins-{uuid.uuid4()}",
        activities=[greet],
        plugins=[slow],
        plugin_shutdown_timeout=timedelta(seconds=0.3),
    ):
        pass
    assert slow.events == ["cleanup cancelled"]
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("form", ["value", "function"])
def test_simple_plugin_options_append_or_rewrite_what_is_configured(form: str) -> None:
    # No server: a replayer applies its plugins as it is built.
    @workflow.defn(name="Other")
    class Other:
        @workflow.run
        async def run(self) -> None: ...

    workflows: Any = [GreetWorkflow] if form == "value" else (lambda existing: [GreetWorkflow])
    replayer = Replayer(
        workflows=[Other],
        plugins=[SimplePlugin("p", workflows=workflows, data_converter=WRAPPING_CONVERTER)],
    )
    active = replayer.config(active_config=True)
    expected = [Other, GreetWorkflow] if form == "value" else [GreetWorkflow]
    assert active["workflows"] == expected
    assert replayer.data_converter is WRAPPING_CONVERTER
    assert replayer.config()["workflows"] == [Other]
