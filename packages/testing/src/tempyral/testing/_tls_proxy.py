"""A TLS-terminating TCP proxy, to test TLS and mutual-TLS client settings against a dev server.

The dev server speaks plaintext gRPC only. :class:`TLSProxy` listens on a free loopback port,
does the TLS handshake with the standard ``ssl`` module (OpenSSL: a real TLS endpoint, ALPN
``h2`` as gRPC requires), optionally requires a client certificate issued by a given CA, and
forwards the decrypted bytes to the plaintext server unchanged.

The proxy runs its own asyncio event loop in a thread of its own. A test whose event loop is
blocked (a synchronous call made from async code) therefore cannot stall the proxy it is talking
through, and the proxy never runs callbacks on the test's loop. Stopping it closes the listener
and every connection and joins the thread; proxies still running at interpreter exit are
stopped then.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import socket
import ssl
import tempfile
import threading
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

__all__ = ["TLSProxy"]

_READ_SIZE = 65536
_HANDSHAKE_TIMEOUT = 10.0
# An HTTP/2 or HTTP/1.x request sent in plaintext to the TLS port starts with one of these.
_PLAINTEXT_STARTS = (b"PRI * HTTP/2", b"GET ", b"POST ", b"HEAD ", b"PUT ", b"OPTIONS ")
_PLAINTEXT_ANSWER = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    b"Content-Length: 47\r\n\r\nA plaintext request was sent to this TLS port.\n"
)

# Proxies still running, stopped at interpreter exit in case nobody called stop().
_RUNNING: weakref.WeakSet[TLSProxy] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for proxy in list(_RUNNING):
        proxy.stop()


def _server_context(
    server_cert: bytes, server_private_key: bytes, client_ca_cert: bytes | None
) -> ssl.SSLContext:
    """The OpenSSL context of the endpoint; bad PEM raises ValueError naming the argument."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    # load_cert_chain reads files only; they live for the duration of the call.
    with tempfile.TemporaryDirectory(prefix="tempyral-tls-proxy-") as directory:
        cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        key_path.touch(mode=0o600)
        key_path.write_bytes(server_private_key)
        cert_path.write_bytes(server_cert)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as err:
            raise ValueError(
                "TLSProxy: server_cert/server_private_key could not be loaded "
                f"({err.reason or err}); pass the PEM certificate (chain) and the unencrypted "
                "PEM private key it was issued for"
            ) from err
    if client_ca_cert is not None:
        try:
            context.load_verify_locations(cadata=client_ca_cert.decode("ascii"))
        except (ssl.SSLError, UnicodeDecodeError, ValueError) as err:
            raise ValueError(
                f"TLSProxy: client_ca_cert is not a readable PEM certificate ({err}); pass the "
                "PEM certificate of the CA that issues the client certificates"
            ) from err
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _split_address(address: str, what: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"TLSProxy: {what} must be 'host:port', got {address!r}")
    return host.strip("[]"), int(port)


