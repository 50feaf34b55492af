"""How unary calls reach the server: gRPC channels, per event loop and per process.

The transport interface is one coroutine, :py:meth:`Transport.unary`, which either returns the
response or raises the gRPC stack's own error (translated by the caller, in ``_errors``).

* :class:`AioTransport` (the normal case) keeps one ``grpc.aio`` channel per event loop, since a
  ``grpc.aio`` channel only works on the loop it was created on.
* :class:`ThreadTransport` is used in processes forked from one that imported this module.
  ``grpc.aio`` cannot be used there: its completion queue is polled by a thread that fork did not
  copy, so calls hang, and releasing a channel inherited from the parent crashes the process. So
  a fork child talks through a regular (thread-driven) gRPC channel of its own, awaiting its
  futures from asyncio, and the transports it inherited are parked, never released.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import warnings
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import grpc
import grpc.aio
from google.protobuf.message import Message

from tempyral.service._config import ConnectConfig, TLSConfig
from tempyral.service._tls import channel_credentials, validate_tls_config

__all__ = [
    "AioTransport",
    "ChannelSettings",
    "ThreadTransport",
    "Transport",
    "client_version",
    "in_forked_child",
    "new_transport",
]

ResponseT = TypeVar("ResponseT", bound=Message)
Metadata = Sequence[tuple[str, str | bytes]]

_DEFAULT_MAX_INCOMING_BYTES = 128 * 1024 * 1024


@functools.cache
def client_version() -> str:
    """tempyral-client's version, as sent to the server (read on first use: see below)."""
    # Imported here: importlib.metadata costs more to import than the rest of a worker's
    # transport, and a program needs the version only once it connects.
    from importlib import metadata

    try:
        return metadata.version("tempyral-client")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0.0.0"


CLIENT_NAME = "tempyral-python"


def _max_incoming_bytes() -> int:
    raw = os.environ.get("TEMPORAL_MAX_INCOMING_GRPC_BYTES", "")
    return int(raw) if raw.isdigit() else _DEFAULT_MAX_INCOMING_BYTES


@dataclass
class ChannelSettings:
    """Everything a channel is built from, derived once from a :class:`ConnectConfig`."""

    target: str
    tls: TLSConfig | None
    options: list[tuple[str, Any]] = field(default_factory=list)
    compression: grpc.Compression | None = None

    @classmethod
    def from_config(cls, config: ConnectConfig) -> ChannelSettings:
        """Build and check the settings; raises ValueError on unusable TLS material."""
        target = config.target_host
        tls = config._tls_config()
        scheme, separator, rest = target.partition("://")
        if separator and scheme in ("http", "https"):
            warnings.warn(
                "Target host as URL with scheme no longer supported; pass host:port",
                DeprecationWarning,
                stacklevel=4,
            )
            target = rest
            if scheme == "https" and tls is None:
                tls = TLSConfig()
        # Other gRPC target forms (dns:///host:port, unix:/path, ...) pass through.
        if tls is not None:
            validate_tls_config(tls)
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", _max_incoming_bytes()),
            ("grpc.max_send_message_length", -1),
            ("grpc.primary_user_agent", f"{CLIENT_NAME}/{client_version()}"),
            # Come back quickly once a restarted server listens again; calls retry meanwhile.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 5000),
        ]
        keep_alive = config.keep_alive_config
        if keep_alive is not None:
            options += [
                ("grpc.keepalive_time_ms", keep_alive.interval_millis),
                ("grpc.keepalive_timeout_ms", keep_alive.timeout_millis),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.max_pings_without_data", 0),
            ]
        if tls is not None and tls.domain:
            options += [
                ("grpc.ssl_target_name_override", tls.domain),
                ("grpc.default_authority", tls.domain),
            ]
        proxy = config.http_connect_proxy_config
        if proxy is not None:
            auth = ""
            if proxy.basic_auth is not None:
                user, password = proxy.basic_auth
                auth = f"{quote(user, safe='')}:{quote(password, safe='')}@"
            options.append(("grpc.http_proxy", f"http://{auth}{proxy.target_host}"))
        else:
            # Like the official SDK: proxies are configured explicitly, never from *_proxy env.
            options.append(("grpc.enable_http_proxy", 0))
        dns = config.dns_load_balancing_config
        if dns is not None and proxy is None:
            options += [
                ("grpc.lb_policy_name", "round_robin"),
                ("grpc.dns_min_time_between_resolutions_ms", dns.resolution_interval_millis),
            ]
        compression = config.grpc_compression._to_grpc()
        return cls(target=target, tls=tls, options=options, compression=compression)

    def credentials(self) -> grpc.ChannelCredentials | None:
        return channel_credentials(self.tls) if self.tls is not None else None


class Transport(ABC):
    """Sends one unary call; raises ``grpc.RpcError`` (with ``code()``/``details()``) on failure."""

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        _LIVE_TRANSPORTS.add(self)

    @abstractmethod
    async def unary(
        self,
        path: str,
        request: Message,
        response_type: type[ResponseT],
        *,
        timeout: float,
        metadata: Metadata,
    ) -> ResponseT:
        raise NotImplementedError


