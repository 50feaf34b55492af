"""Payload codecs on workflow payloads, end to end on the dev server and across SDKs.

``CodecWorkflow`` (``codec_workflows.py``) moves every kind of workflow payload: input, memo and
``upsert_memo``, activity input, result and failure, a workflow-side header (the clients run with
``HeaderCodecBehavior.CODEC``), a local activity's result (its marker), child input, result and
failure, update argument and result (protocol messages), signal, query argument and answer,
continue-as-new input, and its own result or failure (with encoded failure attributes). With an
encrypting codec on the client it runs on a tempyral worker, its history holds no readable
payload, and the official ``Replayer`` with the same codec replays it; a history written by an
official worker replays in tempyral's ``Replayer``. For three workflow tasks of the run (the
first, one that runs a local activity, an update's), tempyral's worker calls the codec as an
official worker does (the same calls, in the same order, carrying the same payloads). A codec
that cannot decode fails the task, naming the codec, and the worker keeps running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
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
from tempyral.api.enums.v1.event_type_pb2 import EventType as E
from tempyral.client import (
    Client,
    HeaderCodecBehavior,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowHistory,
)
from tempyral.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from tempyral.exceptions import ApplicationError
from tempyral.replay import Replayer
from tempyral.worker import Worker

from .codec_workflows import (
    ACTIVITIES,
    ENCRYPTED,
    HEADER,
    HEADER_VALUE,
    INTERCEPTORS,
    WORKFLOWS,
    BrokenCodec,
    CodecWorkflow,
    RecordingCodec,
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


async def connect(target: str, codec: XorCodec | None = None, **kwargs: Any) -> Client:
    """A client whose codec also encodes headers, as the official worker's does in these tests."""
    return await Client.connect(
        target,
        data_converter=encrypting(codec, **kwargs),
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    )


def replayer() -> Replayer:
    return Replayer(
        workflows=WORKFLOWS,
        data_converter=encrypting(),
        interceptors=INTERCEPTORS,
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    )


def payloads_of(message: ProtoMessage) -> Iterator[Payload]:
    """Every payload inside a proto message, search attributes aside (the server reads them),
    and the ``data`` detail of a local activity marker (the SDK's bookkeeping, plain JSON under
    both SDKs: ids, attempt and times, never the activity's input or result)."""
    for field, value in message.ListFields():
        if field.message_type is None or field.message_type.name == "SearchAttributes":
            continue
        if field.message_type.GetOptions().map_entry:
            marker = message.DESCRIPTOR.name == "MarkerRecordedEventAttributes"
            items = [v for k, v in value.items() if not (marker and k == "data")]
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
    for _ in range(400):
        answer = await handle.query(CodecWorkflow.state, "asked")
        if answer == "asked: 7 steps":
            break
        await asyncio.sleep(0.05)
    assert answer == "asked: 7 steps"
    renamed = await asyncio.wait_for(handle.execute_update(CodecWorkflow.rename, "carol"), 30)
    assert renamed == "renamed to carol"
    await handle.signal(CodecWorkflow.finish_with, finish)
    return handle


EXPECTED = [
    "memo alice",
    "upserted bob reviews",
    f"HI BOB ({HEADER_VALUE})",
    f"LOCAL BOB ({HEADER_VALUE})",
    "activity failed: refused bob {'secret': 'bob'}",
    "child got bob",
    "child failed: child failed on purpose",
    "renamed carol",
    "signal done",
    "continued as new for bob",
]
# Plain text that must appear nowhere in a history written with the codec.
SECRETS = [b"bob", b"BOB", b"alice", b"carol", HEADER_VALUE.encode()]


def only_encrypted(history: WorkflowHistory) -> list[Payload]:
    """The history's payloads, after checking that none of them can be read without the codec."""
    payloads = [p for event in history.events for p in payloads_of(event)]
    assert {p.metadata["encoding"] for p in payloads} == {ENCRYPTED}
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert [secret for secret in SECRETS if secret in raw] == []
    return payloads


def attributes(history: WorkflowHistory, event_type: int) -> list[Any]:
    return [
        getattr(event, event.WhichOneof("attributes"))
        for event in history.events
        if event.event_type == event_type
    ]


def encodings(payloads: Any) -> set[bytes]:
    return {p.metadata["encoding"] for p in payloads}


