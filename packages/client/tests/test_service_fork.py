"""A client survives ``os.fork()``: the child gets a working connection, the parent keeps its own.

``grpc.aio`` state does not survive fork (calls hang, releasing inherited channels crashes), so a
forked child must talk through a connection of its own. The child runs in the forking process's
image and reports through its exit code (and a pipe for the message).

Each scenario runs in a fresh interpreter (this file run as a script): grpcio 1.71's aio poller
thread can crash the *parent* when it forks after a test session has opened and dropped hundreds
of channels on closed event loops, a grpcio fault this test is not about. A fresh interpreter forks
with exactly the state the scenario builds, as a user's program does.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable

import pytest

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import ConnectConfig, RPCError, RPCStatusCode, ServiceClient

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")

CHILD_TIMEOUT = 60


def run_scenario(name: str, argument: str) -> None:
    """Run ``name(argument)`` from this file in a fresh interpreter, warnings as errors."""
    result = subprocess.run(
        [sys.executable, "-W", "error", __file__, name, argument],
        capture_output=True,
        text=True,
        timeout=3 * CHILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"{name} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    assert result.stdout.strip().endswith("scenario passed"), result.stdout


def run_in_child(body: Callable[[], None]) -> tuple[int, str]:
    """Fork; the child runs ``body`` and exits 0 (success) or 1; returns (code, child's report)."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process (gRPC runs threads) is risky;
        # surviving exactly that is what is tested.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never return into the caller
        os.close(read_end)
        code, report = 0, "ok"
        try:
            body()
        except BaseException:
            code, report = 1, traceback.format_exc()
        os.write(write_end, report.encode())
        os.close(write_end)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), report


async def system_info(client: ServiceClient) -> str:
    response = await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    return response.server_version


def parent_child_and_grandchild_share_a_server(target: str) -> None:
    async def connect_and_call() -> tuple[ServiceClient, str]:
        client = await ServiceClient.connect(ConnectConfig(target_host=target))
        return client, await system_info(client)

    client, version = asyncio.run(connect_and_call())
    # Keep a grpc.aio channel alive in the parent across the fork, on a loop still open.
    parent_loop = asyncio.new_event_loop()
    assert parent_loop.run_until_complete(system_info(client)) == version

    def child() -> None:
        async def calls() -> None:
            assert await system_info(client) == version  # the inherited client
            fresh = await ServiceClient.connect(ConnectConfig(target_host=target))
            assert await system_info(fresh) == version  # a client made in the child
            assert await client.check_health()

        asyncio.run(asyncio.wait_for(calls(), CHILD_TIMEOUT))

        def grandchild() -> None:
            asyncio.run(asyncio.wait_for(system_info(client), CHILD_TIMEOUT))

        code, report = run_in_child(grandchild)  # and once more, from the child
        assert code == 0, f"the grandchild failed:\n{report}"

    code, report = run_in_child(child)
    assert code == 0, f"the forked child failed:\n{report}"

    # The parent's connections are untouched.
    assert parent_loop.run_until_complete(system_info(client)) == version
    assert asyncio.run(system_info(client)) == version
    parent_loop.close()


def child_reports_errors_as_rpc_errors(port: str) -> None:
    client = asyncio.run(
        ServiceClient.connect(ConnectConfig(target_host=f"127.0.0.1:{port}", lazy=True))
    )

    def child() -> None:
        async def call() -> None:
            with pytest.raises(RPCError) as caught:
                await system_info(client)
            assert caught.value.status == RPCStatusCode.UNAVAILABLE

        asyncio.run(asyncio.wait_for(call(), CHILD_TIMEOUT))

    code, report = run_in_child(child)
    assert code == 0, f"the forked child failed:\n{report}"


def test_forked_child_uses_the_parents_client_and_new_ones(tempyral_target: str) -> None:
    run_scenario("parent_child_and_grandchild_share_a_server", tempyral_target)


def test_forked_child_reports_errors_as_rpc_errors(unused_tcp_port: int) -> None:
    run_scenario("child_reports_errors_as_rpc_errors", str(unused_tcp_port))


if __name__ == "__main__":
    SCENARIOS = {
        "parent_child_and_grandchild_share_a_server": parent_child_and_grandchild_share_a_server,
        "child_reports_errors_as_rpc_errors": child_reports_errors_as_rpc_errors,
    }
    SCENARIOS[sys.argv[1]](sys.argv[2])
    print("scenario passed", flush=True)
