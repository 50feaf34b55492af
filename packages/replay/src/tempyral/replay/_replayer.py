"""The ``Replayer``: check stored histories against the current workflow code (mirrors
``temporalio.worker.Replayer``), without a server or a worker.

Typical use, in CI::

    replayer = Replayer(workflows=[MyWorkflow])
    await replayer.replay_workflow(WorkflowHistory.from_json("my-id", text))

``replay_workflow`` raises the replay failure (a :py:class:`NondeterminismError`, a
:py:class:`CorruptHistoryError`, or the error that failed a workflow task) unless
``raise_on_replay_failure=False``; ``replay_workflows`` does the same over many histories, failing
fast or collecting every failure.

Plugins (``plugins=``, usually ``tempyral.worker.Plugin``) first rewrite the configuration
(``configure_replayer``), then wrap every replay (``run_replayer``): the async replays all go
through :py:meth:`Replayer.workflow_replay_iterator`, which chains them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.client import WorkflowHistory
from tempyral.common import HeaderCodecBehavior, MetricMeter, WorkerDeploymentVersion
from tempyral.converter import DataConverter
from tempyral.replay._codec import TaskCodec
from tempyral.replay._errors import ReplayError
from tempyral.replay._history_check import check_history
from tempyral.replay._interceptor_api import (
    PatchActivationInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)
from tempyral.replay._poison import as_exception
from tempyral.replay._replayer_config import ReplayerConfig, ReplayerPlugin, ReplayNext
from tempyral.replay._runner_api import (
    RunnerWorkflowInstance,
    WorkflowInstanceDetails,
    create_default_instance,
)

if TYPE_CHECKING:
    from tempyral.replay._instance import WorkflowInstance
    from tempyral.workflow._definition import _Definition

__all__ = ["Replayer", "WorkflowReplayResult", "WorkflowReplayResults"]


@dataclass(frozen=True)
class WorkflowReplayResult:
    """One replayed history and its failure, if any."""

    history: WorkflowHistory
    replay_failure: Exception | None
    events: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class WorkflowReplayResults:
    """Failures of a batch, keyed by the history's run id (or workflow id when it has none)."""

    replay_failures: Mapping[str, Exception] = field(default_factory=dict)
    results: Sequence[WorkflowReplayResult] = ()


