"""``Plugin``: the worker half of tempyral's plugin hooks (mirrors ``temporalio.worker.Plugin``).

A worker plugin changes a worker's configuration before the worker is built
(``configure_worker``) and wraps its run (``run_worker``); the same plugin can do both for a
:py:class:`Replayer` (``configure_replayer``, ``run_replayer``). Plugins chain: the first given is
the outermost wrapper. A worker takes the plugins of its client that are worker plugins too, ahead
of its own (see :py:func:`worker_plugins`).
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tempyral.client import Client, WorkflowHistory
    from tempyral.replay import Replayer, ReplayerConfig, WorkflowReplayResult
    from tempyral.worker._config import WorkerConfig
    from tempyral.worker._worker import Worker

__all__ = ["Plugin", "worker_plugins"]


class Plugin(abc.ABC):
    """Base class of worker plugins: adjust and wrap workers and replayers."""

    def name(self) -> str:
        """The plugin's name; by default the class's ``module.qualname``."""
        return type(self).__module__ + "." + type(self).__qualname__

    @abc.abstractmethod
    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Return the configuration the worker is built from (change ``config`` or a copy)."""

    @abc.abstractmethod
    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        """Run the worker through ``next`` (the later plugins, then the worker's own run)."""

    @abc.abstractmethod
    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Return the configuration the replayer is built from."""

    @abc.abstractmethod
    def run_replayer(
        self,
        replayer: Replayer,
        histories: AsyncIterator[WorkflowHistory],
        next: Callable[
            [Replayer, AsyncIterator[WorkflowHistory]],
            AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]],
        ],
    ) -> AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """Replay through ``next``, as an async context manager yielding the results."""


def worker_plugins(client: Client, plugins: Sequence[Plugin]) -> list[Plugin]:
    """The plugins a worker applies: its client's worker plugins first, then its own.

    A plugin type given to both runs twice, which is rarely meant: warn about it.
    """
    for plugin in plugins:
        if not isinstance(plugin, Plugin):
            raise TypeError(
                f"Worker plugins must be tempyral.worker.Plugin instances, got "
                f"{type(plugin).__qualname__}; subclass tempyral.worker.Plugin or use "
                "tempyral.plugin.SimplePlugin"
            )
    from_client = [p for p in client.config()["plugins"] if isinstance(p, Plugin)]
    own_types = {type(p) for p in plugins}
    for plugin in from_client:
        if type(plugin) in own_types:
            warnings.warn(
                f"plugin type {type(plugin).__qualname__} was given to both the client and the "
                "worker, so it applies twice; give it to the client only",
                stacklevel=3,
            )
    return [*from_client, *plugins]
