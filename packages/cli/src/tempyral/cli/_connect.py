"""Where the ``tempyral`` command connects: a ``tempyral.envconfig`` profile, then its flags.

The profile comes from ``temporal.toml`` (``--config-file``, else ``$TEMPORAL_CONFIG_FILE``, else
the user's config folder) and the ``TEMPORAL_*`` variables (address, API key, TLS certificates,
gRPC metadata), exactly as ``Client.connect`` users load it; ``--address`` and ``--tls`` win over
both. The connection itself is a ``tempyral.service.ServiceClient``, so TLS, mTLS and API keys
work as in the SDK.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tempyral.envconfig import ClientConfigProfile
from tempyral.service import ConnectConfig

DEFAULT_ADDRESS = "localhost:7233"


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection",
        "Defaults come from the temporal.toml profile and TEMPORAL_* variables "
        "(TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS_*), as for Client.connect.",
    )
    group.add_argument(
        "--address",
        help=f"host:port of the frontend (default: the profile's, else {DEFAULT_ADDRESS})",
    )
    group.add_argument("--profile", help="profile of the config file (default: $TEMPORAL_PROFILE)")
    group.add_argument(
        "--config-file", help="temporal.toml to read (default: $TEMPORAL_CONFIG_FILE)"
    )
    group.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="use TLS with the system's root certificates",
    )


def connect_config(args: argparse.Namespace) -> ConnectConfig:
    """The connection the flags and the profile describe; raises ``ConfigError`` for a bad file."""
    # A str source would be the file's contents; the flag names a file.
    source = Path(args.config_file) if args.config_file else None
    profile = ClientConfigProfile.load(args.profile, config_source=source)
    found = profile.to_client_connect_config()
    return ConnectConfig(
        target_host=args.address or found.get("target_host") or DEFAULT_ADDRESS,
        api_key=found.get("api_key"),
        tls=True if args.tls else found.get("tls"),
        rpc_metadata=dict(found.get("rpc_metadata", {})),
        # The command makes one call; connecting is that call.
        lazy=True,
    )
