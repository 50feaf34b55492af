"""The worker version a workflow task reports (``workflow.info().get_current_build_id()``,
``get_current_deployment_version()``, ``is_target_worker_deployment_version_changed()``), end to
end: a run's first tasks on one tempyral worker, its last on another with a different build ID
or deployment version, and a pinned run on a versioned deployment whose current version moves
on, against a dev server.

The workflows (``replay/tests/golden/versioning/workflows.py``) branch on the version, so the
histories tempyral writes prove the version is recorded and read back deterministically: they
replay in tempyral's ``Replayer`` and in the official one (a process of its own).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.task_queue_pb2 import ROUTING_CONFIG_UPDATE_STATE_COMPLETED
from tempyral.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from tempyral.client import Client, WorkflowHandle
from tempyral.common import VersioningBehavior, WorkerDeploymentVersion
from tempyral.replay import Replayer
from tempyral.service import RPCError
from tempyral.worker import Worker, WorkerDeploymentConfig

pytestmark = pytest.mark.integration

WORKFLOWS_FILE = (
    Path(__file__).parents[2] / "replay" / "tests" / "golden" / "versioning" / "workflows.py"
)
OFFICIAL_REPLAY = Path(__file__).parent / "scripts" / "official_replay.py"


def _load_workflows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e2e_versioning_workflows", WORKFLOWS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_versioning_workflows"] = module
    spec.loader.exec_module(module)
    return module


wf = _load_workflows()


def _deployment(build_id: str) -> WorkerDeploymentConfig:
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=wf.DEPLOYMENT, build_id=build_id),
        use_worker_versioning=False,
    )


async def _moved(
    client: Client, fn: Any, first: dict[str, Any], second: dict[str, Any]
) -> WorkflowHandle[Any, Any]:
    task_queue = f"versions-{uuid.uuid4()}"

    def worker(versioning: dict[str, Any]) -> Worker:
        return Worker(
            client,
            task_queue=task_queue,
            workflows=wf.WORKFLOWS,
            max_cached_workflows=0,  # no sticky queue: the next task goes to the next worker
            **versioning,
        )

    handle = await client.start_workflow(fn, id=f"versions-{uuid.uuid4()}", task_queue=task_queue)
    async with worker(first):
        completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        for _ in range(150):  # blocked on the signal once the timer's task completed
            events = (await handle.fetch_history()).events
            if sum(e.event_type == completed for e in events) >= 2:
                break
            await asyncio.sleep(0.1)
    await handle.signal("go")
    async with worker(second):
        await asyncio.wait_for(handle.result(), 30)
    return handle


async def _replays_in_both(handle: WorkflowHandle[Any, Any], tmp_path: Path) -> None:
    history = await handle.fetch_history()
    await Replayer(workflows=wf.WORKFLOWS).replay_workflow(history)
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"workflow_id": handle.id, "history": history.to_json_dict()}))
    replay = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(OFFICIAL_REPLAY), str(WORKFLOWS_FILE), str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "OK 1" in replay.stdout


async def test_the_build_id_changes_with_the_worker_that_runs_the_task(
    client: Client, tmp_path: Path
) -> None:
    handle = await _moved(
        client,
        wf.BuildIds.run,
        {"build_id": wf.FIRST_BUILD},
        {"build_id": wf.SECOND_BUILD},
    )
    # The second worker replayed the first tasks: they still report the first build.
    assert await handle.result() == [
        [wf.FIRST_BUILD, f".{wf.FIRST_BUILD}", False],
        [wf.FIRST_BUILD, f".{wf.FIRST_BUILD}", False],
        [wf.SECOND_BUILD, f".{wf.SECOND_BUILD}", False],
    ]
    await _replays_in_both(handle, tmp_path)


async def test_the_deployment_version_changes_with_the_worker_that_runs_the_task(
    client: Client, tmp_path: Path
) -> None:
    handle = await _moved(
        client,
        wf.Deployments.run,
        {"deployment_config": _deployment("1.0")},
        {"deployment_config": _deployment("2.0")},
    )
    assert await handle.result() == [
        ["1.0", f"{wf.DEPLOYMENT}.1.0", False],
        ["1.0", f"{wf.DEPLOYMENT}.1.0", False],
        ["2.0", f"{wf.DEPLOYMENT}.2.0", False],
    ]
    await _replays_in_both(handle, tmp_path)


async def _set_current(client: Client, deployment: str, build_id: str) -> None:
    # The server knows a version once its worker has polled: retry for a while.
    for _ in range(100):
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace, deployment_name=deployment, build_id=build_id
                )
            )
            break
        except RPCError:
            await asyncio.sleep(0.2)
    else:
        raise TimeoutError(f"{deployment}.{build_id} never became current")
    # The new routing reaches the task queues a moment later: wait until it has.
    for _ in range(100):
        described = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
        info = described.worker_deployment_info
        if (
            info.routing_config.current_deployment_version.build_id == build_id
            and info.routing_config_update_state == ROUTING_CONFIG_UPDATE_STATE_COMPLETED
        ):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the routing to {deployment}.{build_id} never reached the task queues")


@pytest.mark.parametrize(
    ("workflow_run", "worker_default"),
    [
        ("NoticesNewTarget", VersioningBehavior.PINNED),  # pinned by the worker's default
        ("PinnedNoticesNewTarget", VersioningBehavior.AUTO_UPGRADE),  # by its definition
    ],
)
async def test_a_pinned_run_hears_that_the_target_version_changed(
    client: Client, tmp_path: Path, workflow_run: str, worker_default: VersioningBehavior
) -> None:
    task_queue = f"versions-{uuid.uuid4()}"
    deployment = f"target-{uuid.uuid4().hex[:8]}"

    def worker(build_id: str) -> Worker:
        return Worker(
            client,
            task_queue=task_queue,
            workflows=wf.WORKFLOWS,
            # No sticky queue, as in the golden recording: the server flags a changed target
            # version on tasks dispatched through the versioned task queue.
            max_cached_workflows=0,
            deployment_config=WorkerDeploymentConfig(
                version=WorkerDeploymentVersion(deployment_name=deployment, build_id=build_id),
                use_worker_versioning=True,
                default_versioning_behavior=worker_default,
            ),
        )

    async with worker("1.0"):
        await _set_current(client, deployment, "1.0")
        handle = await client.start_workflow(
            workflow_run, id=f"target-{uuid.uuid4()}", task_queue=task_queue
        )
        completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        for _ in range(150):
            if any(e.event_type == completed for e in (await handle.fetch_history()).events):
                break
            await asyncio.sleep(0.1)
        async with worker("2.0"):
            await _set_current(client, deployment, "2.0")
            await handle.signal("go")
            result = await asyncio.wait_for(handle.result(), 30)
    assert result == [
        ["1.0", f"{deployment}.1.0", False],
        ["1.0", f"{deployment}.1.0", True],
    ]
    await _replays_in_both(handle, tmp_path)
