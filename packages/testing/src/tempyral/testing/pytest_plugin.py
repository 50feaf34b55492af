"""pytest plugin of tempyral-testing: a dev server shared by a test session.

Loaded through the ``pytest11`` entry point; it only defines fixtures.

* ``tempyral_dev_server``: a started :class:`~tempyral.testing.DevServer` for the whole session,
  stopped at the end of it (also when tests fail or the run is interrupted).
* ``tempyral_target``: its ``host:port``.

Override ``tempyral_dev_server_options`` (a dict of DevServer keyword arguments) in a conftest to
add namespaces, search attributes or dynamic config.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tempyral.testing._devserver import DevServer


@pytest.fixture(scope="session")
def tempyral_dev_server_options() -> dict[str, Any]:
    """Keyword arguments for the session's DevServer; override to customise it."""
    return {}


@pytest.fixture(scope="session")
def tempyral_dev_server(tempyral_dev_server_options: dict[str, Any]) -> Iterator[DevServer]:
    """A Temporal dev server running for the whole test session."""
    with DevServer(**tempyral_dev_server_options) as server:
        yield server


@pytest.fixture(scope="session")
def tempyral_target(tempyral_dev_server: DevServer) -> str:
    """``host:port`` of the session's dev server."""
    return tempyral_dev_server.target
