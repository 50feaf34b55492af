"""TLS: check certificates before connecting, build gRPC credentials, explain handshake failures.

gRPC reports a bad PEM, a key that does not belong to its certificate, or an unknown CA with the
same vague ``UNAVAILABLE: Failed to create security handshaker`` / ``Tls handshake failed``
text. So the PEM material is checked up front with the standard ``ssl`` module (OpenSSL), which
names the problem, and :func:`diagnose` turns the handshake messages gRPC does give into a
sentence about which setting to change.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc

from tempyral.service._config import TLSConfig

if TYPE_CHECKING:
    import tempfile

__all__ = ["TLSFacts", "channel_credentials", "diagnose", "validate_tls_config"]


@dataclass(frozen=True)
class TLSFacts:
    """What a failed call's connection was set up with, for :func:`diagnose`."""

    target: str
    tls: bool
    custom_ca: bool = False
    client_cert: bool = False
    domain: str | None = None


def _pem_text(what: str, data: bytes) -> str:
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"TLSConfig.{what} must be PEM bytes, not {type(data).__name__}")
    try:
        text = bytes(data).decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(
            f"TLSConfig.{what} is not PEM text (it contains non-ASCII bytes; DER/binary files "
            f"must be converted first, e.g. `openssl x509 -inform der -in cert.der -out cert.pem`)"
        ) from None
    if "-----BEGIN " not in text:
        raise ValueError(
            f"TLSConfig.{what} contains no PEM block (no '-----BEGIN ...-----' line); "
            f"pass the contents of a .pem file, not its path or a base64 string"
        )
    return text


def _check_ca(pem: bytes) -> None:
    text = _pem_text("server_root_ca_cert", pem)
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(
            "TLSConfig.server_root_ca_cert contains no '-----BEGIN CERTIFICATE-----' block; "
            "it must be the PEM certificate of the CA that signed the server's certificate"
        )
    try:
        ssl.create_default_context(cadata=text)
    except ssl.SSLError as err:
        raise ValueError(
            f"TLSConfig.server_root_ca_cert is not a readable PEM certificate ({err.reason or err})"
        ) from err


@contextlib.contextmanager
def _as_files(*blobs: bytes) -> Iterator[list[str]]:
    """Paths holding ``blobs`` for APIs that read files; in memory where the OS allows it."""
    fds: list[int] = []
    tmpdir: tempfile.TemporaryDirectory[str] | None = None
    try:
        if sys.platform.startswith("linux") and hasattr(os, "memfd_create"):
            paths = []
            for blob in blobs:
                fd = os.memfd_create("tempyral-tls", 0)
                fds.append(fd)
                os.write(fd, blob)
                paths.append(f"/proc/self/fd/{fd}")
        else:
            # Only where memfd_create is missing; every client would pay for these imports.
            import tempfile
            from pathlib import Path

            tmpdir = tempfile.TemporaryDirectory(prefix="tempyral-tls-")
            paths = []
            for index, blob in enumerate(blobs):
                path = Path(tmpdir.name) / f"{index}.pem"
                path.touch(mode=0o600)
                path.write_bytes(blob)
                paths.append(str(path))
        yield paths
    finally:
        for fd in fds:
            os.close(fd)
        if tmpdir is not None:
            tmpdir.cleanup()


def _no_passphrase() -> bytes:
    raise ValueError("encrypted key")


