"""Running the ``tempyral`` command as a user does: a subprocess with an environment of its own
(no TEMPORAL_* variables and no temporal.toml leak in from the machine), from a chosen folder;
``tempyral worker run`` in the background; a gateway that checks API keys as Temporal Cloud does."""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

SAMPLE = Path(__file__).parent / "sample"
GOLDEN = Path(__file__).parents[2] / "replay" / "tests" / "golden"

RunCli = Callable[..., subprocess.CompletedProcess[str]]
GOOD_KEY = "good-key-123"


def free_port() -> int:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    # No temporal.toml unless a test writes one: the default file lives under this home.
    clean.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **(env or {}))
    return clean


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    home = tmp_path / "home"
    home.mkdir()

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tempyral.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=cli_env(home, env),
            cwd=cwd or SAMPLE,
        )

    return run


class WorkerProcess:
    """``tempyral worker run`` in the background, its stderr collected line by line."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str],
        cwd: Path = SAMPLE,
        program: Sequence[str] = (sys.executable, "-m", "tempyral.cli"),
    ) -> None:
        self.process = subprocess.Popen(
            [*program, "worker", "run", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            assert self.process.poll() is None, f"worker exited early:\n{self.stderr}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.stderr}"
            time.sleep(0.05)

    def stop(self, sig: signal.Signals, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()


class _ApiKeyGateway(grpc.GenericRpcHandler):
    def __init__(self, upstream: grpc.Channel) -> None:
        self._upstream = upstream

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method

        def forward(request: bytes, context: grpc.ServicerContext) -> bytes:
            metadata = {m.key: m.value for m in context.invocation_metadata()}
            if metadata.get("authorization") != f"Bearer {GOOD_KEY}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "Request unauthorized.")
            try:
                response: bytes = self._upstream.unary_unary(method)(
                    request, timeout=context.time_remaining()
                )
            except grpc.RpcError as err:
                call: Any = err
                context.abort(call.code(), call.details() or "")
            return response

        return grpc.unary_unary_rpc_method_handler(forward)


@contextmanager
def api_key_gateway(upstream_target: str, threads: int = 4) -> Iterator[str]:
    """A plaintext gateway accepting only ``GOOD_KEY``; a worker's long polls need more threads."""
    with grpc.insecure_channel(upstream_target) as upstream:
        server = grpc.server(ThreadPoolExecutor(threads), handlers=[_ApiKeyGateway(upstream)])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            yield f"127.0.0.1:{port}"
        finally:
            server.stop(None).wait()


@dataclass(frozen=True)
class TLSFiles:
    """PEM files of a test CA, a server and a client certificate it issued, and a CA that
    issued nothing."""

    ca: Path
    other_ca: Path
    server_cert: bytes
    server_key: bytes
    client_cert: Path
    client_key: Path


def _pem_material(directory: Path) -> TLSFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(
        name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            # Key identifiers and CA key usage: Python 3.13's strict verification requires them.
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), False
            )
        )
        if name == issuer[0]:  # a CA
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            usage = x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            )
            builder = builder.add_extension(usage, True)
        else:
            san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(san), False)
        return builder.sign(issuer[1], hashes.SHA256())

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    ca_key, other_key, server_key, client_key = keys
    ca = certificate("tempyral test CA", ca_key, ("tempyral test CA", ca_key))
    other = certificate("unrelated CA", other_key, ("unrelated CA", other_key))
    server = certificate("localhost", server_key, ("tempyral test CA", ca_key))
    client = certificate("tempyral test client", client_key, ("tempyral test CA", ca_key))
    (directory / "ca.pem").write_bytes(pem(ca))
    (directory / "other-ca.pem").write_bytes(pem(other))
    (directory / "client.pem").write_bytes(pem(client))

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    (directory / "client-key.pem").write_bytes(key_pem(client_key))
    return TLSFiles(
        directory / "ca.pem",
        directory / "other-ca.pem",
        pem(server),
        key_pem(server_key),
        directory / "client.pem",
        directory / "client-key.pem",
    )


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return _pem_material(tmp_path_factory.mktemp("tls"))
