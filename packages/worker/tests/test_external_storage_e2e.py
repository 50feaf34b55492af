"""External payload storage on workflow payloads, end to end on the dev server and across SDKs.

``LargePayloadWorkflow`` (``storage_workflows.py``) takes a large input, gets a large activity
result and returns a large result. With a file driver on both sides, tempyral's worker stores
and retrieves them (the history holds only references), its drivers learn the workflow, the
``Replayer`` reads the stored payloads back, and an official client or worker
(``scripts/storage_official.py``) with the same driver reads what tempyral stored and the reverse.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.client import Client, WorkflowHandle
from tempyral.converter import DataConverter, ExternalStorage, StorageDriverWorkflowInfo
from tempyral.replay import Replayer
from tempyral.worker import Worker

from .storage_workflows import ACTIVITIES, BIG, THRESHOLD, WORKFLOWS, FileDriver

pytestmark = pytest.mark.integration

OFFICIAL = Path(__file__).parent / "scripts" / "storage_official.py"
REFERENCE_TYPE = b"temporal.api.sdk.v1.ExternalStorageReference"
INPUT = "o" * BIG
EXPECTED = f"{BIG}:{2 * BIG}:OOO" + "x" * BIG


def storing(directory: Path) -> tuple[DataConverter, FileDriver]:
    driver = FileDriver(directory, Payload)
    storage = ExternalStorage(drivers=[driver], payload_size_threshold=THRESHOLD)
    return DataConverter(external_storage=storage), driver


async def stored_payloads(handle: WorkflowHandle[object, object]) -> dict[str, Payload]:
    """The payloads of the events that carry the large values, by event attribute name."""
    found: dict[str, Payload] = {}
    for event in (await handle.fetch_history()).events:
        kind = event.WhichOneof("attributes")
        attributes = getattr(event, kind)
        for field in ("input", "result"):
            if attributes.DESCRIPTOR.fields_by_name.get(field) is not None:
                payloads = getattr(attributes, field).payloads
                if payloads:
                    found[kind] = payloads[0]
    return found


def assert_all_references(found: dict[str, Payload]) -> None:
    assert set(found) >= {
        "workflow_execution_started_event_attributes",
        "activity_task_scheduled_event_attributes",
        "activity_task_completed_event_attributes",
        "workflow_execution_completed_event_attributes",
    }
    for kind, payload in found.items():
        assert payload.metadata["messageType"] == REFERENCE_TYPE, kind
        assert json.loads(payload.data)["driverName"] == "shared-files"
        assert payload.external_payloads[0].size_bytes > THRESHOLD


async def test_large_workflow_payloads_are_stored_outside_the_history(
    tempyral_target: str, tmp_path: Path
) -> None:
    converter, driver = storing(tmp_path)
    client = await Client.connect(tempyral_target, data_converter=converter)
    task_queue = f"storage-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await client.start_workflow(
            "LargePayloadWorkflow", INPUT, id=f"storage-{uuid.uuid4()}", task_queue=task_queue
        )
        assert await asyncio.wait_for(handle.result(), 60) == EXPECTED

    assert_all_references(await stored_payloads(handle))
    targets = {c.target for c in driver.contexts}
    # The workflow task's payloads (activity input, workflow result) name the run and type.
    assert (
        StorageDriverWorkflowInfo(
            namespace=client.namespace,
            id=handle.id,
            run_id=handle.result_run_id,
            type="LargePayloadWorkflow",
        )
        in targets
    )
    assert StorageDriverWorkflowInfo(namespace=client.namespace, id=handle.id) in targets
    history = await handle.fetch_history()
    await Replayer(workflows=WORKFLOWS, data_converter=converter).replay_workflow(history)
    result = await Replayer(workflows=WORKFLOWS).replay_workflow(
        history, raise_on_replay_failure=False
    )
    # Without the driver the workflow cannot get its input back.
    assert result.replay_failure is not None


def official(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(OFFICIAL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_an_official_client_and_a_tempyral_worker_share_stored_payloads(
    tempyral_target: str, tmp_path: Path
) -> None:
    converter, driver = storing(tmp_path)
    client = await Client.connect(tempyral_target, data_converter=converter)
    task_queue = f"storage-{uuid.uuid4()}"
    workflow_id = f"storage-official-client-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        done = await asyncio.to_thread(
            official,
            "start",
            "--target",
            tempyral_target,
            "--task-queue",
            task_queue,
            "--directory",
            str(tmp_path),
            "--id",
            workflow_id,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"RESULT {len(EXPECTED)} {EXPECTED[:20]}"
    assert driver.contexts  # tempyral's worker stored the activity's and workflow's results
    assert_all_references(await stored_payloads(client.get_workflow_handle(workflow_id)))


async def test_a_tempyral_client_and_an_official_worker_share_stored_payloads(
    tempyral_target: str, tmp_path: Path
) -> None:
    converter, _ = storing(tmp_path)
    task_queue = f"storage-official-{uuid.uuid4()}"
    command = [sys.executable, str(OFFICIAL), "worker", "--target", tempyral_target]
    worker = await asyncio.to_thread(
        subprocess.Popen,
        [*command, "--task-queue", task_queue, "--directory", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        assert line.strip() == "READY", line
        client = await Client.connect(tempyral_target, data_converter=converter)
        handle = await client.start_workflow(
            "LargePayloadWorkflow", INPUT, id=f"storage-{uuid.uuid4()}", task_queue=task_queue
        )
        assert await asyncio.wait_for(handle.result(), 60) == EXPECTED
    finally:
        assert worker.stdin is not None
        worker.stdin.close()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
    assert_all_references(await stored_payloads(handle))
    # The history the official worker wrote replays in tempyral with the same driver.
    history = await handle.fetch_history()
    await Replayer(workflows=WORKFLOWS, data_converter=converter).replay_workflow(history)
