"""Record the worker-version golden histories under the OFFICIAL ``temporalio`` worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/versioning/record.py

Like ``golden/patching/record.py``, it starts a dev server and runs ``workflows.py`` (with
``tempyral.workflow`` aliased to the official module). Each workflow's first tasks run on one
official worker; that worker stops, and a second worker with another build ID (``build_ids``) or
deployment version (``deployments``, unversioned deployment workers) runs the last task. In
``target_changed`` a run pinned to version 1.0 of a versioned deployment waits while the
deployment's current version moves to 2.0; its next task says the target changed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import temporalio.common
import temporalio.workflow
from temporalio.api.enums.v1.task_queue_pb2 import ROUTING_CONFIG_UPDATE_STATE_COMPLETED
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkerDeploymentConfig

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden-versioning"


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


shared = _load(HERE.parent / "record.py", "golden_record")  # wait_started


def load_workflows_under_official_sdk() -> Any:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    return _load(HERE / "workflows.py", "golden_versioning_workflows")


def _worker(client: Client, wf: Any, task_queue: str, **versioning: Any) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=wf.WORKFLOWS,
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=0,  # no sticky queue: the next task goes to whichever worker polls
        graceful_shutdown_timeout=timedelta(seconds=1),
        **versioning,
    )


async def _moved(
    client: Client, wf: Any, fn: Any, name: str, first: dict[str, Any], second: dict[str, Any]
) -> WorkflowHandle[Any, Any]:
    task_queue = f"{TASK_QUEUE}-{name}"
    handle = await client.start_workflow(
        fn, id=f"golden-{name}-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    async with _worker(client, wf, task_queue, **first):
        # Blocked on the signal once the timer's task completed (the second completion).
        for _ in range(200):
            events = (await handle.fetch_history()).events
            if sum(e.event_type == 6 for e in events) >= 2:  # WORKFLOW_TASK_COMPLETED
                break
            await asyncio.sleep(0.1)
    await handle.signal("go")
    async with _worker(client, wf, task_queue, **second):
        print(f"  {name}: {await handle.result()}")
    return handle


async def _set_current(client: Client, deployment: str, build_id: str) -> None:
    """Make ``build_id`` the deployment's current version (the server knows a version once its
    worker has polled, so this retries for a while)."""
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
    for _ in range(100):  # the new routing reaches the task queues a moment later
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


async def _target_changed(client: Client, wf: Any) -> WorkflowHandle[Any, Any]:
    """A pinned run on version 1.0 sees the current version move to 2.0."""
    task_queue = f"{TASK_QUEUE}-target"
    deployment = f"{wf.DEPLOYMENT}-target"

    def versioned(build_id: str) -> dict[str, Any]:
        return {
            "deployment_config": WorkerDeploymentConfig(
                version=WorkerDeploymentVersion(deployment_name=deployment, build_id=build_id),
                use_worker_versioning=True,
                default_versioning_behavior=VersioningBehavior.PINNED,
            )
        }

    async with _worker(client, wf, task_queue, **versioned("1.0")):
        await _set_current(client, deployment, "1.0")
        workflow_id = f"golden-target-{uuid.uuid4().hex[:8]}"
        handle = await client.start_workflow(
            wf.NoticesNewTarget.run, id=workflow_id, task_queue=task_queue
        )
        await shared.wait_started(handle, "WORKFLOW_TASK_COMPLETED")
        async with _worker(client, wf, task_queue, **versioned("2.0")):
            await _set_current(client, deployment, "2.0")
            await handle.signal("go")
            print(f"  target_changed: {await handle.result()}")
    return handle


async def main() -> None:
    from tempyral.testing import DevServer

    wf = load_workflows_under_official_sdk()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    index: dict[str, str] = {}
    async with DevServer() as server:
        client = await Client.connect(server.target)
        scenarios = {
            "build_ids": (
                wf.BuildIds.run,
                {"build_id": wf.FIRST_BUILD},
                {"build_id": wf.SECOND_BUILD},
            ),
            "deployments": (
                wf.Deployments.run,
                {"deployment_config": _deployment(wf.DEPLOYMENT, "1.0")},
                {"deployment_config": _deployment(wf.DEPLOYMENT, "2.0")},
            ),
        }
        handles = {
            name: await _moved(client, wf, fn, name, first, second)
            for name, (fn, first, second) in scenarios.items()
        }
        handles["target_changed"] = await _target_changed(client, wf)
        for name, handle in handles.items():
            history = await handle.fetch_history()
            (OUT / f"{name}.json").write_text(history.to_json() + "\n")
            index[name] = handle.id
    (HERE / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def _deployment(name: str, build_id: str) -> WorkerDeploymentConfig:
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=name, build_id=build_id),
        use_worker_versioning=False,
    )


if __name__ == "__main__":
    asyncio.run(main())
