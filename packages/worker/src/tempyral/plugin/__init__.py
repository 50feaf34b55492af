"""Plugins that bundle client and worker configuration (mirrors ``temporalio.plugin``).

``SimplePlugin("name", activities=[...], workflows=[...], interceptors=[...], data_converter=...)``
is a :py:class:`tempyral.client.Plugin` and a :py:class:`tempyral.worker.Plugin` at once: give
it to ``Client.connect(plugins=[...])`` and every worker built on that client gets its worker
half too. It lives in tempyral-worker, the lowest package that sees clients, workers and
replayers.
"""

from tempyral.plugin._simple import PluginParameter, SimplePlugin, T

__all__ = ["PluginParameter", "SimplePlugin", "T"]
