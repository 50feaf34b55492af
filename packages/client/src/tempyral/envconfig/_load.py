"""Reading ``temporal.toml`` and ``TEMPORAL_*`` environment variables into profile dicts.

This follows the loader the official SDK runs in its Rust core, rule by rule:

* The file is ``config_source`` if given, else ``$TEMPORAL_CONFIG_FILE`` (when non-empty), else
  ``<user config dir>/temporalio/temporal.toml``. A file that does not exist is an empty config.
* The profile is ``profile`` if given, else ``$TEMPORAL_PROFILE`` (when non-empty), else
  ``default``; a profile named explicitly must exist, ``default`` need not.
* Unknown keys are ignored, or rejected with ``config_file_strict``; wrong value types are errors.
* ``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*``,
  ``TEMPORAL_CODEC_*`` and ``TEMPORAL_GRPC_META_<NAME>`` override the file; gRPC metadata names
  are lower-cased with ``_`` turned into ``-``, and an empty value removes the header.

Profiles come back as plain dicts (certificate data as bytes, paths as str), which the public
classes in ``_model`` are built from. Every problem raises :class:`ConfigError` saying where.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tempyral.common._logging import logger

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

__all__ = ["ConfigError", "default_config_file", "load_all_profiles", "load_profile"]

DEFAULT_PROFILE = "default"
_PROFILE_KEYS = ("address", "namespace", "api_key", "tls", "codec", "grpc_meta")
_TLS_KEYS = (
    "disabled",
    "client_cert_path",
    "client_cert_data",
    "client_key_path",
    "client_key_data",
    "server_ca_cert_path",
    "server_ca_cert_data",
    "server_name",
    "disable_host_verification",
)
_TLS_BOOLS = ("disabled", "disable_host_verification")
_CODEC_KEYS = ("endpoint", "auth")
_SOURCES = (("client_cert", "cert"), ("client_key", "key"), ("server_ca_cert", "server CA cert"))
_TLS_ENV = (
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
)
_GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"


class ConfigError(RuntimeError):
    """Client configuration could not be loaded; the message says where and why."""


def _load_error(message: str) -> ConfigError:
    return ConfigError(f"Configuration loading error: {message}")


def _invalid(message: str) -> ConfigError:
    return ConfigError(f"Invalid configuration: {message}")


def default_config_file(env: Mapping[str, str] | None = None) -> Path | None:
    """``<user config dir>/temporalio/temporal.toml``, where the user config dir is the
    platform's (``$XDG_CONFIG_HOME`` or ``~/.config`` on Linux, ``~/Library/Application Support``
    on macOS, ``%APPDATA%`` on Windows)."""
    environ = os.environ if env is None else env
    if sys.platform == "win32":
        appdata = environ.get("APPDATA")
        base = Path(appdata) if appdata else None
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = environ.get("XDG_CONFIG_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "temporalio" / "temporal.toml" if base is not None else None


# -- TOML --------------------------------------------------------------------------------------

_LOCATION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")


def _header_path(header: str) -> list[str]:
    return [part.strip().strip("\"'") for part in header.split(".")]


def _line_of(text: str, path: list[str]) -> int | None:
    """Best-effort line number where the key or table at ``path`` is written."""
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            table = _header_path(header.group(1))
            if table[: len(path)] == path:  # the table itself, or one inside it
                return number
        elif "=" in stripped:
            key = table + _header_path(stripped.split("=", 1)[0])
            # The key itself, a key inside it, or an inline table holding it.
            if key[: len(path)] == path or path[: len(key)] == key:
                return number
    return None


class _Schema:
    """Checks parsed TOML against the config file's shape, as serde would."""

    def __init__(self, text: str, source: str, strict: bool) -> None:
        self.text = text
        self.source = source
        self.strict = strict

    def error(self, path: list[str], problem: str) -> ConfigError:
        line = _line_of(self.text, path) if path else None
        where = f"{self.source} at line {line}" if line is not None else self.source
        key = f"{'.'.join(path)}: " if path else ""
        return _load_error(f"TOML parse error in {where}: {key}{problem}")

    def table(self, value: object, path: list[str], keys: tuple[str, ...] | None) -> dict[str, Any]:
        """``value`` as a table; with ``keys`` (and strict checking), only those keys."""
        if not isinstance(value, dict):
            raise self.error(path, f"invalid type: {_describe(value)}, expected a table")
        if self.strict and keys is not None:
            for key in value:
                if key not in keys:
                    expected = ", ".join(f"`{k}`" for k in keys)
                    expected = f"one of {expected}" if len(keys) > 1 else expected
                    raise self.error([*path, key], f"unknown field `{key}`, expected {expected}")
        return value

    def string(self, table: dict[str, Any], key: str, path: list[str]) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error([*path, key], f"invalid type: {_describe(value)}, expected a string")
        return value

    def boolean(self, table: dict[str, Any], key: str, path: list[str]) -> bool | None:
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.error([*path, key], f"invalid type: {_describe(value)}, expected a boolean")
        return value


