"""Fixtures for the connection-layer tests (tempyral.service, tempyral.envconfig).

* ``recording_proxy``: a gRPC proxy in front of the session dev server that records what each
  call carried (metadata, deadline) and forwards it unchanged, so tests see headers end to end.
* ``tls_material``: a test CA, server and client certificates (generated with ``cryptography``).
* ``tls_endpoints``: ``tempyral.testing.TLSProxy`` terminating TLS (and, on a second port, mutual
  TLS) in front of the dev server with those certificates, on free ports.

A missing ``cryptography`` fails the tests that need it, saying how to install it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from tempyral.testing import DevServer, TLSProxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- recording proxy ---------------------------------------------------------------------------


@dataclass
class RecordedCall:
    method: str
    metadata: dict[str, str | bytes]
    time_remaining: float | None


@dataclass
class RecordingProxy:
    target: str
    calls: list[RecordedCall] = field(default_factory=list)

    def calls_with(self, key: str, value: str) -> list[RecordedCall]:
        """Calls carrying metadata ``key: value`` (tests tag their calls to find them)."""
        return [call for call in self.calls if call.metadata.get(key) == value]


_NOT_FORWARDED = {"user-agent", "grpc-accept-encoding", "grpc-encoding", "te", "content-type"}


class _ForwardingHandler(grpc.GenericRpcHandler):
    def __init__(self, upstream: grpc.Channel, record: list[RecordedCall]) -> None:
        self._upstream = upstream
        self._record = record

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method

        def forward(request: bytes, context: grpc.ServicerContext) -> bytes:
            metadata = {m.key: m.value for m in context.invocation_metadata()}
            self._record.append(RecordedCall(method, metadata, context.time_remaining()))
            outgoing = [(k, v) for k, v in metadata.items() if k not in _NOT_FORWARDED]
            try:
                response: bytes = self._upstream.unary_unary(method)(
                    request, metadata=outgoing, timeout=context.time_remaining()
                )
            except grpc.RpcError as err:
                call: Any = err
                context.set_trailing_metadata(call.trailing_metadata() or ())
                context.abort(call.code(), call.details() or "")
            return response

        return grpc.unary_unary_rpc_method_handler(forward)


@pytest.fixture(scope="module")
def recording_proxy(tempyral_dev_server: DevServer) -> Iterator[RecordingProxy]:
    """A plaintext gRPC proxy to the session dev server that records every call."""
    port = free_port()
    upstream = grpc.insecure_channel(tempyral_dev_server.target)
    proxy = RecordingProxy(target=f"127.0.0.1:{port}")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((_ForwardingHandler(upstream, proxy.calls),))
    server.add_insecure_port(proxy.target)
    server.start()
    yield proxy
    server.stop(grace=None).wait()
    upstream.close()


# -- certificates ------------------------------------------------------------------------------


@dataclass
class TLSMaterial:
    """PEM bytes of a test PKI; ``other_*`` belongs to a CA nobody trusts."""

    ca_cert: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes
    other_ca_cert: bytes
    other_client_cert: bytes
    other_client_key: bytes
    encrypted_client_key: bytes
    directory: Path

    def write(self, name: str, data: bytes) -> Path:
        path = self.directory / name
        path.write_bytes(data)
        return path


def _cryptography() -> Any:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        pytest.fail(
            "the TLS tests generate certificates with the `cryptography` package, which is not "
            "installed: add `cryptography` to the test environment (pip install cryptography)"
        )
    from cryptography import x509

    return x509


def _make_pki(directory: Path) -> TLSMaterial:
    x509 = _cryptography()
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name: str) -> Any:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def builder(subject: str, issuer: Any, public_key: Any) -> Any:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
        )

    def new_ca(common_name: str) -> tuple[Any, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            builder(common_name, name(common_name), key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    def new_leaf(ca: tuple[Any, Any], common_name: str, server: bool) -> tuple[Any, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = builder(common_name, ca[1].subject, key.public_key())
        if server:
            cert = cert.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return key, cert.sign(ca[0], hashes.SHA256())

    def key_pem(key: Any, password: bytes | None = None) -> bytes:
        encryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        pem: bytes = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return pem

    def cert_pem(cert: Any) -> bytes:
        pem: bytes = cert.public_bytes(serialization.Encoding.PEM)
        return pem

    ca = new_ca("tempyral test CA")
    other_ca = new_ca("untrusted test CA")
    server = new_leaf(ca, "localhost", server=True)
    client = new_leaf(ca, "tempyral test client", server=False)
    other_client = new_leaf(other_ca, "untrusted client", server=False)
    return TLSMaterial(
        ca_cert=cert_pem(ca[1]),
        server_cert=cert_pem(server[1]),
        server_key=key_pem(server[0]),
        client_cert=cert_pem(client[1]),
        client_key=key_pem(client[0]),
        other_ca_cert=cert_pem(other_ca[1]),
        other_client_cert=cert_pem(other_client[1]),
        other_client_key=key_pem(other_client[0]),
        encrypted_client_key=key_pem(client[0], b"secret"),
        directory=directory,
    )


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    """A test CA with server and client certificates, written under a session temp dir."""
    material = _make_pki(tmp_path_factory.mktemp("pki"))
    material.write("ca.pem", material.ca_cert)
    material.write("server.pem", material.server_cert)
    material.write("server.key", material.server_key)
    return material


# -- TLS endpoints ---------------------------------------------------------------------------


@dataclass
class TLSEndpoints:
    tls_target: str
    """TLS endpoint (no client certificate needed)."""
    mtls_target: str
    """Mutual-TLS endpoint: requires a client certificate issued by the test CA."""
    material: TLSMaterial


@pytest.fixture(scope="session")
def tls_endpoints(
    tempyral_dev_server: DevServer, tls_material: TLSMaterial
) -> Iterator[TLSEndpoints]:
    """TLS on one port and mutual TLS on another, in front of the session dev server."""

    def proxy(client_ca_cert: bytes | None) -> TLSProxy:
        return TLSProxy(
            tempyral_dev_server.target,
            server_cert=tls_material.server_cert,
            server_private_key=tls_material.server_key,
            client_ca_cert=client_ca_cert,
        )

    with proxy(None) as tls, proxy(tls_material.ca_cert) as mtls:
        yield TLSEndpoints(tls_target=tls.target, mtls_target=mtls.target, material=tls_material)


# -- the official SDK's worker (tempyral.client tests) -----------------------------------------


@dataclass
class OfficialWorker:
    """The official SDK's worker process hosting ``official_worker/workflows.py``."""

    target: str
    namespace: str
    task_queue: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait_ready(worker: OfficialWorker, timeout: float = 60.0) -> None:
    import selectors

    assert worker.process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(worker.process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            chunk = os.read(worker.process.stdout.fileno(), 4096)
            seen += chunk
            if b"READY" in seen:
                return
            if not chunk and worker.process.poll() is not None:
                break
    worker.process.kill()
    worker.process.wait()
    pytest.fail(
        f"the official SDK's worker did not start within {timeout:.0f} s (exit code "
        f"{worker.process.returncode}):\n{seen.decode(errors='replace')}\n{worker.log.read_text()}"
    )


@pytest.fixture(scope="session")
def official_worker(
    tempyral_dev_server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OfficialWorker]:
    """The official SDK's worker (``temporalio``) in its own process, for the whole session.

    It hosts the workflows and activities of ``official_worker/workflows.py`` on its task queue
    and registers the ``Tempyral*`` search attributes. It stops when the session ends, or when
    this process dies (it exits when its stdin closes).
    """
    import uuid

    script = Path(__file__).parent / "official_worker" / "main.py"
    log = tmp_path_factory.mktemp("official-worker") / "worker.log"
    task_queue = f"tempyral-client-tests-{uuid.uuid4()}"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(script), tempyral_dev_server.target, "default", task_queue],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    worker = OfficialWorker(tempyral_dev_server.target, "default", task_queue, process, log)
    try:
        _wait_ready(worker)
        yield worker
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
async def tempyral_client(official_worker: OfficialWorker) -> Any:
    """A tempyral Client connected to the session dev server (where the official worker runs)."""
    from tempyral.client import Client

    return await Client.connect(official_worker.target, namespace=official_worker.namespace)
