"""Client configuration from ``temporal.toml`` files and ``TEMPORAL_*`` environment variables
(mirrors ``temporalio.envconfig``).

``ClientConfig.load_client_connect_config()`` returns keyword arguments for
``Client.connect``, from the profile ``$TEMPORAL_PROFILE`` (else ``default``) of the file
``$TEMPORAL_CONFIG_FILE`` (else ``<user config dir>/temporalio/temporal.toml``), overridden by
``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*`` and
``TEMPORAL_GRPC_META_*``. The file format::

    [profile.default]
    address = "localhost:7233"
    namespace = "default"
    api_key = "..."

    [profile.default.tls]
    server_ca_cert_path = "/path/to/ca.pem"   # or server_ca_cert_data = "-----BEGIN ..."
    client_cert_path = "/path/to/client.pem"
    client_key_path = "/path/to/client.key"
    server_name = "my.server"

    [profile.default.grpc_meta]
    my-header = "value"

Loading errors raise :py:class:`ConfigError` (a ``RuntimeError``, as the official SDK's), naming
the file, line and problem.
"""

from tempyral.envconfig._load import ConfigError
from tempyral.envconfig._model import (
    ClientConfig,
    ClientConfigProfile,
    ClientConfigProfileDict,
    ClientConfigTLS,
    ClientConfigTLSDict,
    ClientConnectConfig,
    DataSource,
)

__all__ = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "ConfigError",
    "DataSource",
]
