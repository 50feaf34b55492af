"""Marks every test that needs a Temporal server (or a process around one) as ``integration``.

The mark follows from the fixtures a test uses, directly or through other fixtures
(``item.fixturenames`` is that closure), so a new test is marked without anyone remembering to:
``hatch run test -m "not integration"`` is the server-free tier, which runs with no ``temporal``
binary on the machine. Modules that start a ``DevServer`` themselves mark themselves.
"""

from __future__ import annotations

import pytest

# Fixtures that start, or stand in front of, a dev server or a worker process needing one.
SERVER_FIXTURES = frozenset(
    {
        "tempyral_dev_server",  # tempyral.testing's pytest plugin: the session dev server
        "tempyral_target",  # its address
        "official_worker",  # client tests: the official SDK's worker process
        "official_host",  # worker tests: the official SDK's activity host process
        "workflow_worker_process",  # worker tests: worker processes of either SDK
        "recording_proxy",  # client tests: a gRPC proxy in front of the dev server
        "tls_endpoints",  # client tests: the TLS proxies in front of the dev server
        "restartable_server",  # client tests: a dev server the test stops and starts
        # Not servers, but minutes of real tool runs over git clones of the whole repo (release
        # planning, building all six wheels): kept out of the fast tier for the same reason.
        "clone",  # tools/tests/test_release.py
        "built",  # tools/tests/test_release.py
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