# Every live transport, so a fork child can park the ones it inherited.
_LIVE_TRANSPORTS: weakref.WeakSet[Transport] = weakref.WeakSet()
# Transports inherited from a parent process. Releasing their channels crashes (grpc.aio) or may
# block on state that fork did not copy, so they stay referenced until the process ends.
_PARKED_TRANSPORTS: list[Transport] = []
_PROCESS = {"forked": False}


def _after_fork_in_child() -> None:
    _PROCESS["forked"] = True
    _PARKED_TRANSPORTS.extend(_LIVE_TRANSPORTS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def in_forked_child() -> bool:
    """True in a process forked after this module was imported."""
    return _PROCESS["forked"]


def park(transport: Transport) -> None:
    """Keep ``transport`` referenced, unused, until the process ends (never release it)."""
    _PARKED_TRANSPORTS.append(transport)


def failed_on_a_stale_fork_socket(error: grpc.RpcError) -> bool:
    """True when a forked child's call failed before it was sent, on a socket fork left stale.

    gRPC skips its fork handlers while another thread is inside gRPC (its aio poller often is),
    and a channel made in the child can then hand out a socket of the parent's generation: the
    write fails locally, so the request never reached the server and is safe to send again.
    """
    code = getattr(error, "code", None)
    details = getattr(error, "details", None)
    return (
        in_forked_child()
        and callable(code)
        and code() == grpc.StatusCode.UNAVAILABLE
        and callable(details)
        and "Wrong file descriptor generation" in str(details())
    )


class AioTransport(Transport):
    """``grpc.aio`` channels, one per event loop (a channel is bound to its loop)."""

    def __init__(self, settings: ChannelSettings) -> None:
        super().__init__(settings)
        self._channels: dict[asyncio.AbstractEventLoop, grpc.aio.Channel] = {}
        # Per channel, the callable of each method path: building one per call is wasted work.
        self._callables: dict[
            tuple[grpc.aio.Channel, str, type[Message]], grpc.aio.UnaryUnaryMultiCallable[Any, Any]
        ] = {}

    def _channel(self) -> grpc.aio.Channel:
        loop = asyncio.get_running_loop()
        channel = self._channels.get(loop)
        if channel is None:
            for old in [old for old in self._channels if old.is_closed()]:
                gone = self._channels.pop(old)  # its channel is released with the loop
                self._callables = {k: v for k, v in self._callables.items() if k[0] is not gone}
            settings = self.settings
            credentials = settings.credentials()
            if credentials is None:
                channel = grpc.aio.insecure_channel(
                    settings.target, settings.options, settings.compression
                )
            else:
                channel = grpc.aio.secure_channel(
                    settings.target, credentials, settings.options, settings.compression
                )
            self._channels[loop] = channel
        return channel

    async def unary(
        self,
        path: str,
        request: Message,
        response_type: type[ResponseT],
        *,
        timeout: float,
        metadata: Metadata,
    ) -> ResponseT:
        channel = self._channel()
        key = (channel, path, response_type)
        call = self._callables.get(key)
        if call is None:
            # Registered with the channel once, as grpc's generated stubs do: each call then
            # skips the per-call method and host lookups in gRPC's core.
            register: Any = channel.unary_unary  # grpc-stubs lack _registered_method
            call = self._callables[key] = register(
                path,
                request_serializer=_serialize,
                response_deserializer=response_type.FromString,
                _registered_method=True,
            )
        response: ResponseT = await call(
            request, timeout=timeout, metadata=grpc.aio.Metadata(*metadata)
        )
        return response

    async def close(self) -> None:
        """Close the channel of the running loop (others close with their loops)."""
        channel = self._channels.pop(asyncio.get_running_loop(), None)
        if channel is not None:
            self._callables = {k: v for k, v in self._callables.items() if k[0] is not channel}
            await channel.close(None)


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


class ThreadTransport(Transport):
    """A regular gRPC channel, driven by gRPC's threads, awaited from any event loop."""

    def __init__(self, settings: ChannelSettings) -> None:
        super().__init__(settings)
        credentials = settings.credentials()
        if credentials is None:
            self._sync = grpc.insecure_channel(
                settings.target, settings.options, settings.compression
            )
        else:
            self._sync = grpc.secure_channel(
                settings.target, credentials, settings.options, settings.compression
            )

    async def unary(
        self,
        path: str,
        request: Message,
        response_type: type[ResponseT],
        *,
        timeout: float,
        metadata: Metadata,
    ) -> ResponseT:
        call = self._sync.unary_unary(
            path,
            request_serializer=_serialize,
            response_deserializer=response_type.FromString,
        )
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[ResponseT] = loop.create_future()
        # grpc's stubs leave the future's methods untyped.
        future: Any = call.future(request, timeout=timeout, metadata=tuple(metadata))

        def settle(done: Any) -> None:
            if waiter.done():
                return
            if done.cancelled():
                waiter.cancel()
                return
            error = done.exception()
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(done.result())

        def on_done(done: Any) -> None:
            # RuntimeError: the loop closed while the call was in flight; nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, done)

        future.add_done_callback(on_done)
        try:
            return await waiter
        except asyncio.CancelledError:
            future.cancel()
            raise


def new_transport(settings: ChannelSettings) -> Transport:
    """The right transport for this process (see the module docstring)."""
    return ThreadTransport(settings) if in_forked_child() else AioTransport(settings)
