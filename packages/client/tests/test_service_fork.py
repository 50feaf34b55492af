"""A client survives ``os.fork()``: the child gets a working connection, the parent keeps its own.

``grpc.aio`` state does not survive fork (calls hang, releasing inherited channels crashes), so a
forked child must talk through a connection of its own. The child runs in this test's process
image and reports through its exit code (and a pipe for the message).
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
import warnings
from collections.abc import Callable

import pytest

from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.service import ConnectConfig, ServiceClient

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")

CHILD_TIMEOUT = 60


def run_in_child(body: Callable[[], None]) -> tuple[int, str]:
    """Fork; the child runs ``body`` and exits 0 (success) or 1; returns (code, child's report)."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process (gRPC runs threads) is risky;
        # surviving exactly that is what is tested.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never return into pytest
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


def test_forked_child_uses_the_parents_client_and_new_ones(tempyral_target: str) -> None:
    async def connect_and_call() -> tuple[ServiceClient, str]:
        client = await ServiceClient.connect(ConnectConfig(target_host=tempyral_target))
        return client, await system_info(client)

    client, version = asyncio.run(connect_and_call())
    # Keep a grpc.aio channel alive in the parent across the fork, on a loop still open.
    parent_loop = asyncio.new_event_loop()
    assert parent_loop.run_until_complete(system_info(client)) == version

    def child() -> None:
        async def calls() -> None:
            assert await system_info(client) == version  # the inherited client
            fresh = await ServiceClient.connect(ConnectConfig(target_host=tempyral_target))
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


def test_forked_child_reports_errors_as_rpc_errors(unused_tcp_port: int) -> None:
    from tempyral.service import RPCError, RPCStatusCode

    client = asyncio.run(
        ServiceClient.connect(ConnectConfig(target_host=f"127.0.0.1:{unused_tcp_port}", lazy=True))
    )

    def child() -> None:
        async def call() -> None:
            with pytest.raises(RPCError) as caught:
                await system_info(client)
            assert caught.value.status == RPCStatusCode.UNAVAILABLE

        asyncio.run(asyncio.wait_for(call(), CHILD_TIMEOUT))

    code, report = run_in_child(child)
    assert code == 0, f"the forked child failed:\n{report}"
