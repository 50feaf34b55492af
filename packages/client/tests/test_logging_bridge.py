"""tempyral's diagnostics reach standard ``logging`` whatever the import order, never show a
traceback's local variables, and never show a secret; configuration reprs hide secrets.

Import order matters only at first import, so each case runs in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tempyral.envconfig import ClientConfigProfile, ClientConfigTLS
from tempyral.service import ConnectConfig, HttpConnectProxyConfig, TLSConfig

API_KEY = "tk-SECRET-api-key-0123456789"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQSECRETKEYBODY\n-----END PRIVATE KEY-----\n"
TOKEN = "SECRET-task-token-bytes"
SECRETS = (API_KEY, "MIIEvQSECRETKEYBODY", TOKEN, "s3cr3t-proxy-password")


def run(script: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out


STDLIB_HANDLER = """
import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.DEBUG,
                    format="STDLIB %(name)s %(levelname)s %(message)s")
"""
EMIT = """
from tempyral.common import logger
logger.bind(workflow_id="wf-1").warning("task failed for {}", "wf-1")
logger.debug("a debug line stays inside tempyral")
"""


@pytest.mark.parametrize("order", ["handler_first", "tempyral_first"])
def test_warnings_reach_a_standard_logging_handler_whatever_the_import_order(order: str) -> None:
    script = STDLIB_HANDLER + EMIT if order == "handler_first" else EMIT + STDLIB_HANDLER + EMIT
    out = run(script)
    assert "STDLIB __main__ WARNING task failed for wf-1" in out.stdout
    # WARNING and up by default, as the official SDK's warnings; loguru prints nothing itself
    # (before basicConfig, standard logging's last-resort handler prints the bare message).
    assert "debug line" not in out.stdout + out.stderr
    assert "| WARNING" not in out.stderr


def test_the_forwarded_level_is_configurable_and_forwarding_can_stop() -> None:
    out = run(
        STDLIB_HANDLER
        + """
from tempyral.common import configure_logging, logger
configure_logging(level="DEBUG")
logger.debug("now the debug line goes through")
configure_logging(level=None)
logger.error("and now nothing does")
"""
    )
    assert "STDLIB __main__ DEBUG now the debug line goes through" in out.stdout
    assert "nothing does" not in out.stdout + out.stderr


def test_configuring_before_the_first_record_forwards_each_record_once() -> None:
    out = run(
        STDLIB_HANDLER
        + """
from tempyral.common import configure_logging, logger
configure_logging(level="TRACE")  # before tempyral logged anything
logger.warning("a warning")
logger.debug("a debug line")
"""
    )
    assert out.stdout.count("a warning") == 1, out.stdout
    assert out.stdout.count("a debug line") == 1, out.stdout


def test_the_record_carries_the_runs_details_for_handlers() -> None:
    out = run(
        """
import logging, sys
class Show(logging.Handler):
    def emit(self, record):
        print("EXTRA", record.workflow_id, record.tempyral)
logging.getLogger().addHandler(Show())
"""
        + EMIT
    )
    assert "EXTRA wf-1 {'workflow_id': 'wf-1'}" in out.stdout


@pytest.mark.parametrize("order", ["enable_first", "tempyral_first"])
def test_loguru_users_enable_tempyral_before_or_after_import(order: str) -> None:
    enable = textwrap.dedent(
        """
        from loguru import logger as g
        g.remove()
        g.add(sys.stdout, format="LOGURU {name} {message}")
        g.enable("tempyral")
        """
    )
    script = "import sys\n" + (enable + EMIT if order == "enable_first" else EMIT + enable + EMIT)
    out = run(script)
    assert "LOGURU __main__ task failed for wf-1" in out.stdout
    assert "LOGURU __main__ a debug line stays inside tempyral" in out.stdout


def test_no_secret_and_no_local_variable_in_any_log_at_any_level() -> None:
    out = run(
        STDLIB_HANDLER
        + f"""
import sys
from loguru import logger as g
g.enable("tempyral")  # loguru's default stderr handler renders variables (diagnose=True)
from tempyral.common import configure_logging, logger
configure_logging(level="TRACE")