_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int
    (int, "integer"),
    (float, "floating point"),
)


def _describe(value: object) -> str:
    """Name a TOML value's type the way the official SDK's messages do."""
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, str):
        return f'string "{value}"'
    for kind, name in _SCALARS:
        if isinstance(value, kind):
            shown = str(value).lower() if isinstance(value, bool) else value
            return f"{name} `{shown}`"
    return type(value).__name__


def normalize_grpc_meta_key(key: str) -> str:
    return key.lower().replace("_", "-")


def _parse_tls(schema: _Schema, value: object, path: list[str]) -> dict[str, Any]:
    table = schema.table(value, path, _TLS_KEYS)
    tls: dict[str, Any] = {}
    for key in _TLS_BOOLS:
        tls[key] = schema.boolean(table, key, path)
    tls["disable_host_verification"] = bool(tls["disable_host_verification"])
    tls["server_name"] = schema.string(table, "server_name", path)
    for name, _label in _SOURCES:
        file_path = schema.string(table, f"{name}_path", path)
        data = schema.string(table, f"{name}_data", path)
        if file_path is not None and data is not None:
            raise _invalid(f"Cannot specify both {name}_path and {name}_data")
        if file_path is not None:
            tls[name] = {"path": file_path}
        elif data:
            tls[name] = {"data": data.encode()}
    return tls


def _parse_profile(schema: _Schema, value: object, path: list[str]) -> dict[str, Any]:
    table = schema.table(value, path, _PROFILE_KEYS)
    profile: dict[str, Any] = {}
    for key in ("address", "namespace", "api_key"):
        text = schema.string(table, key, path)
        if text is not None:
            profile[key] = text
    if table.get("tls") is not None:
        profile["tls"] = _parse_tls(schema, table["tls"], [*path, "tls"])
    if table.get("codec") is not None:
        codec = schema.table(table["codec"], [*path, "codec"], _CODEC_KEYS)
        profile["codec"] = {k: schema.string(codec, k, [*path, "codec"]) for k in _CODEC_KEYS}
    meta = schema.table(table.get("grpc_meta", {}), [*path, "grpc_meta"], None)
    grpc_meta = {}
    for key in meta:
        grpc_meta[normalize_grpc_meta_key(key)] = schema.string(meta, key, [*path, "grpc_meta"])
    profile["grpc_meta"] = grpc_meta
    return profile


