"""What a :py:class:`Replayer` is built from, and the shape of the plugins that may change it.

``ReplayerConfig`` mirrors ``temporalio.worker.ReplayerConfig``: the replayer's keyword arguments
as a dict, which each plugin's ``configure_replayer`` may rewrite before the replayer uses it.
Worker plugins (``tempyral.worker.Plugin``) live a layer up, so the replayer takes any object of
the :py:class:`ReplayerPlugin` shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from typing_extensions import TypedDict

from tempyral.client import WorkflowHistory
from tempyral.common import HeaderCodecBehavior
from tempyral.converter import DataConverter

if TYPE_CHECKING:
    from tempyral.replay._replayer import Replayer, WorkflowReplayResult

__all__ = ["ReplayerConfig", "ReplayerPlugin"]


class ReplayerConfig(TypedDict, total=False):
    """Keyword arguments of :py:class:`Replayer` (see ``Replayer.config``)."""

    workflows: Sequence[type]
    workflow_task_executor: ThreadPoolExecutor | None
    workflow_runner: Any
    unsandboxed_workflow_runner: Any
    namespace: str
    data_converter: DataConverter
    interceptors: Sequence[Any]
    build_id: str | None
    identity: str | None
    workflow_failure_exception_types: Sequence[type[BaseException]]
    debug_mode: bool
    runtime: Any
    disable_safe_workflow_eviction: bool
    header_codec_behavior: HeaderCodecBehavior
    # tempyral's own: whether workflow code is stopped from reaching nondeterministic calls.
    determinism_guard: bool


ReplayNext = Callable[
    ["Replayer", AsyncIterator[WorkflowHistory]],
    AbstractAsyncContextManager[AsyncIterator["WorkflowReplayResult"]],
]


class ReplayerPlugin(Protocol):
    """What a replayer needs of a plugin (``tempyral.worker.Plugin`` has this shape)."""

    def name(self) -> str: ...

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig: ...

    def run_replayer(
        self,
        replayer: Replayer,
        histories: AsyncIterator[WorkflowHistory],
        next: ReplayNext,
    ) -> AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]: ...
