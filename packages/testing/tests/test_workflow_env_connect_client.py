"""``WorkflowEnvironment.connect_client`` hands the environment's connection options on.

Lazy clients never dial, so no server is needed: the test reads what the new client was given.
"""

from __future__ import annotations

from tempyral.client import Client
from tempyral.runtime import Runtime, TelemetryConfig
from tempyral.testing import WorkflowEnvironment


async def test_connect_client_shares_the_environment_runtime_and_options() -> None:
    runtime = Runtime(telemetry=TelemetryConfig(metrics=None))
    source = await Client.connect(
        "127.0.0.1:7233",
        namespace="orders",
        rpc_metadata={"team": "payments"},
        runtime=runtime,
        lazy=True,
    )
    env = WorkflowEnvironment.from_client(source)

    other = await env.connect_client(lazy=True)

    assert other.namespace == "orders"
    assert other.service_client.config.rpc_metadata == {"team": "payments"}
    # Metrics of the second client go to the same runtime as the environment's.
    assert other.service_client.config.runtime is runtime


async def test_connect_client_keyword_arguments_win() -> None:
    source = await Client.connect("127.0.0.1:7233", runtime=Runtime.default(), lazy=True)
    env = WorkflowEnvironment.from_client(source)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=None))

    other = await env.connect_client(runtime=runtime, namespace="audit", lazy=True)

    assert other.namespace == "audit"
    assert other.service_client.config.runtime is runtime