def parse_toml(data: bytes, source: str, *, strict: bool) -> dict[str, dict[str, Any]]:
    """All profiles in the TOML ``data`` read from ``source`` (a path, or a description)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _load_error(
            f"{source} is not UTF-8 text (invalid byte at offset {err.start})"
        ) from err
    if not text.strip():
        return {}
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        location = _LOCATION.search(message)
        problem = _LOCATION.sub("", message)
        if location is None:
            where = source
        elif location.group(1):
            where = f"{source} at line {location.group(1)}, column {location.group(2)}"
        else:
            where = f"{source} at the end of the document"
        raise _load_error(f"TOML parse error in {where}: {problem}") from err
    schema = _Schema(text, source, strict)
    schema.table(document, [], ("profile",))
    profiles = schema.table(document.get("profile", {}), ["profile"], None)
    return {
        name: _parse_profile(schema, value, ["profile", name]) for name, value in profiles.items()
    }


# -- sources -----------------------------------------------------------------------------------


def _read_config(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        logger.debug("Temporal client config file {} does not exist; using no file", path)
        return None
    except OSError as err:
        raise _load_error(f"cannot read config file {path}: {err.strerror or err}") from err


def load_all_profiles(
    *,
    path: str | None,
    data: bytes | None,
    strict: bool,
    env: Mapping[str, str] | None,
) -> dict[str, dict[str, Any]]:
    """Every profile of the config file (no environment overrides)."""
    environ = os.environ if env is None else env
    if data is not None:
        return parse_toml(data, "config data", strict=strict)
    if path is None:
        from_env = environ.get("TEMPORAL_CONFIG_FILE", "")
        default = default_config_file(environ)
        path = from_env or (str(default) if default is not None else None)
    if path is None:
        return {}
    raw = _read_config(path)
    return parse_toml(raw, path, strict=strict) if raw is not None else {}


def _env_bool(value: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(value.lower())


def _apply_source_env(tls: dict[str, Any], name: str, label: str, env: Mapping[str, str]) -> None:
    upper = name.upper()
    path_var, data_var = f"TEMPORAL_TLS_{upper}_PATH", f"TEMPORAL_TLS_{upper}_DATA"
    path, data = env.get(path_var), env.get(data_var)
    current = tls.get(name) or {}
    if path is not None and data is not None:
        raise _invalid(f"Cannot specify both {path_var} and {data_var}")
    if path is not None:
        if "data" in current:
            raise _invalid(
                f"Cannot specify {label} path via {path_var} when {label} data is already specified"
            )
        tls[name] = {"path": path}
    elif data is not None:
        if "path" in current:
            raise _invalid(
                f"Cannot specify {label} data via {data_var} when {label} path is already specified"
            )
        tls[name] = {"data": data.encode()}


def _apply_tls_env(profile: dict[str, Any], env: Mapping[str, str]) -> None:
    if profile.get("tls") is None and any(var in env for var in _TLS_ENV):
        profile["tls"] = {"disabled": None, "disable_host_verification": False}
    tls = profile.get("tls")
    if tls is None:
        return
    enabled = _env_bool(env.get("TEMPORAL_TLS", ""))
    if enabled is not None:
        tls["disabled"] = not enabled
    for name, label in _SOURCES:
        _apply_source_env(tls, name, label, env)
    if "TEMPORAL_TLS_SERVER_NAME" in env:
        tls["server_name"] = env["TEMPORAL_TLS_SERVER_NAME"]
    skip_verify = _env_bool(env.get("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", ""))
    if skip_verify is not None:
        tls["disable_host_verification"] = skip_verify


def _apply_codec_env(profile: dict[str, Any], env: Mapping[str, str]) -> None:
    variables = {"endpoint": "TEMPORAL_CODEC_ENDPOINT", "auth": "TEMPORAL_CODEC_AUTH"}
    if profile.get("codec") is None and any(var in env for var in variables.values()):
        profile["codec"] = {"endpoint": None, "auth": None}
    for key, var in variables.items():
        if var in env:
            profile["codec"][key] = env[var]


def _apply_grpc_meta_env(profile: dict[str, Any], env: Mapping[str, str]) -> None:
    grpc_meta = profile.setdefault("grpc_meta", {})
    for var, value in env.items():
        if var.startswith(_GRPC_META_PREFIX):
            name = normalize_grpc_meta_key(var[len(_GRPC_META_PREFIX) :])
            if value:
                grpc_meta[name] = value
            else:
                grpc_meta.pop(name, None)


def apply_env(profile: dict[str, Any], env: Mapping[str, str]) -> None:
    """Override ``profile`` in place with the ``TEMPORAL_*`` variables in ``env``."""
    for key, var in (
        ("address", "TEMPORAL_ADDRESS"),
        ("namespace", "TEMPORAL_NAMESPACE"),
        ("api_key", "TEMPORAL_API_KEY"),
    ):
        if var in env:
            profile[key] = env[var]
    _apply_tls_env(profile, env)
    _apply_codec_env(profile, env)
    _apply_grpc_meta_env(profile, env)


def load_profile(
    profile: str | None,
    *,
    path: str | None,
    data: bytes | None,
    disable_file: bool,
    disable_env: bool,
    strict: bool,
    env: Mapping[str, str] | None,
) -> dict[str, Any]:
    """One profile from the file (unless disabled), with environment overrides (unless disabled)."""
    if disable_file and disable_env:
        raise _invalid("Cannot disable both file and environment loading")
    environ: Mapping[str, str] = os.environ if env is None else env
    loaded: dict[str, Any] = {}
    if not disable_file:
        profiles = load_all_profiles(path=path, data=data, strict=strict, env=env)
        name = profile
        if name is None and not disable_env:
            name = environ.get("TEMPORAL_PROFILE") or None
        if name is not None and name not in profiles:
            raise ConfigError(f"Profile '{name}' not found")
        loaded = profiles.get(name or DEFAULT_PROFILE, {})
    if not disable_env:
        apply_env(loaded, environ)
    return loaded
