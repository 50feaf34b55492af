"""``SimplePlugin``: a plugin built from values instead of overridden methods.

Each option is either a value or a function of the current value. Sequence options (activities,
workflows, interceptors, failure exception types) append a value to what is configured already;
single options (data converter, workflow runner) replace it; a function receives the current
value (or ``None``) and returns the new one. Every option applies to each component it means
something to: the data converter to clients and replayers; activities to workers; workflows,
the workflow runner and failure types to workers and replayers; client interceptors to clients
and worker interceptors to workers and replayers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias, TypeVar

import tempyral.client
import tempyral.worker
from tempyral.client import ClientConfig, WorkflowHistory
from tempyral.converter import DataConverter
from tempyral.service import ConnectConfig, ServiceClient
from tempyral.worker import (
    Replayer,
    ReplayerConfig,
    Worker,
    WorkerConfig,
    WorkflowReplayResult,
    WorkflowRunner,
)

__all__ = ["PluginParameter", "SimplePlugin"]

T = TypeVar("T")

PluginParameter: TypeAlias = None | T | Callable[[T | None], T]
"""An option of :py:class:`SimplePlugin`: unset, a value, or a function of the current value."""

_AnyInterceptor: TypeAlias = tempyral.client.Interceptor | tempyral.worker.Interceptor


class SimplePlugin(tempyral.client.Plugin, tempyral.worker.Plugin):
    """A client and worker plugin configured by values (see the module documentation)."""

    def __init__(
        self,
        name: str,
        *,
        data_converter: PluginParameter[DataConverter] = None,
        interceptors: Sequence[_AnyInterceptor] | None = None,
        activities: PluginParameter[Sequence[Callable[..., Any]]] = None,
        nexus_service_handlers: PluginParameter[Sequence[Any]] = None,
        workflows: PluginParameter[Sequence[type]] = None,
        workflow_runner: PluginParameter[WorkflowRunner] = None,
        workflow_failure_exception_types: PluginParameter[Sequence[type[BaseException]]] = None,
        run_context: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        """Create the plugin; ``run_context`` makes a context entered around each worker run
        and each replay."""
        self._name = name
        self.data_converter = data_converter
        self.interceptors = interceptors
        self.activities = activities
        self.nexus_service_handlers = nexus_service_handlers
        self.workflows = workflows
        self.workflow_runner = workflow_runner
        self.workflow_failure_exception_types = workflow_failure_exception_types
        self.run_context = run_context

    def name(self) -> str:
        """The name given to the constructor."""
        return self._name

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Set the data converter and append the client interceptors."""
        data_converter = _resolve(config.get("data_converter"), self.data_converter)
        if data_converter:
            config["data_converter"] = data_converter
        existing: list[_AnyInterceptor] = list(config.get("interceptors", ()))
        interceptors = _append(existing, self.interceptors)
        if interceptors is not None:
            config["interceptors"] = [
                i for i in interceptors if isinstance(i, tempyral.client.Interceptor)
            ]
        return config

    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        """Connect unchanged."""
        return await next(config)

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Append activities, workflows, worker interceptors and failure types; set the runner."""
        activities = _append(config.get("activities"), self.activities)
        if activities:
            config["activities"] = activities
        handlers = _append(config.get("nexus_service_handlers"), self.nexus_service_handlers)
        if handlers is not None:
            config["nexus_service_handlers"] = handlers
        workflows = _append(config.get("workflows"), self.workflows)
        if workflows is not None:
            config["workflows"] = workflows
        runner = _resolve(config.get("workflow_runner"), self.workflow_runner)
        if runner:
            config["workflow_runner"] = runner
        if self.interceptors is not None:
            # An interceptor that is the client's too already reaches the worker through it.
            on_client: Sequence[object] = config["client"].config(active_config=True)[
                "interceptors"
            ]
            worker_only = [
                i
                for i in self.interceptors
                if isinstance(i, tempyral.worker.Interceptor) and i not in on_client
            ]
            interceptors = _append(config.get("interceptors"), worker_only)
            if interceptors is not None:
                config["interceptors"] = interceptors
        failure_types = _append(
            config.get("workflow_failure_exception_types"), self.workflow_failure_exception_types
        )
        if failure_types is not None:
            config["workflow_failure_exception_types"] = failure_types
        return config

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Set the data converter and runner; append workflows, interceptors, failure types."""
        data_converter = _resolve(config.get("data_converter"), self.data_converter)
        if data_converter:
            config["data_converter"] = data_converter
        workflows = _append(config.get("workflows"), self.workflows)
        if workflows is not None:
            config["workflows"] = workflows
        runner = _resolve(config.get("workflow_runner"), self.workflow_runner)
        if runner:
            config["workflow_runner"] = runner
        existing: list[_AnyInterceptor] = list(config.get("interceptors", ()))
        interceptors = _append(existing, self.interceptors)
        if interceptors is not None:
            config["interceptors"] = [
                i for i in interceptors if isinstance(i, tempyral.worker.Interceptor)
            ]
        failure_types = _append(
            config.get("workflow_failure_exception_types"), self.workflow_failure_exception_types
        )
        if failure_types is not None:
            config["workflow_failure_exception_types"] = failure_types
        return config

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        """Run the worker inside ``run_context`` when one was given."""
        if self.run_context is None:
            await next(worker)
            return
        async with self.run_context():
            await next(worker)

    @asynccontextmanager
    async def run_replayer(
        self,
        replayer: Replayer,
        histories: AsyncIterator[WorkflowHistory],
        next: Callable[
            [Replayer, AsyncIterator[WorkflowHistory]],
            AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]],
        ],
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        """Replay inside ``run_context`` when one was given."""
        if self.run_context is None:
            async with next(replayer, histories) as results:
                yield results
            return
        async with self.run_context(), next(replayer, histories) as results:
            yield results


def _resolve(existing: T | None, parameter: PluginParameter[T]) -> T | None:
    if parameter is None:
        return existing
    if callable(parameter):
        return parameter(existing)
    return parameter


def _append(
    existing: Sequence[T] | None, parameter: PluginParameter[Sequence[T]]
) -> Sequence[T] | None:
    if parameter is None:
        return existing
    if callable(parameter):
        return parameter(existing)
    return [*(existing or ()), *parameter]
