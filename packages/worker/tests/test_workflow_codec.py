"""Payload codecs on workflow payloads, end to end on the dev server and across SDKs.

``CodecWorkflow`` (``codec_workflows.py``) moves every kind of workflow payload: input, memo,
activity input, result and failure, child input, result and failure, signal, query argument and
answer, and its own result or failure (with encoded failure attributes). With an encrypting codec
on the client it runs on a tempyral worker, its history holds no readable payload, and the
official ``Replayer`` with the same codec replays it; a history written by an official worker
replays in tempyral's ``Replayer``. A codec that cannot decode fails the task, naming the codec,
and the worker keeps running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message as ProtoMessage

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowFailureError, WorkflowHistory
from tempyral.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from tempyral.exceptions import ApplicationError
from tempyral.replay import Replayer
from tempyral.worker import Worker

from .codec_workflows import (
    ACTIVITIES,
    ENCRYPTED,
    WORKFLOWS,
    BrokenCodec,
    CodecWorkflow,
    XorCodec,
)

pytestmark = pytest.mark.integration

OFFICIAL = Path(__file__).parent / "scripts" / "codec_official.py"


def encrypting(codec: XorCodec | None = None, *, encoded_failures: bool = True) -> DataConverter:
    converter = dataclasses.replace(DataConverter.default, payload_codec=codec or XorCodec())
    if encoded_failures:
        converter = dataclasses.replace(
            converter, failure_converter_class=DefaultFailureConverterWithEncodedAttributes
        )
    return converter


def payloads_of(message: ProtoMessage) -> Iterator[Payload]:
    """Every payload inside a proto message, search attributes aside (the server reads them)."""
    for field, value in message.ListFields():
        if field.message_type is None or field.message_type.name == "SearchAttributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, (list, tuple)) or hasattr(value, "add"):
            items = list(value)
        else:
            items = [value]
        for item in items:
            if not isinstance(item, ProtoMessage):
                continue
            if isinstance(item, Payload):
                yield item
            else:
                yield from payloads_of(item)


async def run_codec_workflow(client: Client, task_queue: str, finish: str) -> Any:
    handle = await client.start_workflow(
        CodecWorkflow.run,
        "bob",
        id=f"codec-{uuid.uuid4()}",
        task_queue=task_queue,
        memo={"owner": "alice"},
    )
    answer = ""
    for _ in range(200):
        answer = await handle.query(CodecWorkflow.state, "asked")
        if answer == "asked: 5 steps":
            break
        await asyncio.sleep(0.05)
    assert answer == "asked: 5 steps"
    await handle.signal(CodecWorkflow.finish_with, finish)
    return handle


EXPECTED = [
    "memo alice",
    "HI BOB",
    "activity failed: refused bob {'secret': 'bob'}",
    "child got bob",
    "child failed: child failed on purpose",
    "signal done",
]


def official(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(OFFICIAL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_an_encrypted_workflow_runs_on_tempyral_and_replays_in_the_official_sdk(
    tempyral_target: str, tmp_path: Path
) -> None:
    codec = XorCodec()
    client = await Client.connect(tempyral_target, data_converter=encrypting(codec))
    task_queue = f"codec-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await run_codec_workflow(client, task_queue, "done")
        assert await asyncio.wait_for(handle.result(), 30) == EXPECTED
    assert codec.decoded > 0
    assert codec.encoded > 0
    history = await handle.fetch_history()
    # Without the codec, nothing in the history can be read.
    payloads = [p for event in history.events for p in payloads_of(event)]
    assert len(payloads) > 10
    assert {p.metadata["encoding"] for p in payloads} == {ENCRYPTED}
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"bob" not in raw
    assert b"alice" not in raw
    with pytest.raises(Exception, match=r"binary/encrypted.* which no converter handles"):
        await Replayer(workflows=WORKFLOWS).replay_workflow(history)
    # With it, both SDKs replay the history tempyral wrote.
    await Replayer(workflows=WORKFLOWS, data_converter=encrypting()).replay_workflow(history)
    path = tmp_path / "history.json"
    path.write_text(history.to_json())
    done = official("replay", "--history", str(path), "--workflow-id", handle.id)
    assert done.stdout.strip().endswith("REPLAYED"), done.stdout + done.stderr


async def test_an_encrypted_workflow_failure_reaches_the_client_decoded(
    tempyral_target: str,
) -> None:
    client = await Client.connect(tempyral_target, data_converter=encrypting())
    task_queue = f"codec-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await run_codec_workflow(client, task_queue, "fail")
        with pytest.raises(WorkflowFailureError) as caught:
            await asyncio.wait_for(handle.result(), 30)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "failed for bob"
    assert list(cause.details) == [{"secret": "bob"}]
    history = await handle.fetch_history()
    failed = history.events[-1].workflow_execution_failed_event_attributes.failure
    assert failed.message == "Encoded failure"
    assert failed.encoded_attributes.metadata["encoding"] == ENCRYPTED


async def test_a_history_written_by_an_official_worker_replays_in_tempyral(
    tempyral_target: str,
) -> None:
    task_queue = f"codec-official-{uuid.uuid4()}"
    command = [sys.executable, str(OFFICIAL), "worker", "--target", tempyral_target]
    worker = await asyncio.to_thread(
        subprocess.Popen,
        [*command, "--task-queue", task_queue],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        assert line.strip() == "READY", line
        client = await Client.connect(tempyral_target, data_converter=encrypting())
        handle = await run_codec_workflow(client, task_queue, "done")
        assert await asyncio.wait_for(handle.result(), 30) == EXPECTED
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
    history = await handle.fetch_history()
    names = {
        e.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }
    assert "temporal-python" in names
    result = await Replayer(workflows=WORKFLOWS, data_converter=encrypting()).replay_workflow(
        WorkflowHistory.from_json(handle.id, history.to_json())
    )
    assert result.replay_failure is None


async def test_a_codec_that_cannot_decode_fails_the_task_naming_it(tempyral_target: str) -> None:
    writer = await Client.connect(tempyral_target, data_converter=encrypting())
    broken = await Client.connect(
        tempyral_target, data_converter=encrypting(BrokenCodec(), encoded_failures=False)
    )
    task_queue = f"codec-broken-{uuid.uuid4()}"
    worker = Worker(broken, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES)
    async with worker:
        handle = await writer.start_workflow(
            CodecWorkflow.run, "bob", id=f"codec-{uuid.uuid4()}", task_queue=task_queue
        )
        failure = None
        for _ in range(200):
            history = await handle.fetch_history()
            failed = [
                e
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            if failed:
                failure = failed[0].workflow_task_failed_event_attributes.failure
                break
            await asyncio.sleep(0.05)
        assert failure is not None
        assert "Payload codec BrokenCodec failed decoding" in failure.message
        assert "the key service is unreachable" in failure.message
        assert worker.is_running
        await handle.terminate()
