"""TimeSkipper against a dev server with per-workflow time skipping on (and one without it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import pytest

from tempyral import workflow
from tempyral.client import Client, WorkflowExecutionStatus, WorkflowHandle
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing import DevServer, FastForwardConfig, TimeSkipper, TimeSkippingConfig
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

DAY = 86400.0
TASK_QUEUE = "time-skipper"


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> float:
        start = workflow.now()
        await asyncio.sleep(seconds)
        return (workflow.now() - start).total_seconds()


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(dynamic_config={"frontend.WorkflowTimeSkippingEnabled": True}) as dev_server:
        yield dev_server


@pytest.fixture
async def client(server: DevServer) -> AsyncIterator[Client]:
    client = await Client.connect(server.target)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[Sleeper]):
        yield client


async def start(client: Client, seconds: float) -> WorkflowHandle[Sleeper, float]:
    return await client.start_workflow(
        Sleeper.run, seconds, id=f"sleeper-{uuid.uuid4()}", task_queue=TASK_QUEUE
    )


async def test_a_day_long_sleep_ends_at_once_and_the_given_client_is_untouched(
    client: Client,
) -> None:
    skipper = TimeSkipper(client)
    began = time.monotonic()
    skipping = await start(skipper.client, DAY)
    assert await skipping.result() >= DAY
    assert time.monotonic() - began < 30
    info = await skipper.get_time_skipping_info(skipping)
    assert info is not None
    assert info.effective_config.enabled

    plain = await start(client, DAY)
    assert await skipper.get_time_skipping_info(plain) is None
    assert (await plain.describe()).status == WorkflowExecutionStatus.RUNNING
    await plain.terminate()


async def test_bounded_fast_forwards_move_the_virtual_clock(client: Client) -> None:
    skipper = TimeSkipper(client)
    with skipper.with_time_skipping_disabled():
        handle = await start(skipper.client, 2 * 3600)
    assert await skipper.get_time_skipping_info(handle) is None
    before = await skipper.get_current_time(handle)

    assert await skipper.fast_forward(handle, timedelta(hours=1)) is True
    assert await skipper.get_current_time(handle) - before >= timedelta(hours=1)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    # The sleep ends at two hours, before the three the clock was asked to reach: False.
    assert await skipper.fast_forward(handle, 2 * 3600.0) is False
    assert await handle.result() >= 2 * 3600


async def test_an_unbounded_fast_forward_waits_for_the_run_to_close(client: Client) -> None:
    skipper = TimeSkipper(client, config=TimeSkippingConfig(enabled=False))
    handle = await start(skipper.client, 30 * DAY)
    assert await skipper.fast_forward(handle) is False
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert await handle.result() >= 30 * DAY


def test_a_fast_forward_needs_skipping_enabled() -> None:
    forward = FastForwardConfig(id="x", duration=timedelta(hours=1))
    with pytest.raises(ValueError, match="enabled is False"):
        TimeSkippingConfig(enabled=False, fast_forward_config=forward)
    assert TimeSkippingConfig(fast_forward_config=forward)._to_proto().fast_forward_config.id == "x"


async def test_a_server_without_time_skipping_refuses_the_start(
    tempyral_dev_server: DevServer,
) -> None:
    client = await Client.connect(tempyral_dev_server.target)
    with pytest.raises(RPCError) as raised:
        await start(TimeSkipper(client).client, DAY)
    assert raised.value.status == RPCStatusCode.UNIMPLEMENTED
    assert "Time-Skipping feature is not enabled" in raised.value.message


_OFFICIAL_FAST_FORWARD = """
import asyncio, os, sys
from datetime import timedelta
from temporalio.client import Client
from temporalio.testing import TimeSkipper

async def main(target, workflow_id):
    skipper = TimeSkipper(await Client.connect(target))
    handle = skipper.client.get_workflow_handle(workflow_id)
    print(await skipper.fast_forward(handle, timedelta(hours=1)))
    print((await skipper.get_current_time(handle)).isoformat())

asyncio.run(main(*sys.argv[1:]))
sys.stdout.flush()
# The official SDK's process can abort while the interpreter finalizes (a gRPC thread releasing
# the GIL): its work is done and printed by then, so leave without finalizing.
os._exit(0)
"""


async def test_the_official_time_skipper_drives_a_workflow_ours_started(
    client: Client, server: DevServer
) -> None:
    skipper = TimeSkipper(client, config=TimeSkippingConfig(enabled=False))
    handle = await start(skipper.client, 2 * 3600)
    before = await skipper.get_current_time(handle)
    # In a thread: the subprocess talks to the server while this loop's worker runs the workflow.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _OFFICIAL_FAST_FORWARD, server.target, handle.id],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    completed, official_now = result.stdout.split()
    assert completed == "True"
    ours = await skipper.get_current_time(handle)
    # Virtual time goes on at the wall clock's pace between the two reads.
    assert timedelta(0) <= ours - datetime.fromisoformat(official_now) < timedelta(seconds=10)
    assert ours - before >= timedelta(hours=1)
    assert await skipper.fast_forward(handle, timedelta(hours=2)) is False
    assert await handle.result() >= 2 * 3600
