"""Where the ``tempyral`` command connects: a ``tempyral.envconfig`` profile, then its flags.

The profile comes from ``temporal.toml`` (``--config-file``, else ``$TEMPORAL_CONFIG_FILE``, else
the user's config folder) and the ``TEMPORAL_*`` variables (address, namespace, API key, TLS
certificates, gRPC metadata), exactly as ``Client.connect`` users load it; ``--address``,
``--namespace`` and ``--tls`` win over both. The connection itself is a
``tempyral.service.ServiceClient``, so TLS, mTLS and API keys work as in the SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from tempyral.envconfig import ClientConfigProfile, ConfigError
from tempyral.service import ConnectConfig

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ConnectionFlags:
    """The connection flags as given (``None`` where the profile decides)."""

    address: str | None = None
    namespace: str | None = None
    profile: str | None = None
    config_file: str | None = None
    tls: bool | None = None


@dataclass(frozen=True)
class Connection:
    """A resolved connection: the service config, the namespace and the profile it came from."""

    config: ConnectConfig
    namespace: str
    profile: ClientConfigProfile


def connection_options(command: F) -> F:
    """Add the shared connection flags; the command receives them as ``connection``."""
    options = [
        click.option(
            "--address",
            help=f"host:port of the frontend (default: the profile's, else {DEFAULT_ADDRESS})",
        ),
        click.option(
            "--namespace",
            "-n",
            help=f"namespace (default: the profile's, else {DEFAULT_NAMESPACE})",
        ),
        click.option(
            "--profile",
            envvar="TEMPORAL_PROFILE",
            help="profile of the config file (default: $TEMPORAL_PROFILE, else 'default')",
        ),
        click.option(
            "--config-file",
            type=click.Path(dir_okay=False),
            help="temporal.toml to read (default: $TEMPORAL_CONFIG_FILE)",
        ),
        click.option(
            "--tls/--no-tls",
            default=None,
            help="use TLS with the system's root certificates (default: the profile's)",
        ),
    ]

    def gather(**kwargs: Any) -> Any:
        flags = ConnectionFlags(
            address=kwargs.pop("address"),
            namespace=kwargs.pop("namespace"),
            profile=kwargs.pop("profile"),
            config_file=kwargs.pop("config_file"),
            tls=kwargs.pop("tls"),
        )
        return command(connection=flags, **kwargs)

    gather.__name__ = command.__name__
    gather.__doc__ = command.__doc__
    wrapped: Any = gather
    for option in reversed(options):
        wrapped = option(wrapped)
    return cast(F, wrapped)


def resolve(flags: ConnectionFlags, *, lazy: bool = True) -> Connection:
    """The connection the flags and the profile describe.

    Raises ``ConfigError`` for a bad config file and for TLS files that cannot be read.
    """
    # A str source would be the file's contents; the flag names a file.
    source = Path(flags.config_file) if flags.config_file else None
    profile = ClientConfigProfile.load(flags.profile, config_source=source)
    try:
        found = profile.to_client_connect_config()  # reads the TLS files
    except OSError as err:
        raise ConfigError(str(err)) from err
    config = ConnectConfig(
        target_host=flags.address or found.get("target_host") or DEFAULT_ADDRESS,
        api_key=found.get("api_key"),
        tls=flags.tls if flags.tls is not None else found.get("tls"),
        rpc_metadata=dict(found.get("rpc_metadata", {})),
        lazy=lazy,
    )
    namespace = flags.namespace or found.get("namespace") or DEFAULT_NAMESPACE
    return Connection(config, namespace, profile)
