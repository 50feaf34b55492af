"""The checks of ``tempyral doctor``, in the order a connection needs them.

Each check returns a :py:class:`CheckResult`: passed or failed, what it found, and for a failure
the fix in words a newcomer can act on. A check that cannot run because an earlier one failed is
skipped rather than reported as a second, confusing failure.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from pathlib import Path

from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeNamespaceRequest,
    GetSystemInfoRequest,
)
from tempyral.cli._connect import Connection
from tempyral.cli._doctor_capabilities import probe_capabilities
from tempyral.service import RPCError, RPCStatusCode, ServiceClient, TLSConfig

__all__ = [
    "CheckResult",
    "Status",
    "check_address",
    "check_handshake",
    "check_server",
]


class Status(str, Enum):
    PASS = "pass"  # noqa: S105 (a check's status, not a password)
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""
    facts: dict[str, object] = field(default_factory=dict)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"address {address!r} is not host:port")
    return host.strip("[]"), int(port)


def check_address(address: str, timeout: float) -> CheckResult:
    name = "address reachable"
    try:
        host, port = split_address(address)
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except ValueError as err:
        return CheckResult(name, Status.FAIL, str(err), "write the address as host:port")
    except OSError as err:
        return CheckResult(
            name,
            Status.FAIL,
            f"cannot open a TCP connection to {address}: {err.strerror or err}",
            "start a server there (`tempyral dev` for local work), or correct the address"
            " (--address, TEMPORAL_ADDRESS or the profile's address)",
        )
    return CheckResult(name, Status.PASS, f"TCP connection to {address} opened")


def _client_context(tls: TLSConfig) -> ssl.SSLContext:
    """The context the SDK's connection would use, built with the standard ``ssl`` module."""
    context = ssl.create_default_context()
    if tls.server_root_ca_cert is not None:
        context = ssl.create_default_context(cadata=tls.server_root_ca_cert.decode("ascii"))
    context.set_alpn_protocols(["h2"])
    if tls.client_cert is not None and tls.client_private_key is not None:
        # load_cert_chain reads files only; they live for the duration of the call.
        with tempfile.TemporaryDirectory(prefix="tempyral-doctor-") as directory:
            cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
            key.touch(mode=0o600)
            key.write_bytes(tls.client_private_key)
            cert.write_bytes(tls.client_cert)
            context.load_cert_chain(cert, key)
    return context


def check_tls_material(tls: TLSConfig) -> CheckResult:
    name = "TLS certificates readable"
    try:
        _client_context(tls)
    except (ssl.SSLError, ValueError, UnicodeDecodeError) as err:
        return CheckResult(
            name,
            Status.FAIL,
            f"the certificates or key do not load: {err}",
            "point the profile's TLS settings (the tls table, or TEMPORAL_TLS_SERVER_CA_CERT_PATH,"
            " TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH) at PEM files, the"
            " client key unencrypted and matching the client certificate",
        )
    sources = (("server CA", tls.server_root_ca_cert), ("client certificate", tls.client_cert))
    given = [what for what, value in sources if value]
    found = f"{' and '.join(given)} loaded" if given else "the system's root certificates"
    return CheckResult(name, Status.PASS, found)


def check_handshake(address: str, tls: TLSConfig, timeout: float) -> CheckResult:
    name = "TLS handshake and certificate chain"
    host, port = split_address(address)
    server_name = tls.domain or host
    try:
        context = _client_context(tls)
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=server_name) as secured,
        ):
            version = secured.version()
    except ssl.SSLCertVerificationError as err:
        return CheckResult(
            name,
            Status.FAIL,
            f"the server's certificate is not trusted: {err.verify_message}",
            "set the server CA (TEMPORAL_TLS_SERVER_CA_CERT_PATH or the profile's"
            " tls.server_ca_cert_path) to the CA that issued the server's certificate, and the"
            " server name"
            " (TEMPORAL_TLS_SERVER_NAME) to a name the certificate was issued for",
        )
    except (ssl.SSLError, OSError) as err:
        return CheckResult(
            name,
            Status.FAIL,
            f"the TLS handshake with {address} failed: {err}",
            "check that the server speaks TLS on this port (use --no-tls for a plaintext server)"
            " and, for mutual TLS, that the client certificate was issued by the CA it trusts",
        )
    return CheckResult(name, Status.PASS, f"{version}, certificate valid for {server_name}")


async def check_server(connection: Connection, timeout: float) -> list[CheckResult]:
    """The server's version (which also proves the API key), the namespace, the capabilities."""
    limit = timedelta(seconds=timeout)
    client = await ServiceClient.connect(connection.config)
    try:
        info = await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=limit)
    except RPCError as err:
        return [_refused("server answers", err, connection)]
    key = "API key accepted" if connection.config.api_key else "no API key sent"
    version = info.server_version or "unknown"
    results = [CheckResult("server answers", Status.PASS, f"Temporal {version}; {key}")]
    namespace = connection.namespace
    try:
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=limit
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            results.append(
                CheckResult(
                    "namespace exists",
                    Status.FAIL,
                    f"namespace {namespace!r} does not exist on this server",
                    f"create it (`temporal operator namespace create --namespace {namespace}`), or"
                    " name an existing one with --namespace, TEMPORAL_NAMESPACE or the profile",
                )
            )
        else:
            results.append(_refused("namespace exists", err, connection))
        return results
    results.append(CheckResult("namespace exists", Status.PASS, f"namespace {namespace!r} found"))
    found = await probe_capabilities(client, info, described, namespace, timeout)
    listed = ", ".join(f"{k}: {_yes_no(v)}" for k, v in found.facts.items())
    if found.notes:
        listed += "; " + "; ".join(found.notes)
    results.append(CheckResult("server capabilities", Status.PASS, listed, facts=found.facts))
    return results


def _refused(name: str, err: RPCError, connection: Connection) -> CheckResult:
    detail = f"{err.status.name}: {err.message}"
    if err.status in (RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED):
        return CheckResult(
            name,
            Status.FAIL,
            f"the server refused the credentials ({detail})",
            "set a valid API key (TEMPORAL_API_KEY or the profile's api_key) with access to"
            f" namespace {connection.namespace!r}, or the client certificate the server expects",
        )
    fix = (
        "check that this is a Temporal frontend's gRPC port and that TLS is on exactly when the"
        " server expects it (--tls/--no-tls)"
    )
    tls = connection.config.tls
    if tls and not (isinstance(tls, TLSConfig) and tls.client_cert):
        # A TLS 1.3 server that wants a client certificate completes the handshake, then hangs up.
        fix += (
            "; if the server requires mutual TLS, give the client certificate and key (the"
            " profile's tls.client_cert_path and tls.client_key_path, or"
            " TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)"
        )
    return CheckResult(
        name, Status.FAIL, f"no gRPC answer from {connection.config.target_host} ({detail})", fix
    )


def _yes_no(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "unknown" if value is None else str(value)