def _check_client_pair(cert: bytes, key: bytes) -> None:
    cert_text = _pem_text("client_cert", cert)
    key_text = _pem_text("client_private_key", key)
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        raise ValueError(
            "TLSConfig.client_cert contains no '-----BEGIN CERTIFICATE-----' block "
            "(was the private key passed as the certificate?)"
        )
    if "PRIVATE KEY-----" not in key_text:
        raise ValueError(
            "TLSConfig.client_private_key contains no '-----BEGIN ... PRIVATE KEY-----' block "
            "(was the certificate passed as the key?)"
        )
    if "ENCRYPTED" in key_text:
        raise ValueError(
            "TLSConfig.client_private_key is encrypted; gRPC needs an unencrypted key. "
            "Decrypt it, e.g. `openssl pkey -in key.pem -out key-decrypted.pem`"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with _as_files(cert, key) as (cert_path, key_path):
        try:
            context.load_cert_chain(cert_path, key_path, password=_no_passphrase)
        except ssl.SSLError as err:
            if "KEY_VALUES_MISMATCH" in str(err) or "key values mismatch" in str(err):
                raise ValueError(
                    "TLSConfig.client_private_key does not belong to TLSConfig.client_cert "
                    "(key values mismatch): pass the key the certificate was issued for"
                ) from err
            raise ValueError(
                "TLSConfig.client_cert/client_private_key could not be loaded: "
                f"{err.reason or err}; check that both are intact PEM files"
            ) from err


def validate_tls_config(tls: TLSConfig) -> None:
    """Raise ValueError naming the field if any certificate or key in ``tls`` is unusable."""
    if tls.server_root_ca_cert is not None:
        _check_ca(tls.server_root_ca_cert)
    if (tls.client_cert is None) != (tls.client_private_key is None):
        missing = "client_private_key" if tls.client_private_key is None else "client_cert"
        raise ValueError(
            "Must have both client cert and private key or neither: TLSConfig.client_cert and "
            f"TLSConfig.client_private_key go together for mutual TLS, and {missing} is missing"
        )
    if tls.client_cert is not None and tls.client_private_key is not None:
        _check_client_pair(tls.client_cert, tls.client_private_key)


def channel_credentials(tls: TLSConfig) -> grpc.ChannelCredentials:
    """gRPC credentials for ``tls`` (call :func:`validate_tls_config` first)."""
    return grpc.ssl_channel_credentials(
        root_certificates=tls.server_root_ca_cert,
        private_key=tls.client_private_key,
        certificate_chain=tls.client_cert,
    )


def _trust_source(facts: TLSFacts) -> str:
    return "TLSConfig.server_root_ca_cert" if facts.custom_ca else "the system's root certificates"


def _server_name(facts: TLSFacts) -> str:
    return facts.domain or facts.target.rsplit(":", 1)[0]


# (applies with TLS on?, markers in gRPC's lower-cased message, extra check, what to say);
# the first rule that matches wins.
_Rule = tuple[
    bool,
    tuple[str, ...],
    Callable[[grpc.StatusCode | None, TLSFacts], bool],
    Callable[[TLSFacts], str],
]
_ANY: Callable[[grpc.StatusCode | None, TLSFacts], bool] = lambda _code, _facts: True  # noqa: E731
_RULES: list[_Rule] = [
    (
        True,
        ("hostname verification", "hostname mismatch"),
        _ANY,
        lambda f: f"TLS: the server's certificate is not valid for the name '{_server_name(f)}'; "
        "set TLSConfig.domain to a name the certificate covers, or connect by that name",
    ),
    (
        True,
        ("certificate has expired", "certificate_expired"),
        _ANY,
        lambda f: "TLS: a certificate in the handshake has expired; renew it",
    ),
    (
        True,
        ("certificate_verify_failed",),
        _ANY,
        lambda f: "TLS: the server's certificate is not signed by a CA this client trusts (it "
        f"trusts {_trust_source(f)}); set TLSConfig.server_root_ca_cert to the PEM of the CA "
        "that issued the server's certificate",
    ),
    (
        True,
        ("wrong_version_number", "packet_length_too_long"),
        _ANY,
        lambda f: f"TLS: {f.target} does not speak TLS; connect with tls=False, or check the port",
    ),
    (
        True,
        ("certificate_required", "certificate required"),
        _ANY,
        lambda f: "TLS: the server requires a client certificate (mutual TLS); set "
        "TLSConfig.client_cert and TLSConfig.client_private_key",
    ),
    (
        True,
        ("bad_certificate", "unknown_ca", "unsupported_cert"),
        _ANY,
        lambda f: "TLS: the server rejected the client certificate; check that "
        "TLSConfig.client_cert is issued by a CA the server trusts and has not expired",
    ),
    # TLS 1.3 servers check the client certificate after the client's side of the handshake is
    # done; their refusal is an alert on the first read, which gRPC reports as undecryptable data.
    (
        True,
        ("unwrap failed", "tsi_data_corrupted"),
        lambda code, facts: facts.client_cert,
        lambda f: "TLS: the server closed the connection right after the TLS handshake, which is "
        "how TLS 1.3 servers refuse a client certificate they do not trust; check that "
        "TLSConfig.client_cert is issued by the CA the server expects",
    ),
    (
        True,
        ("unwrap failed", "tsi_data_corrupted"),
        _ANY,
        lambda f: "TLS: the server closed the connection right after the TLS handshake, which is "
        "how TLS 1.3 servers refuse connections without a client certificate; if it requires "
        "mutual TLS, set TLSConfig.client_cert and TLSConfig.client_private_key",
    ),
    (
        True,
        ("failed to create security handshaker",),
        _ANY,
        lambda f: "TLS: gRPC could not use the certificates or key in TLSConfig; check that they "
        "are intact PEM and that the key matches the certificate",
    ),
    (
        True,
        ("status: 400",),
        lambda code, facts: code == grpc.StatusCode.INTERNAL and facts.client_cert,
        lambda f: "TLS: the server or a proxy in front of it answered HTTP 400, which is how "
        "proxies such as nginx refuse a client certificate they do not trust; check that "
        "TLSConfig.client_cert is issued by the CA the server expects",
    ),
    (
        True,
        ("status: 400",),
        lambda code, facts: code == grpc.StatusCode.INTERNAL,
        lambda f: "TLS: the server or a proxy in front of it answered HTTP 400, which is how "
        "proxies such as nginx refuse connections without a client certificate; if it requires "
        "mutual TLS, set TLSConfig.client_cert and TLSConfig.client_private_key",
    ),
    (
        True,
        ("handshake",),
        _ANY,
        lambda f: f"TLS: the TLS handshake with {f.target} failed; check the server's TLS setup "
        "and the certificates in TLSConfig",
    ),
    (
        False,
        ("http1.x server", "expected settings frame"),
        _ANY,
        lambda f: f"{f.target} answered with TLS or HTTP/1.x, not plaintext gRPC; if it requires "
        "TLS, connect with tls=True or a TLSConfig",
    ),
]


def diagnose(code: grpc.StatusCode | None, details: str, facts: TLSFacts) -> str | None:
    """A sentence saying which setting to change, when ``details`` shows a TLS/protocol problem."""
    text = details.lower()
    for with_tls, markers, check, explain in _RULES:
        if with_tls == facts.tls and any(m in text for m in markers) and check(code, facts):
            return explain(facts)
    return None
