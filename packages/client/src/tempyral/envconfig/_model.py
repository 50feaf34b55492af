"""Client configuration profiles: the public classes of ``tempyral.envconfig``.

Loading is done by ``_load``; this module turns its dicts into profiles and profiles into the
keyword arguments of ``Client.connect`` (``ClientConnectConfig``), reading certificate files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

from typing_extensions import Self, TypedDict

from tempyral.common._redact import redacted_repr
from tempyral.envconfig import _load
from tempyral.service import TLSConfig

__all__ = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "DataSource",
]

DataSource: TypeAlias = Path | str | bytes
"""Where a certificate or config comes from: a ``Path`` to read, or the contents (str/bytes)."""


class ClientConfigTLSDict(TypedDict, total=False):
    """Dictionary representation of TLS config for TOML."""

    disabled: bool | None
    server_name: str
    server_ca_cert: Mapping[str, str]
    client_cert: Mapping[str, str]
    client_key: Mapping[str, str]


class ClientConfigProfileDict(TypedDict, total=False):
    """Dictionary representation of a client config profile for TOML."""

    address: str
    namespace: str
    api_key: str
    tls: ClientConfigTLSDict
    grpc_meta: Mapping[str, str]


def _from_dict_to_source(d: Mapping[str, Any] | None) -> DataSource | None:
    if not d:
        return None
    if "data" in d:
        data: str | bytes = d["data"]
        return data
    if "path" in d:
        return Path(d["path"])
    return None


def _source_to_dict(source: DataSource | None) -> Mapping[str, str] | None:
    if isinstance(source, Path):
        return {"path": str(source)}
    if isinstance(source, str):
        return {"data": source}
    if isinstance(source, bytes):
        return {"data": source.decode("utf-8")}
    return None


def _source_to_path_and_data(source: DataSource | None) -> tuple[str | None, bytes | None]:
    if source is None:
        return None, None
    if isinstance(source, Path):
        return str(source), None
    if isinstance(source, str):
        return None, source.encode("utf-8")
    if isinstance(source, bytes):
        return None, source
    raise TypeError(
        "config_source must be one of pathlib.Path, str, bytes, or None, "
        f"but got {type(source).__name__}"
    )


_SOURCE_HELP = {
    "server_root_ca_cert": ("server CA certificate", "server_ca_cert_path", "SERVER_CA_CERT"),
    "client_cert": ("client certificate", "client_cert_path", "CLIENT_CERT"),
    "client_private_key": ("client private key", "client_key_path", "CLIENT_KEY"),
}


def _read_source(source: DataSource | None, what: str) -> bytes | None:
    if source is None:
        return None
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError as err:
            label, toml_key, env = _SOURCE_HELP[what]
            reason = err.strerror or str(err)
            # Same exception type (FileNotFoundError, PermissionError, ...), clearer message.
            raise type(err)(
                err.errno,
                f"Cannot read the TLS {label} file ({reason}); fix the path in the profile's "
                f"tls.{toml_key} or in TEMPORAL_TLS_{env}_PATH",
                str(source),
            ) from err
    if isinstance(source, str):
        return source.encode("utf-8")
    if isinstance(source, bytes):
        return source
    raise TypeError(
        f"Source must be one of pathlib.Path, str, or bytes, but got {type(source).__name__}"
    )


@dataclass(frozen=True)
class ClientConfigTLS:
    """TLS configuration as specified as part of client configuration."""

    disabled: bool | None = None
    """True: TLS explicitly disabled; False: explicitly enabled; None: not configured."""
    server_name: str | None = None
    """SNI override."""
    server_root_ca_cert: DataSource | None = None
    """Server CA certificate source."""
    client_cert: DataSource | None = None
    """Client certificate source."""
    client_private_key: DataSource | None = None
    """Client key source."""

    def __repr__(self) -> str:
        # A key given as a path is no secret; its content (str or bytes) is.
        inline = not isinstance(self.client_private_key, Path)
        return redacted_repr(self, ["client_private_key"] if inline else [])

    def to_dict(self) -> ClientConfigTLSDict:
        """Convert to a dictionary that can be used for TOML serialization."""
        d: ClientConfigTLSDict = {}
        if self.disabled is not None:
            d["disabled"] = self.disabled
        if self.server_name is not None:
            d["server_name"] = self.server_name

        def set_source(
            key: Literal["server_ca_cert", "client_cert", "client_key"],
            source: DataSource | None,
        ) -> None:
            if source is not None and (val := _source_to_dict(source)):
                d[key] = val

        set_source("server_ca_cert", self.server_root_ca_cert)
        set_source("client_cert", self.client_cert)
        set_source("client_key", self.client_private_key)
        return d

    def to_connect_tls_config(self) -> bool | TLSConfig:
        """Create a ``tempyral.service.TLSConfig`` from this profile (reads certificate files)."""
        if self.disabled is True:
            return False
        return TLSConfig(
            domain=self.server_name,
            server_root_ca_cert=_read_source(self.server_root_ca_cert, "server_root_ca_cert"),
            client_cert=_read_source(self.client_cert, "client_cert"),
            client_private_key=_read_source(self.client_private_key, "client_private_key"),
        )

    @classmethod
    def from_dict(cls, d: ClientConfigTLSDict | None) -> Self | None:
        """Create a ClientConfigTLS from a dictionary."""
        if not d:
            return None
        return cls(
            disabled=d.get("disabled"),
            server_name=d.get("server_name"),
            server_root_ca_cert=_from_dict_to_source(d.get("server_ca_cert")),
            client_cert=_from_dict_to_source(d.get("client_cert")),
            client_private_key=_from_dict_to_source(d.get("client_key")),
        )


class ClientConnectConfig(TypedDict, total=False):
    """Arguments for ``tempyral.client.Client.connect`` that environment configuration sets."""

    target_host: str
    namespace: str
    api_key: str
    tls: bool | TLSConfig
    rpc_metadata: Mapping[str, str]


@dataclass(frozen=True)
class ClientConfigProfile:
    """A client configuration profile, as loaded from a file or the environment.

    See :py:meth:`to_client_connect_config` to turn it into ``Client.connect`` arguments.
    """

    address: str | None = None
    """Client address."""
    namespace: str | None = None
    """Client namespace."""
    api_key: str | None = None
    """Client API key."""
    tls: ClientConfigTLS | None = None
    """TLS configuration."""
    grpc_meta: Mapping[str, str] = field(default_factory=dict)
    """gRPC metadata."""

    def __repr__(self) -> str:
        return redacted_repr(self, ["api_key"], metadata=["grpc_meta"])

    @classmethod
    def from_dict(cls, d: ClientConfigProfileDict) -> Self:
        """Create a ClientConfigProfile from a dictionary."""
        return cls(
            address=d.get("address"),
            namespace=d.get("namespace"),
            api_key=d.get("api_key"),
            tls=ClientConfigTLS.from_dict(d.get("tls")),
            grpc_meta=d.get("grpc_meta") or {},
        )

    def to_dict(self) -> ClientConfigProfileDict:
        """Convert to a dictionary that can be used for TOML serialization."""
        d: ClientConfigProfileDict = {}
        if self.address is not None:
            d["address"] = self.address
        if self.namespace is not None:
            d["namespace"] = self.namespace
        if self.api_key is not None:
            d["api_key"] = self.api_key
        if self.tls and (tls_dict := self.tls.to_dict()):
            d["tls"] = tls_dict
        if self.grpc_meta:
            d["grpc_meta"] = self.grpc_meta
        return d

    def to_client_connect_config(self) -> ClientConnectConfig:
        """Create a ``ClientConnectConfig`` from this profile (reads certificate files)."""
        config: ClientConnectConfig = {}
        if self.address:
            config["target_host"] = self.address
        if self.namespace is not None:
            config["namespace"] = self.namespace
        if self.api_key is not None:
            config["api_key"] = self.api_key
            config["tls"] = True  # an API key means TLS, unless the profile says otherwise
        if self.tls is not None:
            config["tls"] = self.tls.to_connect_tls_config()
        if self.grpc_meta:
            config["rpc_metadata"] = self.grpc_meta
        return config

    @staticmethod
    def load(
        profile: str | None = None,
        *,
        config_source: DataSource | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfigProfile:
        """Load one client profile from a TOML file and apply environment overrides.

        Args:
            profile: Profile to load (default: ``$TEMPORAL_PROFILE``, else ``default``).
            config_source: Used instead of the default file locations: a path to the file, or
                the file's contents as str/bytes.
            disable_file: Do not load a file (only used when ``config_source`` is not given).
            disable_env: Do not read environment variables; takes precedence over
                ``override_env_vars``.
            config_file_strict: Reject unrecognized keys.
            override_env_vars: The environment to use instead of the process's.

        Raises:
            ConfigError: the file is malformed or inconsistent, or the profile is missing.
        """
        path, data = _source_to_path_and_data(config_source)
        raw = _load.load_profile(
            profile,
            path=path,
            data=data,
            disable_file=disable_file,
            disable_env=disable_env,
            strict=config_file_strict,
            env=override_env_vars,
        )
        return ClientConfigProfile.from_dict(cast(ClientConfigProfileDict, raw))


@dataclass
class ClientConfig:
    """Client configuration loaded from TOML: profile name to profile."""

    profiles: Mapping[str, ClientConfigProfile]
    """Map of profile name to its corresponding ClientConfigProfile."""

    def to_dict(self) -> Mapping[str, ClientConfigProfileDict]:
        """Convert to a dictionary that can be used for TOML serialization."""
        return {k: v.to_dict() for k, v in self.profiles.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, Any]]) -> Self:
        """Create a ClientConfig from a dictionary."""
        return cls(
            profiles={
                k: ClientConfigProfile.from_dict(cast(ClientConfigProfileDict, v))
                for k, v in d.items()
            }
        )

    @staticmethod
    def load(
        *,
        config_source: DataSource | None = None,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Load all client profiles; environment variables only locate the file
        (``TEMPORAL_CONFIG_FILE``), they do not override profiles.

        Args:
            config_source: Used instead of the default file locations: a path to the file, or
                the file's contents as str/bytes.
            config_file_strict: Reject unrecognized keys.
            override_env_vars: The environment to use instead of the process's.
        """
        path, data = _source_to_path_and_data(config_source)
        loaded = _load.load_all_profiles(
            path=path, data=data, strict=config_file_strict, env=override_env_vars
        )
        return ClientConfig.from_dict(loaded)

    @staticmethod
    def load_client_connect_config(
        profile: str | None = None,
        *,
        config_file: str | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConnectConfig:
        """Load one profile (see :py:meth:`ClientConfigProfile.load`) as ``Client.connect``
        keyword arguments.

        Args:
            profile: Profile to load (default: ``$TEMPORAL_PROFILE``, else ``default``).
            config_file: Path to a TOML file instead of the default locations; ignored when
                ``disable_file`` is true.
            disable_file: Do not load a file.
            disable_env: Do not read environment variables.
            config_file_strict: Reject unrecognized keys.
            override_env_vars: The environment to use instead of the process's.
        """
        config_source: DataSource | None = None
        if config_file and not disable_file:
            config_source = Path(config_file)
        prof = ClientConfigProfile.load(
            profile=profile,
            config_source=config_source,
            disable_file=disable_file,
            disable_env=disable_env,
            config_file_strict=config_file_strict,
            override_env_vars=override_env_vars,
        )
        return prof.to_client_connect_config()