class Replayer:
    """Replays histories against workflow classes to prove the code still matches them."""

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        namespace: str = "ReplayNamespace",
        data_converter: DataConverter | None = None,
        interceptors: Sequence[Any] = (),
        plugins: Sequence[ReplayerPlugin] = (),
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        determinism_guard: bool = True,
        debug_mode: bool = False,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
        **_ignored: Any,
    ) -> None:
        config = ReplayerConfig(
            workflows=list(workflows),
            namespace=namespace,
            data_converter=data_converter or DataConverter.default,
            interceptors=list(interceptors),
            workflow_failure_exception_types=list(workflow_failure_exception_types),
            determinism_guard=determinism_guard,
            debug_mode=debug_mode,
            header_codec_behavior=header_codec_behavior,
        )
        # The official options tempyral has no use for stay in the config for plugins to see.
        config.update(cast(ReplayerConfig, _ignored))
        self._initial_config = config.copy()
        self.plugins = list(plugins)
        for plugin in self.plugins:
            config = plugin.configure_replayer(config)
        self._config = config
        self._init_from_config(config)

    def _init_from_config(self, config: ReplayerConfig) -> None:
        workflows = config.get("workflows") or ()
        if not workflows:
            raise ValueError("Replayer needs at least one workflow class")
        # Imported here: importing a worker need not import the workflow API; a program with
        # workflow classes has imported it already.
        from tempyral.workflow._definition import _Definition

        self._definitions: dict[str | None, _Definition] = {}
        for cls in workflows:
            definition = _Definition.must_from_class(cls)
            if definition.name in self._definitions:
                raise ValueError(f"more than one workflow named {definition.name!r}")
            self._definitions[definition.name] = definition
        self.namespace = config.get("namespace", "ReplayNamespace")
        self.data_converter = config.get("data_converter") or DataConverter.default
        # The data converter's payload codec, applied around the engine (see ``_codec``).
        self.task_codec = TaskCodec.for_converter(
            self.data_converter,
            config.get("header_codec_behavior", HeaderCodecBehavior.NO_CODEC),
        )
        self.failure_exception_types = tuple(config.get("workflow_failure_exception_types", ()))
        self._runners = _Runners(
            config.get("workflow_runner"), config.get("unsandboxed_workflow_runner")
        )
        self._runners.prepare(self._definitions.values(), self.failure_exception_types)
        # Worker interceptors (``tempyral.worker.Interceptor``, duck-typed: that class lives a
        # layer up) that intercept workflows; the first is the outermost. What they put in
        # ``unsafe_extern_functions`` is what workflow.extern_functions() returns.
        self.extern_functions: dict[str, Callable[..., Any]] = {}
        self.interceptor_classes = _workflow_interceptor_classes(
            config.get("interceptors", ()), self.extern_functions
        )
        # debug_mode: tempyral runs workflow code on a plain loop with no deadlock timer, so
        # debuggers and coverage work either way; accepted for compatibility.
        self.determinism_guard = config.get("determinism_guard", True) and not config.get(
            "debug_mode", False
        )
        # The meter behind workflow.metric_meter(): a worker sets its runtime's; replays record
        # nothing anyway (the meter drops records made while replaying).
        self.metric_meter: MetricMeter = MetricMeter.noop
        # A worker's ``patch_activation_callback`` (the official Replayer has none: None here).
        self.patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None

    def config(self, *, active_config: bool = False) -> ReplayerConfig:
        """A shallow copy of the configuration given, or with ``active_config`` of the one in use
        (what the plugins made of it)."""
        config = self._config.copy() if active_config else self._initial_config.copy()
        config["workflows"] = list(config.get("workflows", ()))
        return config

    def _definition(self, workflow_type: str) -> _Definition:
        definition = self._definitions.get(workflow_type) or self._definitions.get(None)
        if definition is None:
            known = ", ".join(sorted(n for n in self._definitions if n))
            raise ReplayError(
                f"workflow type {workflow_type!r} is not registered (known: {known}); add its"
                " class to workflows="
            )
        return definition

    def new_instance(
        self,
        workflow_id: str,
        run_id: str = "",
        *,
        sdk_version: str = "",
        worker_deployment_version: WorkerDeploymentVersion | None = None,
    ) -> WorkflowInstance:
        """A fresh sans-IO instance with this replayer's workflows and settings.

        A worker drives such instances on its workflow tasks; ``sdk_version`` is what new tasks
        record in ``sdk_metadata``, ``worker_deployment_version`` the version they report to
        ``workflow.info().get_current_deployment_version()`` (by default the replayer's
        ``build_id``, when given).
        """
        build_id = self._config.get("build_id")
        if worker_deployment_version is None and build_id:
            worker_deployment_version = WorkerDeploymentVersion("", build_id)
        # Imported here: the engine loads with the first instance, not with the Replayer.
        from tempyral.replay._instance import WorkflowInstance

        return WorkflowInstance(
            self._definition,
            workflow_id=workflow_id,
            run_id=run_id,
            namespace=self.namespace,
            data_converter=self.data_converter,
            determinism_guard=self.determinism_guard,
            failure_exception_types=self.failure_exception_types,
            sdk_version=sdk_version,
            interceptor_classes=self.interceptor_classes,
            extern_functions=self.extern_functions,
            metric_meter=self.metric_meter,
            worker_deployment_version=worker_deployment_version,
            patch_activation_callback=self.patch_activation_callback,
            create_instance=self._runners.create_instance,
        )

    def replay_workflow_sync(
        self, history: WorkflowHistory, *, raise_on_replay_failure: bool = True
    ) -> WorkflowReplayResult:
        """``replay_workflow`` without an event loop (the engine does no I/O).

        With a payload codec, which is async, it must not be called from a running event loop:
        use ``replay_workflow`` there.
        """
        if self.task_codec.codec is None and not self.plugins:
            return self._replay_decoded(history, history.events, raise_on_replay_failure)
        replaying = self.replay_workflow(history, raise_on_replay_failure=raise_on_replay_failure)
        return asyncio.run(replaying)

    def _replay_decoded(
        self,
        history: WorkflowHistory,
        events: Sequence[HistoryEvent],
        raise_on_replay_failure: bool,
    ) -> WorkflowReplayResult:
        started = time.perf_counter()
        failure: Exception | None = None
        instance = self.new_instance(history.workflow_id)
        try:
            check_history(history)
            completion = instance.activate(events, history_complete=True)
            if completion.failure is not None:
                raise as_exception(completion.failure)
        except Exception as err:
            if raise_on_replay_failure:
                raise
            failure = err
        return WorkflowReplayResult(
            history, failure, len(history.events), time.perf_counter() - started
        )

    async def replay_workflow(
        self, history: WorkflowHistory, *, raise_on_replay_failure: bool = True
    ) -> WorkflowReplayResult:
        """Replay one history; raise its failure unless ``raise_on_replay_failure=False``."""
        if not self.plugins:
            return await self._replay_one(history, raise_on_replay_failure)
        async with self.workflow_replay_iterator([history]) as results:
            result = await anext(results)
        if raise_on_replay_failure and result.replay_failure is not None:
            raise result.replay_failure
        return result

    async def _replay_one(
        self, history: WorkflowHistory, raise_on_replay_failure: bool
    ) -> WorkflowReplayResult:
        started = time.perf_counter()
        try:
            events = await self.task_codec.decode_events(history.events)
        except Exception as err:  # the codec failed: a replay failure like any other
            if raise_on_replay_failure:
                raise
            return WorkflowReplayResult(
                history, err, len(history.events), time.perf_counter() - started
            )
        return self._replay_decoded(history, events, raise_on_replay_failure)

    def workflow_replay_iterator(
        self, histories: Iterable[WorkflowHistory] | AsyncIterable[WorkflowHistory]
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """As the official SDK's: iterate results one history at a time (failures collected).

        Each plugin's ``run_replayer`` wraps the later ones; the first plugin is the outermost.
        """
        replay: ReplayNext = _replay_without_plugins
        for plugin in reversed(self.plugins):
            replay = _wrapped_replay(plugin, replay)
        return replay(self, _as_async_iterator(histories))

    @contextlib.asynccontextmanager
    async def _replay_iterator(
        self, histories: AsyncIterator[WorkflowHistory]
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        async def results() -> AsyncIterator[WorkflowReplayResult]:
            async for history in histories:
                yield await self._replay_one(history, raise_on_replay_failure=False)

        yield results()

    async def replay_workflows(
        self,
        histories: Iterable[WorkflowHistory] | AsyncIterable[WorkflowHistory],
        *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResults:
        """Replay many histories: stop at the first failure (default) or collect them all."""
        failures: dict[str, Exception] = {}
        results: list[WorkflowReplayResult] = []
        async with self.workflow_replay_iterator(histories) as replayed:
            async for result in replayed:
                results.append(result)
                if result.replay_failure is None:
                    continue
                if raise_on_replay_failure:
                    raise result.replay_failure
                failures[_key(result.history)] = result.replay_failure
        return WorkflowReplayResults(failures, results)


def _replay_without_plugins(
    replayer: Replayer, histories: AsyncIterator[WorkflowHistory]
) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
    """The end of the plugin chain: the replayer's own replay."""
    return replayer._replay_iterator(histories)


def _wrapped_replay(plugin: ReplayerPlugin, next_replay: ReplayNext) -> ReplayNext:
    # A function per plugin binds this plugin and its successor (a lambda in the loop would not).
    def replay(
        replayer: Replayer, histories: AsyncIterator[WorkflowHistory]
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        return plugin.run_replayer(replayer, histories, next_replay)

    return replay


async def _as_async_iterator(
    histories: Iterable[WorkflowHistory] | AsyncIterable[WorkflowHistory],
) -> AsyncIterator[WorkflowHistory]:
    if isinstance(histories, AsyncIterable):
        async for history in histories:
            yield history
    else:
        for history in histories:
            yield history


class _Runners:
    """The official ``workflow_runner`` / ``unsandboxed_workflow_runner`` options: whoever has
    ``create_instance`` creates the instances of the workflows it runs (sandboxed ones for the
    first, the others for the second); otherwise the engine's default instance is used."""

    def __init__(self, sandboxed: Any, unsandboxed: Any) -> None:
        self._sandboxed = sandboxed
        self._unsandboxed = unsandboxed

    def _for(self, definition: _Definition) -> Any:
        return self._sandboxed if definition.sandboxed else self._unsandboxed

    def prepare(
        self, definitions: Iterable[_Definition], failure_types: Sequence[type[BaseException]]
    ) -> None:
        for runner in {id(r): r for r in (self._sandboxed, self._unsandboxed)}.values():
            set_types = getattr(runner, "set_worker_level_failure_exception_types", None)
            if set_types is not None:
                set_types(failure_types)
        for definition in definitions:
            prepare = getattr(self._for(definition), "prepare_workflow", None)
            if prepare is not None:
                prepare(definition)

    def create_instance(self, det: WorkflowInstanceDetails) -> RunnerWorkflowInstance:
        create = getattr(self._for(det.defn), "create_instance", None)
        instance: RunnerWorkflowInstance = (
            create(det) if create is not None else create_default_instance(det)
        )
        return instance


def _workflow_interceptor_classes(
    interceptors: Sequence[Any], extern_functions: dict[str, Callable[..., Any]]
) -> tuple[type[WorkflowInboundInterceptor], ...]:
    classes = []
    for interceptor in interceptors:
        ask = getattr(interceptor, "workflow_interceptor_class", None)
        if ask is None:
            continue
        # One mapping for all of them, as in the official SDK: each may add functions to it.
        cls = ask(WorkflowInterceptorClassInput(unsafe_extern_functions=extern_functions))
        if cls is not None:
            classes.append(cls)
    return tuple(classes)


def _key(history: WorkflowHistory) -> str:
    if history.events and history.events[0].HasField("workflow_execution_started_event_attributes"):
        run_id = history.events[
            0
        ].workflow_execution_started_event_attributes.original_execution_run_id
        if run_id:
            return run_id
    return history.workflow_id
