"""TLSProxy: a real TLS endpoint (OpenSSL through the ssl module) in front of a plaintext server.

These tests talk to it with the standard ssl module and a plaintext echo server behind it; the
client package's TLS tests run gRPC through it to the dev server.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tempyral.testing import TLSProxy

if TYPE_CHECKING:
    from conftest import PKI


def proxy_for(pki: PKI, upstream: str, *, mutual: bool = False) -> TLSProxy:
    return TLSProxy(
        upstream,
        server_cert=pki.server_cert,
        server_private_key=pki.server_key,
        client_ca_cert=pki.ca_cert if mutual else None,
    )


@contextmanager
def tls_client(
    pki: PKI, target: str, tmp_path: Path, identity: tuple[bytes, bytes] | None = None
) -> Iterator[ssl.SSLSocket]:
    context = ssl.create_default_context(cadata=pki.ca_cert.decode())
    context.set_alpn_protocols(["h2"])
    if identity is not None:
        cert, key = tmp_path / "client.pem", tmp_path / "client.key"
        cert.write_bytes(identity[0])
        key.write_bytes(identity[1])
        context.load_cert_chain(cert, key)
    host, port = target.rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as sock,
    ):
        yield sock


def round_trip(sock: ssl.SSLSocket, data: bytes) -> bytes:
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def proxy_threads() -> list[str]:
    """Names of the proxy threads alive (the client tests' session proxies may be among them)."""
    return [t.name for t in threading.enumerate() if t.name.startswith("tempyral-tls-proxy")]


def test_tls_with_alpn_h2_relays_bytes_both_ways(
    pki: PKI, echo_server: str, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB: several TLS records and flow-control rounds
    with proxy_for(pki, echo_server) as proxy, tls_client(pki, proxy.target, tmp_path) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        assert round_trip(sock, payload) == payload


def test_mutual_tls_accepts_a_client_certificate_from_its_ca(
    pki: PKI, echo_server: str, tmp_path: Path
) -> None:
    identity = (pki.client_cert, pki.client_key)
    with (
        proxy_for(pki, echo_server, mutual=True) as proxy,
        tls_client(pki, proxy.target, tmp_path, identity) as sock,
    ):
        assert round_trip(sock, b"ping") == b"ping"


@pytest.mark.parametrize(
    ("who", "alert"),
    [("no certificate", "CERTIFICATE_REQUIRED"), ("a stranger", "UNKNOWN_CA")],
)
def test_mutual_tls_refusal_reaches_the_client_as_a_tls_alert(
    pki: PKI, echo_server: str, tmp_path: Path, who: str, alert: str
) -> None:
    identity = (pki.stranger_cert, pki.stranger_key) if who == "a stranger" else None
    with (
        proxy_for(pki, echo_server, mutual=True) as proxy,
        pytest.raises(ssl.SSLError, match=alert),
        tls_client(pki, proxy.target, tmp_path, identity) as sock,
    ):
        # TLS 1.3 clients finish their side first; the refusal arrives on the first read.
        round_trip(sock, b"ping")


def test_plaintext_request_gets_an_http_400_answer(pki: PKI, echo_server: str) -> None:
    with (
        proxy_for(pki, echo_server) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port or 0), timeout=10) as sock,
    ):
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")


async def test_async_proxy_serves_while_the_test_loop_is_blocked(
    pki: PKI, echo_server: str, tmp_path: Path
) -> None:
    async with proxy_for(pki, echo_server) as proxy:
        # A blocking round trip on this loop's thread: the proxy must not need this loop.
        with tls_client(pki, proxy.target, tmp_path) as sock:
            assert round_trip(sock, b"blocking") == b"blocking"
        await asyncio.sleep(0)
    assert not proxy.running
    assert f"tempyral-tls-proxy-{proxy.port}" not in proxy_threads()


def test_stop_closes_connections_listener_and_thread(
    pki: PKI, echo_server: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = proxy_for(pki, echo_server).start()
    port = proxy.port or 0
    assert f"tempyral-tls-proxy-{port}" in proxy_threads()
    with tls_client(pki, proxy.target, tmp_path) as sock:
        assert round_trip(sock, b"before") == b"before"
        proxy.stop()
        assert sock.recv(16) == b""  # the open connection was closed
    proxy.stop()  # twice is fine
    assert f"tempyral-tls-proxy-{port}" not in proxy_threads()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(RuntimeError, match="call start"):
        _ = proxy.target
    # Closing a live connection is routine, not an error for asyncio to log.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_unreachable_upstream_closes_the_client_connection(pki: PKI, tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{unused.getsockname()[1]}"  # bound, not listening
        with proxy_for(pki, nowhere) as proxy, tls_client(pki, proxy.target, tmp_path) as sock:
            sock.sendall(b"hello")
            assert sock.recv(16) == b""


def test_bad_input_names_the_argument(pki: PKI) -> None:
    with pytest.raises(ValueError, match="server_cert/server_private_key could not be loaded"):
        TLSProxy("127.0.0.1:1", server_cert=b"garbage", server_private_key=pki.server_key)
    with pytest.raises(ValueError, match="server_cert/server_private_key could not be loaded"):
        TLSProxy("127.0.0.1:1", server_cert=pki.server_cert, server_private_key=pki.client_key)
    with pytest.raises(ValueError, match="client_ca_cert is not a readable PEM certificate"):
        TLSProxy(
            "127.0.0.1:1",
            server_cert=pki.server_cert,
            server_private_key=pki.server_key,
            client_ca_cert=b"garbage",
        )
    with pytest.raises(ValueError, match="upstream must be 'host:port'"):
        TLSProxy("localhost", server_cert=pki.server_cert, server_private_key=pki.server_key)


def test_stop_amid_connecting_and_closing_clients_leaves_no_socket_open(
    pki: PKI, echo_server: str, tmp_path: Path
) -> None:
    # Clients arriving and leaving as the proxy stops: a connection accepted but not yet
    # served, or one ending as stop() cancels it, must still be closed. An unclosed one is a
    # ResourceWarning when collected, which warnings-as-errors turns into this test's failure.
    for _ in range(20):
        proxy = proxy_for(pki, echo_server).start()
        with tls_client(pki, proxy.target, tmp_path) as sock:
            assert round_trip(sock, b"ping") == b"ping"
        arriving = [socket.create_connection(("127.0.0.1", proxy.port or 0)) for _ in range(3)]
        proxy.stop()
        for raw in arriving:
            raw.close()
        gc.collect()