def assert_every_message_payload_encrypted(history: WorkflowHistory) -> None:
    """The payloads this test added to the codec workflow are there, and encrypted."""
    [accepted] = attributes(history, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    assert encodings(accepted.accepted_request.input.args.payloads) == {ENCRYPTED}
    [completed] = attributes(history, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert encodings(completed.outcome.success.payloads) == {ENCRYPTED}
    [modified] = attributes(history, E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)
    assert encodings(modified.upserted_memo.fields.values()) == {ENCRYPTED}
    [marker] = attributes(history, E.EVENT_TYPE_MARKER_RECORDED)
    assert encodings(marker.details["result"].payloads) == {ENCRYPTED}
    scheduled = attributes(history, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert [encodings([s.header.fields[HEADER]]) for s in scheduled] == [{ENCRYPTED}] * 2
    [continued] = attributes(history, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
    assert len(continued.input.payloads) == 2
    assert encodings(continued.input.payloads) == {ENCRYPTED}


async def first_run_history(client: Client, handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The history of the run ``handle`` started (the handle itself follows the latest run)."""
    return await client.get_workflow_handle(handle.id, run_id=handle.result_run_id).fetch_history()


async def next_run_history(client: Client, handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The history of the run ``handle``'s run continued as (the latest run)."""
    return await client.get_workflow_handle(handle.id).fetch_history()


def official(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(OFFICIAL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tempyral_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        interceptors=INTERCEPTORS,
    )


async def test_an_encrypted_workflow_runs_on_tempyral_and_replays_in_the_official_sdk(
    tempyral_target: str, tmp_path: Path
) -> None:
    codec = XorCodec()
    client = await connect(tempyral_target, codec)
    task_queue = f"codec-{uuid.uuid4()}"
    async with tempyral_worker(client, task_queue):
        handle = await run_codec_workflow(client, task_queue, "done")
        assert await asyncio.wait_for(handle.result(), 30) == EXPECTED
    assert codec.decoded > 0
    assert codec.encoded > 0
    history = await first_run_history(client, handle)
    continued = await next_run_history(client, handle)
    # Without the codec, nothing in either run's history can be read.
    assert len(only_encrypted(history)) > 15
    assert_every_message_payload_encrypted(history)
    started = continued.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id == handle.first_execution_run_id
    assert len(only_encrypted(continued)) >= 2
    with pytest.raises(Exception, match=r"binary/encrypted.* which no converter handles"):
        await Replayer(workflows=WORKFLOWS).replay_workflow(history)
    # With it, both SDKs replay both histories tempyral wrote.
    for written in (history, continued):
        await replayer().replay_workflow(written)
        path = tmp_path / "history.json"
        path.write_text(written.to_json())
        done = official("replay", "--history", str(path), "--workflow-id", handle.id)
        assert done.stdout.strip().endswith("REPLAYED"), done.stdout + done.stderr


async def test_an_encrypted_workflow_failure_reaches_the_client_decoded(
    tempyral_target: str,
) -> None:
    client = await connect(tempyral_target)
    task_queue = f"codec-{uuid.uuid4()}"
    async with tempyral_worker(client, task_queue):
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
        client = await connect(tempyral_target)
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
    history = await first_run_history(client, handle)
    names = {
        e.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }
    assert "temporal-python" in names
    # The official worker encrypted the same payloads tempyral's does.
    only_encrypted(history)
    assert_every_message_payload_encrypted(history)
    for written in (history, await next_run_history(client, handle)):
        result = await replayer().replay_workflow(
            WorkflowHistory.from_json(handle.id, written.to_json())
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


async def tasks_completed(handle: WorkflowHandle[Any, Any], count: int) -> None:
    for _ in range(600):
        history = await handle.fetch_history()
        done = [e for e in history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
        if len(done) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never completed {count} workflow tasks")


async def run_three_tasks(client: Client, task_queue: str) -> None:
    """Drive the codec workflow through three workflow tasks, one at a time, on a worker that
    runs only workflows and local activities: the first (with a signal sent at the start); the
    one that gets the activity's result (completed here, by the test's client) and runs the
    local activity; and an update's. The run is terminated."""
    handle = await client.start_workflow(
        CodecWorkflow.run,
        "bob",
        id=f"codec-tasks-{uuid.uuid4()}",
        task_queue=task_queue,
        memo={"owner": "alice"},
        start_signal="finish_with",
        start_signal_args=["early"],
    )
    try:
        await tasks_completed(handle, 1)
        activity = client.get_async_activity_handle(
            workflow_id=handle.id, run_id=handle.result_run_id, activity_id="1"
        )
        await activity.complete("HI BOB (completed by the test)")
        await tasks_completed(handle, 2)
        renamed = await asyncio.wait_for(handle.execute_update(CodecWorkflow.rename, "carol"), 30)
        assert renamed == "renamed to carol"
    finally:
        await handle.terminate()


async def official_codec_calls(target: str) -> list[list[Any]]:
    task_queue = f"codec-record-official-{uuid.uuid4()}"
    command = [sys.executable, str(OFFICIAL), "record", "--target", target]
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
        assert worker.stdin is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        assert line.strip() == "READY", line
        await run_three_tasks(await connect(target), task_queue)
        worker.stdin.close()
        output = await asyncio.wait_for(asyncio.to_thread(worker.stdout.read), 60)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
    [calls] = [line[len("CALLS ") :] for line in output.splitlines() if line.startswith("CALLS ")]
    return list(json.loads(calls))


async def test_three_tasks_call_the_codec_as_on_an_official_worker(
    tempyral_target: str,
) -> None:
    """The same three workflow tasks on each SDK's worker (input, memo, a signal in; upsert_memo,
    an activity with a workflow-side header out; the activity's result in, a local activity's
    header and argument out and back, its result out and back, the next activity out; an
    update's argument in, its result out): the same codec calls, in the same order, each with
    the same payloads."""
    official_calls = await official_codec_calls(tempyral_target)
    recording = RecordingCodec()
    worker_client = await connect(tempyral_target, recording)
    task_queue = f"codec-record-{uuid.uuid4()}"
    async with Worker(
        worker_client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        interceptors=INTERCEPTORS,
        no_remote_activities=True,
    ):
        await run_three_tasks(await connect(tempyral_target), task_queue)
    header = f'json/plain "{HEADER_VALUE}"'
    # What the official worker does, spelled out, so a change on its side shows here too.
    assert ["encode", [header]] in official_calls
    assert ["decode", ['json/plain "bob"']] in official_calls
    assert ["decode", ['json/plain "carol"']] in official_calls
    assert recording.calls == official_calls