# The secrets live in variables, never in source lines: Python 3.13 prints the source line of
# each frame of a traceback, and a literal there would be the test's own leak, not tempyral's.
key, pem, token = {API_KEY!r}, {PEM!r}, {TOKEN.encode()!r}

def fails(api_key, private_key, task_token):
    raise RuntimeError("connection refused")

try:
    fails(key, pem, token)
except RuntimeError:
    for level in ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        logger.opt(exception=True).log(
            level,
            "calling with api_key={{}} authorization=Bearer {{}} key {{}} task_token: {{}}",
            key, key, pem, token,
        )
"""
    )
    text = out.stdout + out.stderr
    assert text.count("connection refused") >= 12  # each level, through both routes
    assert "fails" in text  # the stack is there...
    for secret in SECRETS:
        assert secret not in text  # ...but no secret
    assert "<redacted>" in text


def test_secrets_the_client_holds_are_hidden_in_any_shape_without_a_label() -> None:
    # A bare API key inside a server's error text, a task token as a bytes repr, in hex and in
    # base64: nothing labels them, so only the values the client was given or received (its
    # key, the tokens of the tasks a poll handed out) can hide them.
    out = run(
        STDLIB_HANDLER
        + f"""
import asyncio, base64
from tempyral.api.workflowservice.v1 import request_response_pb2 as rr
from tempyral.common import configure_logging, logger
from tempyral.service import ConnectConfig, MockTransport, ServiceClient
configure_logging(level="TRACE")
key, token = {API_KEY!r}, {TOKEN.encode()!r} + bytes(range(256))

def handler(rpc, request):
    if rpc == "PollActivityTaskQueue":
        return rr.PollActivityTaskQueueResponse(task_token=token)
    return rr.GetSystemInfoResponse()

async def main():
    config = ConnectConfig("mock:7233", api_key=key, lazy=True)
    service = await ServiceClient.connect(config, transport=MockTransport(handler))
    await service.workflow_service.poll_activity_task_queue(rr.PollActivityTaskQueueRequest())

asyncio.run(main())
for shown in (token, token.hex(), base64.b64encode(token).decode(), key, "tk-UNKNOWN-value-42"):
    logger.warning("the server says: {{}} is not valid here", shown)
logger.warning("request: {{}}", rr.RespondActivityTaskFailedRequest(task_token=token))
"""
    )
    lines = [line for line in out.stdout.splitlines() if "is not valid here" in line]
    assert len(lines) == 5
    assert all("says: <redacted>" in line.replace("b'", "") for line in lines[:4]), lines
    # A value the client never held is not a secret it knows: it is shown (nothing hides
    # everything), which is what makes the four lines above a test of the values.
    assert "tk-UNKNOWN-value-42 is not valid here" in lines[4]
    assert "task_token: '<redacted>'" in out.stdout
    assert API_KEY not in out.stdout + out.stderr
    assert TOKEN not in out.stdout + out.stderr


def test_configuration_reprs_hide_secrets(tmp_path: Path) -> None:
    tls = TLSConfig(client_cert=b"cert", client_private_key=PEM.encode())
    proxy = HttpConnectProxyConfig("proxy:8080", basic_auth=("me", "s3cr3t-proxy-password"))
    config = ConnectConfig(
        "host:7233",
        api_key=API_KEY,
        tls=tls,
        rpc_metadata={"Authorization": f"Bearer {API_KEY}", "x-team": "blue"},
        http_connect_proxy_config=proxy,
    )
    profile = ClientConfigProfile(
        address="host:7233",
        api_key=API_KEY,
        tls=ClientConfigTLS(client_private_key=PEM.encode()),
        grpc_meta={"authorization": f"Bearer {API_KEY}"},
    )
    shown = " ".join(map(repr, (tls, proxy, config, profile)))
    for secret in SECRETS:
        assert secret not in shown
    assert "api_key='<redacted>'" in repr(config)
    assert "'x-team': 'blue'" in repr(config)  # only credentials are hidden
    assert "target_host='host:7233'" in repr(config)
    # A key file's path is no secret and stays visible.
    by_path = ClientConfigTLS(client_private_key=tmp_path / "client.key")
    assert "client.key" in repr(by_path)
