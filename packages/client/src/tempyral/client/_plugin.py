"""``Plugin``: the client half of tempyral's plugin hooks (mirrors ``temporalio.client.Plugin``).

A plugin changes a client's configuration before the client is built (``configure_client``)
and wraps the connection to the server (``connect_service_client``). ``Client.connect`` chains
the plugins: the first given is the outermost wrapper. A plugin that is also a
``tempyral.worker.Plugin`` is carried over to every worker built on the client, so it should not
be given to the worker again.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from tempyral.service import ConnectConfig, ServiceClient

if TYPE_CHECKING:
    from tempyral.client._client import ClientConfig

__all__ = ["Plugin"]


class Plugin(abc.ABC):
    """Base class of client plugins: adjust a client's configuration and its connection."""

    def name(self) -> str:
        """The plugin's name; by default the class's ``module.qualname``."""
        return type(self).__module__ + "." + type(self).__qualname__

    @abc.abstractmethod
    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Return the configuration the client is built from (change ``config`` or a copy)."""

    @abc.abstractmethod
    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        """Connect through ``next`` (the later plugins, then the real connection)."""
