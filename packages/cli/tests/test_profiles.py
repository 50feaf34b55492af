"""Every command that connects takes its connection from a ``temporal.toml`` profile.

The server here looks like a managed one: mutual TLS in front (certificates from a test CA), an
API key checked before any call gets through, and the workflows in a namespace other than
``default``. The profile names all of it; the commands get nothing else (no flags, no
``TEMPORAL_ADDRESS``), and the file's default profile points at a port where nothing listens, so
a command that ignored the chosen profile would fail. ``server-info`` has its own profile test in
``test_server_info.py``.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.client import Client
from tempyral.testing import DevServer, TLSProxy
from tempyral.worker import Worker

from .conftest import GOOD_KEY, SAMPLE, RunCli, TLSFiles, WorkerProcess, api_key_gateway, cli_env
from .conftest import free_port as dead_port

pytestmark = pytest.mark.integration

NAMESPACE = "cli-profile"


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(namespaces=[NAMESPACE]) as dev_server:
        yield dev_server


@pytest.fixture(scope="module")
def front_door(server: DevServer, tls_files: TLSFiles) -> Iterator[str]:
    """Mutual TLS, then the API-key check, then the server: the address the profile names."""
    # A worker keeps several long polls open at once, each holding a gateway thread.
    with (
        api_key_gateway(server.target, threads=32) as gateway,
        TLSProxy(
            gateway,
            server_cert=tls_files.server_cert,
            server_private_key=tls_files.server_key,
            client_ca_cert=tls_files.ca.read_bytes(),  # only clients with the CA's certificates
        ) as proxy,
    ):
        yield proxy.target


@pytest.fixture
def config_file(front_door: str, tls_files: TLSFiles, tmp_path: Path) -> Path:
    """Profiles ``staging`` (everything right), ``stale_key`` (a revoked key) and
    ``no_client_cert`` (the right key, no client certificate); ``default`` leads nowhere."""
    config = tmp_path / "temporal.toml"
    profiles = [f'[profile.default]\naddress = "127.0.0.1:{dead_port()}"\n']
    for name, key in (("staging", GOOD_KEY), ("stale_key", "revoked-key")):
        profiles.append(
            f'[profile.{name}]\naddress = "{front_door}"\nnamespace = "{NAMESPACE}"\n'
            f'api_key = "{key}"\n'
            f'[profile.{name}.tls]\nserver_ca_cert_path = "{tls_files.ca}"\n'
            f'client_cert_path = "{tls_files.client_cert}"\n'
            f'client_key_path = "{tls_files.client_key}"\n'
        )
    profiles.append(
        f'[profile.no_client_cert]\naddress = "{front_door}"\nnamespace = "{NAMESPACE}"\n'
        f'api_key = "{GOOD_KEY}"\n'
        f'[profile.no_client_cert.tls]\nserver_ca_cert_path = "{tls_files.ca}"\n'
    )
    config.write_text("\n".join(profiles), encoding="utf-8")
    return config


def profile_env(config: Path, profile: str = "staging") -> dict[str, str]:
    return {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": profile}


def test_doctor_checks_the_profiles_server_namespace_tls_and_key(
    run_cli: RunCli, config_file: Path
) -> None:
    result = run_cli("doctor", "--json", env=profile_env(config_file))
    assert result.returncode == 0, result.stdout + result.stderr
    found = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert (
        f"namespace {NAMESPACE!r}, TLS on, API key set"
        in found["profile and TLS files load"]["detail"]
    )
    tls_material = found["TLS certificates readable"]["detail"]
    assert tls_material == "server CA and client certificate loaded"
    assert found["TLS handshake and certificate chain"]["status"] == "pass"
    assert "API key accepted" in found["server answers"]["detail"]
    assert found["namespace exists"]["detail"] == f"namespace {NAMESPACE!r} found"
    assert found["server capabilities"]["status"] == "pass"

    refused = run_cli("doctor", "--json", env=profile_env(config_file, "stale_key"))
    assert refused.returncode == 1
    checks = {check["name"]: check for check in json.loads(refused.stdout)["checks"]}
    assert checks["TLS handshake and certificate chain"]["status"] == "pass"
    assert "refused the credentials" in checks["server answers"]["detail"]
    assert "revoked-key" not in refused.stdout + refused.stderr

    anonymous = run_cli("doctor", "--json", env=profile_env(config_file, "no_client_cert"))
    assert anonymous.returncode == 1, anonymous.stdout
    answers = {check["name"]: check for check in json.loads(anonymous.stdout)["checks"]}[
        "server answers"
    ]
    assert answers["status"] == "fail"
    assert "tls.client_cert_path and tls.client_key_path" in answers["fix"]


def load_greeting() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_profile_greeting", SAMPLE / "greeting.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_replay_fetches_a_live_workflow_through_the_profile(
    run_cli: RunCli, server: DevServer, config_file: Path
) -> None:
    greeting = load_greeting()
    client = await Client.connect(server.target, namespace=NAMESPACE)
    queue = f"cli-profile-{uuid.uuid4()}"
    workflow_id = f"greeting-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[greeting.Greeting], activities=[greeting.greet]
    ):
        await client.execute_workflow(
            greeting.Greeting.run,
            "profile",
            id=workflow_id,
            task_queue=queue,
            execution_timeout=timedelta(seconds=30),
        )
    replayed = run_cli("replay", "greeting", "-w", workflow_id, env=profile_env(config_file))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 of 1 histories replayed" in replayed.stdout
    # The same profile with the namespace overridden: the workflow is not there.
    elsewhere = run_cli(
        "replay", "greeting", "-w", workflow_id, "-n", "default", env=profile_env(config_file)
    )
    assert elsewhere.returncode == 2, elsewhere.stdout + elsewhere.stderr


async def test_worker_run_polls_the_profiles_namespace(
    server: DevServer, config_file: Path, tmp_path: Path
) -> None:
    queue = f"cli-profile-worker-{uuid.uuid4()}"
    env = cli_env(
        tmp_path,
        {
            **profile_env(config_file),
            "CLI_TEST_TASK_QUEUE": queue,
            "CLI_TEST_MARKS": str(tmp_path / "marks"),
            "CLI_TEST_ACTIVITY_SECONDS": "0",
        },
    )
    worker = WorkerProcess("slow_worker:create_worker", env=env)
    try:
        worker.wait_for("running; stop with Ctrl-C or SIGTERM")
        assert f"namespace {NAMESPACE!r}" in worker.stderr
        client = await Client.connect(server.target, namespace=NAMESPACE)
        answer = await client.execute_workflow(
            "SlowGreeting",
            "profile",
            id=f"slow-{uuid.uuid4()}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=60),
        )
    except BaseException:
        worker.close()
        raise
    assert answer == "Hello, profile!"
    assert worker.stop(signal.SIGINT) == 0, worker.stderr
