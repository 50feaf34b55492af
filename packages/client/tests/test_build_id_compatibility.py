"""Worker build-id compatibility calls against a real dev server, checked against the official SDK.

The server serves these deprecated APIs only when dynamic config turns them on; the module's
server does, and the session's server (which does not) shows the error a user then gets.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tempyral.client import (
    BuildIdOpAddNewCompatible,
    BuildIdOpAddNewDefault,
    BuildIdOpMergeSets,
    BuildIdOpPromoteBuildIdWithinSet,
    BuildIdOpPromoteSetByBuildId,
    Client,
    GetWorkerBuildIdCompatibilityInput,
    GetWorkerTaskReachabilityInput,
    Interceptor,
    OutboundInterceptor,
    TaskReachabilityType,
    UpdateWorkerBuildIdCompatibilityInput,
    WorkerBuildIdVersionSets,
    WorkerTaskReachability,
)
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing import DevServer

pytestmark = pytest.mark.integration

VERSIONING_ON = {
    "frontend.workerVersioningDataAPIs": True,
    "frontend.workerVersioningWorkflowAPIs": True,
}


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(dynamic_config=VERSIONING_ON) as dev_server:
        yield dev_server


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await Client.connect(server.target)


def _task_queue() -> str:
    return f"build-ids-{uuid.uuid4()}"


def _sets(sets: WorkerBuildIdVersionSets) -> list[list[str]]:
    return [list(s.build_ids) for s in sets.version_sets]


async def test_operations_shape_the_version_sets(client: Client) -> None:
    tq = _task_queue()
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("1.0"))
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewCompatible("1.1", "1.0"))
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("2.0"))
    sets = await client.get_worker_build_id_compatibility(tq)
    assert _sets(sets) == [["1.0", "1.1"], ["2.0"]]
    assert sets.default_build_id() == "2.0"
    assert sets.default_set().build_ids == ["2.0"]

    await client.update_worker_build_id_compatibility(tq, BuildIdOpPromoteSetByBuildId("1.0"))
    sets = await client.get_worker_build_id_compatibility(tq)
    assert _sets(sets) == [["2.0"], ["1.0", "1.1"]]
    assert sets.default_build_id() == "1.1"

    await client.update_worker_build_id_compatibility(tq, BuildIdOpPromoteBuildIdWithinSet("1.0"))
    assert (await client.get_worker_build_id_compatibility(tq)).default_build_id() == "1.0"

    await client.update_worker_build_id_compatibility(
        tq, BuildIdOpAddNewCompatible("2.1", "2.0", promote_set=True)
    )
    sets = await client.get_worker_build_id_compatibility(tq)
    assert _sets(sets) == [["1.1", "1.0"], ["2.0", "2.1"]]

    await client.update_worker_build_id_compatibility(tq, BuildIdOpMergeSets("2.1", "1.0"))
    sets = await client.get_worker_build_id_compatibility(tq)
    assert len(sets.version_sets) == 1
    assert sorted(sets.default_set().build_ids) == ["1.0", "1.1", "2.0", "2.1"]
    assert sets.default_build_id() == "2.1"


async def test_max_sets_returns_the_newest_sets(client: Client) -> None:
    tq = _task_queue()
    for build_id in ("a", "b", "c"):
        await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault(build_id))
    assert _sets(await client.get_worker_build_id_compatibility(tq, max_sets=2)) == [["b"], ["c"]]
    assert _sets(await client.get_worker_build_id_compatibility(tq)) == [["a"], ["b"], ["c"]]


async def test_an_unknown_build_id_is_refused_with_the_servers_reason(client: Client) -> None:
    tq = _task_queue()
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("1.0"))
    with pytest.raises(RPCError) as raised:
        await client.update_worker_build_id_compatibility(
            tq, BuildIdOpAddNewCompatible("1.1", "no-such-build")
        )
    assert raised.value.status == RPCStatusCode.NOT_FOUND
    assert "no-such-build" in raised.value.message


async def test_reachability_of_default_and_superseded_build_ids(client: Client) -> None:
    tq, other = _task_queue(), _task_queue()
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("1.0"))
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewCompatible("1.1", "1.0"))
    reach = await client.get_worker_task_reachability(["1.0", "1.1"], [tq])
    assert set(reach.build_id_reachability) == {"1.0", "1.1"}
    # New workflows go to the set's default; nothing ever ran on the superseded 1.0.
    assert reach.build_id_reachability["1.1"].task_queue_reachability == {
        tq: [TaskReachabilityType.NEW_WORKFLOWS]
    }
    assert reach.build_id_reachability["1.0"].task_queue_reachability == {tq: []}
    assert reach.build_id_reachability["1.0"].unretrieved_task_queues == frozenset()

    narrowed = await client.get_worker_task_reachability(
        ["1.1"], [tq, other], TaskReachabilityType.NEW_WORKFLOWS
    )
    assert narrowed.build_id_reachability["1.1"].task_queue_reachability == {
        tq: [TaskReachabilityType.NEW_WORKFLOWS],
        other: [],
    }


class _Recorder(Interceptor):
    def __init__(self) -> None:
        self.inputs: list[Any] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _RecordingOutbound(next, self.inputs)


class _RecordingOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, inputs: list[Any]) -> None:
        super().__init__(next)
        self.inputs = inputs

    async def update_worker_build_id_compatibility(
        self, input: UpdateWorkerBuildIdCompatibilityInput
    ) -> None:
        self.inputs.append(input)
        # An interceptor may change the call: here it adds a build id of its own first.
        await self.next.update_worker_build_id_compatibility(
            UpdateWorkerBuildIdCompatibilityInput(
                input.task_queue, BuildIdOpAddNewDefault("from-interceptor"), {}, None
            )
        )
        await self.next.update_worker_build_id_compatibility(input)

    async def get_worker_build_id_compatibility(
        self, input: GetWorkerBuildIdCompatibilityInput
    ) -> WorkerBuildIdVersionSets:
        self.inputs.append(input)
        return await self.next.get_worker_build_id_compatibility(input)

    async def get_worker_task_reachability(
        self, input: GetWorkerTaskReachabilityInput
    ) -> WorkerTaskReachability:
        self.inputs.append(input)
        return await self.next.get_worker_task_reachability(input)


async def test_interceptors_see_and_can_change_each_call(server: DevServer) -> None:
    recorder = _Recorder()
    client = await Client.connect(server.target, interceptors=[recorder])
    tq = _task_queue()
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("1.0"))
    sets = await client.get_worker_build_id_compatibility(tq, max_sets=5)
    await client.get_worker_task_reachability(["1.0"], [tq], TaskReachabilityType.OPEN_WORKFLOWS)
    assert _sets(sets) == [["from-interceptor"], ["1.0"]]
    update, get, reach = recorder.inputs
    assert (update.task_queue, update.operation) == (tq, BuildIdOpAddNewDefault("1.0"))
    assert (get.task_queue, get.max_sets) == (tq, 5)
    assert (list(reach.build_ids), list(reach.task_queues), reach.reachability) == (
        ["1.0"],
        [tq],
        TaskReachabilityType.OPEN_WORKFLOWS,
    )


_OFFICIAL = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from temporalio.client import Client

    async def main(target, tq):
        client = await Client.connect(target)
        sets = await client.get_worker_build_id_compatibility(tq)
        reach = await client.get_worker_task_reachability(["1.0", "1.1", "2.0"], [tq])
        print(json.dumps({
            "sets": [list(s.build_ids) for s in sets.version_sets],
            "default": sets.default_build_id(),
            "reach": {
                b: {q: [t.name for t in ts] for q, ts in r.task_queue_reachability.items()}
                for b, r in reach.build_id_reachability.items()
            },
        }))

    asyncio.run(main(*sys.argv[1:]))
    sys.stdout.flush()
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
    """
)


