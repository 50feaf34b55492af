"""No secret in any line a worker and client print, at TRACE, through failures and RPC errors.

The worker process (``secrets_worker.py``) connects with an API key and a client certificate
through mutual TLS (:py:class:`TLSProxy`) to a gateway that does what Temporal Cloud's frontend
does: refuse a call without the right bearer key. The gateway also behaves like a careless
server: some of its errors quote the caller's API key or the task token of the call, bare, as
text no label points to. Every log route is on at TRACE (standard logging with tempyral's
``extra``, and loguru's global logger with ``diagnose``); the process fails activities, retries
through the gateway's errors, heartbeats, fails a workflow task, completes an activity by its
token, and meets a NOT_FOUND. Then every byte it wrote is searched for the key, the private
key's body and every task token the gateway handed out, in every way a token is printed.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from tempyral.api.workflowservice.v1 import request_response_pb2 as rr
from tempyral.testing import DevServer, TLSProxy

if TYPE_CHECKING:
    from conftest import PKI

WORKER = Path(__file__).with_name("secrets_worker.py")
SERVICE = "/temporal.api.workflowservice.v1.WorkflowService/"


@dataclass
class Gateway:
    """What the gateway saw and the faults it injected (its handlers run in gRPC's threads)."""

    api_key: str
    tokens: list[bytes] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_once(self, rpc: str, times: int = 1) -> bool:
        """Whether this call of ``rpc`` is one of the first ``times``: it fails."""
        with self.lock:
            seen = self.faults.get(rpc, 0)
            self.faults[rpc] = seen + 1
            return seen < times

    def saw(self, response: bytes, parse: type[Any]) -> None:
        token = parse.FromString(response).task_token
        if token:
            with self.lock:
                self.tokens.append(token)


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, upstream: grpc.Channel, gateway: Gateway) -> None:
        self._upstream = upstream
        self._gateway = gateway

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method
        rpc = method.removeprefix(SERVICE)
        gateway = self._gateway

        def forward(request: bytes, context: grpc.ServicerContext) -> bytes:
            metadata = {m.key: m.value for m in context.invocation_metadata()}
            if metadata.get("authorization") != f"Bearer {gateway.api_key}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "Request unauthorized.")
            self._inject(rpc, request, context)
            try:
                response: bytes = self._upstream.unary_unary(method)(
                    request, timeout=context.time_remaining()
                )
            except grpc.RpcError as err:
                call: Any = err
                context.abort(call.code(), call.details() or "")
            if rpc == "PollActivityTaskQueue":
                gateway.saw(response, rr.PollActivityTaskQueueResponse)
            elif rpc == "PollWorkflowTaskQueue":
                gateway.saw(response, rr.PollWorkflowTaskQueueResponse)
            return response

        return grpc.unary_unary_rpc_method_handler(forward)

    def _inject(self, rpc: str, request: bytes, context: grpc.ServicerContext) -> None:
        """A server error quoting a secret, bare, once per kind (retried calls then pass)."""
        gateway = self._gateway
        unavailable = grpc.StatusCode.UNAVAILABLE
        if rpc == "PollActivityTaskQueue" and gateway.fault_once(rpc):
            context.abort(unavailable, f"rate limit reached for {gateway.api_key}")
        if rpc == "RespondActivityTaskFailed" and gateway.fault_once(rpc):
            token = rr.RespondActivityTaskFailedRequest.FromString(request).task_token
            context.abort(unavailable, f"busy, cannot take {token!r} ({token.hex()}) yet")
        if rpc == "RecordActivityTaskHeartbeat" and gateway.fault_once(rpc):
            token = rr.RecordActivityTaskHeartbeatRequest.FromString(request).task_token
            context.abort(unavailable, f"no heartbeat for {base64.b64encode(token).decode()}")


@pytest.fixture
def gateway_behind_mtls(tempyral_dev_server: DevServer, pki: PKI) -> Iterator[tuple[str, Gateway]]:
    gateway = Gateway(api_key=f"tk-{uuid.uuid4().hex}-api-key")
    with grpc.insecure_channel(tempyral_dev_server.target) as upstream:
        # One thread per call in flight: the worker's long polls hold theirs for up to 70 s.
        server = grpc.server(ThreadPoolExecutor(64), handlers=[_Handler(upstream, gateway)])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        proxy = TLSProxy(
            f"127.0.0.1:{port}",
            server_cert=pki.server_cert,
            server_private_key=pki.server_key,
            client_ca_cert=pki.ca_cert,
        )
        try:
            with proxy:
                yield proxy.target, gateway
        finally:
            server.stop(None).wait()


def token_renderings(token: bytes) -> set[str]:
    """Every way a log line could carry ``token``: bytes repr, proto text, base64, hex."""
    from google.protobuf import text_encoding

    b64 = base64.b64encode(token).decode()
    urlsafe = base64.urlsafe_b64encode(token).decode()
    return {
        repr(token)[2:-1],
        text_encoding.CEscape(token, False),
        text_encoding.CEscape(token, True),
        b64,
        b64.rstrip("="),
        urlsafe.rstrip("="),
        token.hex(),
    }


def test_no_api_key_private_key_or_task_token_in_any_line_at_trace(
    gateway_behind_mtls: tuple[str, Gateway], pki: PKI, tmp_path: Path
) -> None:
    target, gateway = gateway_behind_mtls
    for name, data in (("ca.pem", pki.ca_cert), ("client.pem", pki.client_cert)):
        (tmp_path / name).write_bytes(data)
    (tmp_path / "client.key").write_bytes(pki.client_key)
    (tmp_path / "api.key").write_text(gateway.api_key)
    command = [
        sys.executable,
        str(WORKER),
        target,
        f"secrets-{uuid.uuid4()}",
        str(tmp_path / "api.key"),
        str(tmp_path),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as stuck:
        stages = [line for line in (stuck.stdout or b"").splitlines() if line.startswith(b"STAGE")]
        calls = [line for line in (stuck.stdout or b"").splitlines() if b"gRPC call" in line]
        pytest.fail(f"the worker process did not finish; it reached {stages} {calls[-5:]}")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "RESULT done by token [1, 2, 3]" in done.stdout
    assert "NOT FOUND NOT_FOUND" in done.stdout

    # Everything the secrets could have ridden on happened, and was logged:
    assert "Completing activity as failed" in output  # two failed attempts, with tracebacks
    assert "attempt 2 fails for ada" in output
    assert "Failing workflow task" in output  # the poisoned workflow, with its traceback
    assert "this workflow task always fails" in output
    assert "rate limit reached for <redacted>" in output  # the key, quoted by the server
    assert "busy, cannot take" in output  # a token as a bytes repr and hex, quoted
    assert "no heartbeat for <redacted>" in output  # a token in base64, quoted
    assert all(gateway.faults[rpc] >= 2 for rpc in gateway.faults), gateway.faults
    assert len(gateway.tokens) >= 4  # workflow tasks and activity attempts

    # ...and no secret is in any of it.
    assert gateway.api_key not in output
    key_body = [
        line for line in pki.client_key.decode().splitlines() if not line.startswith("-----")
    ]
    assert len(key_body) >= 2
    for line in key_body:
        assert line not in output
    for token in gateway.tokens:
        for shown in token_renderings(token):
            assert shown not in output, f"a task token is in the output as {shown!r}"
