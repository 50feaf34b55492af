"""`tempyral doctor` against a server that checks API keys.

The dev server accepts any key, so the test puts a small gRPC gateway in front of it that does
what Temporal Cloud's frontend does with a wrong key: refuse every call with UNAUTHENTICATED
before it reaches the server. Calls with the right bearer token are forwarded unchanged. An API
key turns TLS on by default (as in the official SDK); the gateway is plaintext, hence --no-tls.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tempyral.testing import DevServer

from .conftest import GOOD_KEY, RunCli, api_key_gateway


@pytest.fixture
def gateway(tempyral_dev_server: DevServer) -> Iterator[str]:
    with api_key_gateway(tempyral_dev_server.target) as address:
        yield address


def test_a_wrong_api_key_fails_with_the_fix(run_cli: RunCli, gateway: str) -> None:
    env = {"TEMPORAL_API_KEY": "wrong-key"}
    result = run_cli("doctor", "--address", gateway, "--no-tls", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  server answers: the server refused the credentials (UNAUTHENTICATED" in (
        result.stdout
    )
    assert "set a valid API key (TEMPORAL_API_KEY or the profile's api_key)" in result.stdout
    assert "wrong-key" not in result.stdout + result.stderr  # the key itself is never printed


def test_the_right_api_key_is_accepted(run_cli: RunCli, gateway: str) -> None:
    result = run_cli("doctor", "--address", gateway, "--no-tls", env={"TEMPORAL_API_KEY": GOOD_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "API key accepted" in result.stdout