async def test_the_official_client_reads_what_ours_reads(client: Client, server: DevServer) -> None:
    tq = _task_queue()
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("1.0"))
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewCompatible("1.1", "1.0"))
    await client.update_worker_build_id_compatibility(tq, BuildIdOpAddNewDefault("2.0"))
    sets = await client.get_worker_build_id_compatibility(tq)
    reach = await client.get_worker_task_reachability(["1.0", "1.1", "2.0"], [tq])
    ours = {
        "sets": _sets(sets),
        "default": sets.default_build_id(),
        "reach": {
            b: {q: [t.name for t in ts] for q, ts in r.task_queue_reachability.items()}
            for b, r in reach.build_id_reachability.items()
        },
    }
    # In a thread: the official client's process talks to the server this loop's client uses.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _OFFICIAL, server.target, tq],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ours
    assert ours["reach"]["2.0"] == {tq: ["NEW_WORKFLOWS"]}


async def test_a_server_without_the_apis_says_they_are_disabled(
    tempyral_dev_server: DevServer,
) -> None:
    client = await Client.connect(tempyral_dev_server.target)
    with pytest.raises(RPCError) as update:
        await client.update_worker_build_id_compatibility("tq", BuildIdOpAddNewDefault("x"))
    assert update.value.status == RPCStatusCode.PERMISSION_DENIED
    assert "disabled on this namespace" in update.value.message
    with pytest.raises(RPCError) as reach:
        await client.get_worker_task_reachability(["x"])
    assert reach.value.status == RPCStatusCode.PERMISSION_DENIED