class TLSProxy:
    """A TLS (or, given ``client_ca_cert``, mutual-TLS) endpoint in front of a plaintext server.

    ``upstream`` is the plaintext server's ``host:port``, for instance ``DevServer.target``.
    ``server_cert`` and ``server_private_key`` are the PEM certificate (chain) and unencrypted
    key the endpoint presents. With ``client_ca_cert`` (PEM), a client must present a certificate
    issued by that CA or the handshake fails. ``target`` is the ``host:port`` to connect to once
    started (a free port unless ``port`` is given).

    Use it as ``with TLSProxy(...) as proxy:`` or ``async with TLSProxy(...) as proxy:``, or call
    ``start()``/``stop()``.
    """

    def __init__(
        self,
        upstream: str,
        *,
        server_cert: bytes,
        server_private_key: bytes,
        client_ca_cert: bytes | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.upstream = upstream
        self._upstream_address = _split_address(upstream, "upstream")
        self._context = _server_context(server_cert, server_private_key, client_ca_cert)
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def target(self) -> str:
        """``host:port`` of the TLS endpoint; valid once started."""
        if self.port is None or self._thread is None:
            raise RuntimeError("the TLS proxy has not been started; call start() first")
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> TLSProxy:
        """Listen, and serve from the proxy's own thread; returns once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError(f"the TLS proxy is already running at {self.target}")
        listener = socket.create_server((self.host, self.port or 0))
        self.port = int(listener.getsockname()[1])
        ready = threading.Event()
        failures: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run,
            args=(listener, ready, failures),
            name=f"tempyral-tls-proxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failures:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the TLS proxy could not start: {failures[0]}") from failures[0]
        _RUNNING.add(self)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, and join the thread; safe to call twice."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        self._thread = None
        _RUNNING.discard(self)
        if thread is None:
            return
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the TLS proxy thread did not stop within {timeout:.0f} s")

    def __enter__(self) -> TLSProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> TLSProxy:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- the proxy's thread ----------------------------------------------------------------

    def _run(
        self, listener: socket.socket, ready: threading.Event, failures: list[BaseException]
    ) -> None:
        try:
            asyncio.run(self._serve(listener, ready))
        except BaseException as err:
            failures.append(err)  # start() raises it when it came before the proxy was ready
        finally:
            listener.close()
            ready.set()

    async def _serve(self, listener: socket.socket, ready: threading.Event) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        # An accept loop of its own rather than asyncio.start_server: before Python 3.13 a
        # stream server cannot close a client it accepted but had not handed to its callback
        # yet, and such a socket stayed open after stop() (a ResourceWarning when collected).
        connections: set[asyncio.Task[None]] = set()

        async def relay(client: socket.socket) -> None:
            reader, writer = await asyncio.open_connection(sock=client)
            try:
                await self._handle(reader, writer)
            finally:
                await _close(writer)

        def finished(client: socket.socket, task: asyncio.Task[None]) -> None:
            connections.discard(task)
            client.close()  # closed already, unless the task was cancelled before it ran

        def accept() -> None:
            # Called when the listener is readable; synchronous, so that no cancellation can
            # fall between accepting a client and recording it (as it can with sock_accept).
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:  # BlockingIOError once the backlog is empty
                    return
                client.setblocking(False)
                task = loop.create_task(relay(client))
                connections.add(task)
                task.add_done_callback(functools.partial(finished, client))

        listener.setblocking(False)
        loop.add_reader(listener.fileno(), accept)
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            loop.remove_reader(listener.fileno())
            for task in list(connections):
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: handshake, then relay until either side ends."""
        tls = _TLSConnection(self._context, reader, writer)
        try:
            await asyncio.wait_for(tls.handshake(), _HANDSHAKE_TIMEOUT)
        except (OSError, EOFError, asyncio.TimeoutError):
            return  # the client has been told why (alert or HTTP 400), or has gone
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                *self._upstream_address
            )
        except OSError:
            return

        async def read_upstream() -> bytes:
            return await upstream_reader.read(_READ_SIZE)

        async def write_upstream(data: bytes) -> None:
            upstream_writer.write(data)
            await upstream_writer.drain()

        pumps = [
            asyncio.create_task(_pump(tls.read, write_upstream)),
            asyncio.create_task(_pump(read_upstream, tls.write)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            try:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
            finally:
                # Also when stop() cancels this task while it waits for the pumps above.
                await _close(upstream_writer)


class _TLSConnection:
    """The server side of TLS over a plain stream, through OpenSSL memory buffers.

    asyncio's own TLS transport drops the alert OpenSSL writes when a handshake fails, so a
    client refused for its certificate would only see a closed socket; here every byte OpenSSL
    produces, alerts included, is sent before the connection closes.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._reader, self._writer = reader, writer

    async def handshake(self) -> None:
        """Handshake; raises ssl.SSLError after the alert is sent, EOFError if the client left."""
        first = await self._reader.read(_READ_SIZE)
        if first.startswith(_PLAINTEXT_STARTS):
            # What TLS servers commonly answer a plaintext request with, so that a client that
            # forgot TLS learns it from the answer rather than from a closed socket.
            self._writer.write(_PLAINTEXT_ANSWER)
            await self._writer.drain()
            raise EOFError("plaintext request on the TLS port")
        self._feed(first)
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush()
                self._feed(await self._reader.read(_READ_SIZE))
            except ssl.SSLError:
                await self._flush()
                raise
        await self._flush()

    async def read(self) -> bytes:
        """Decrypted bytes from the client; b"" once it has closed."""
        while True:
            try:
                data = self._tls.read(_READ_SIZE)
            except ssl.SSLWantReadError:
                await self._flush()
                chunk = await self._reader.read(_READ_SIZE)
                if not chunk:
                    return b""
                self._incoming.write(chunk)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""
            else:
                await self._flush()
                return data

    async def write(self, data: bytes) -> None:
        self._tls.write(data)
        await self._flush()

    def _feed(self, chunk: bytes) -> None:
        if not chunk:
            raise EOFError("the client closed the connection during the TLS handshake")
        self._incoming.write(chunk)

    async def _flush(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._writer.write(pending)
            await self._writer.drain()


async def _pump(
    read: Callable[[], Awaitable[bytes]], write: Callable[[bytes], Awaitable[None]]
) -> None:
    """Copy until ``read`` returns b"" or a socket error ends the connection."""
    with contextlib.suppress(OSError):
        while data := await read():
            await write(data)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 5)
