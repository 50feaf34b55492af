"""`tempyral doctor` against the real dev server, through TLS proxies, and against nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tempyral.testing import DevServer, TLSProxy

from .conftest import RunCli, TLSFiles, free_port


@pytest.fixture
def tls_proxy(tempyral_dev_server: DevServer, tls_files: TLSFiles) -> Iterator[TLSProxy]:
    with TLSProxy(
        tempyral_dev_server.target,
        server_cert=tls_files.server_cert,
        server_private_key=tls_files.server_key,
    ) as proxy:
        yield proxy


def checks(stdout: str) -> dict[str, dict[str, object]]:
    document = json.loads(stdout)
    return {check["name"]: check for check in document["checks"]}


def test_a_healthy_profile_passes_every_check(
    run_cli: RunCli, tempyral_dev_server: DevServer
) -> None:
    result = run_cli("doctor", env={"TEMPORAL_ADDRESS": tempyral_dev_server.target})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert "PASS  namespace exists: namespace 'default' found" in result.stdout
    assert "all 5 checks passed" in result.stdout
    as_json = run_cli("doctor", "--json", "--address", tempyral_dev_server.target)
    assert as_json.returncode == 0
    found = checks(as_json.stdout)
    assert json.loads(as_json.stdout)["ok"] is True
    facts = found["server capabilities"]["facts"]
    assert isinstance(facts, dict)
    assert str(facts["server_version"]).startswith("1.")
    assert facts["updates"] is True


def test_a_dead_port_fails_with_the_fix_and_skips_the_rest(run_cli: RunCli) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = run_cli("doctor", "--address", address)
    assert result.returncode == 1
    assert f"FAIL  address reachable: cannot open a TCP connection to {address}" in result.stdout
    assert "fix: start a server there (`tempyral dev`" in result.stdout
    found = checks(run_cli("doctor", "--json", "--address", address).stdout)
    assert found["address reachable"]["status"] == "fail"
    assert found["namespace exists"]["status"] == "skip"


def test_a_missing_namespace_fails_naming_it(
    run_cli: RunCli, tempyral_dev_server: DevServer
) -> None:
    result = run_cli("doctor", "--address", tempyral_dev_server.target, "-n", "no-such-ns")
    assert result.returncode == 1
    assert "FAIL  namespace exists: namespace 'no-such-ns' does not exist" in result.stdout
    assert "temporal operator namespace create --namespace no-such-ns" in result.stdout


def test_tls_with_the_right_ca_passes(
    run_cli: RunCli, tls_proxy: TLSProxy, tls_files: TLSFiles
) -> None:
    env = {
        "TEMPORAL_ADDRESS": tls_proxy.target,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tls_files.ca),
    }
    result = run_cli("doctor", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result.stdout)
    assert found["TLS handshake and certificate chain"]["status"] == "pass"
    assert found["namespace exists"]["status"] == "pass"


def test_a_certificate_from_another_ca_fails_the_chain(
    run_cli: RunCli, tls_proxy: TLSProxy, tls_files: TLSFiles
) -> None:
    env = {
        "TEMPORAL_ADDRESS": tls_proxy.target,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tls_files.other_ca),
    }
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    assert "FAIL  TLS handshake and certificate chain: the server's certificate is not trusted" in (
        result.stdout
    )
    assert "fix: set the server CA" in result.stdout


def test_plaintext_to_a_tls_port_fails_with_a_hint(run_cli: RunCli, tls_proxy: TLSProxy) -> None:
    result = run_cli("doctor", "--json", "--address", tls_proxy.target, "--no-tls")
    assert result.returncode == 1
    found = checks(result.stdout)
    assert found["server answers"]["status"] == "fail"
    assert "--tls/--no-tls" in str(found["server answers"]["fix"])


def test_an_unreadable_ca_file_fails_the_profile_check(run_cli: RunCli) -> None:
    env = {
        "TEMPORAL_ADDRESS": "127.0.0.1:1",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/no/such/ca.pem",
    }
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    assert "FAIL  profile and TLS files load:" in result.stdout
    assert "/no/such/ca.pem" in result.stdout
