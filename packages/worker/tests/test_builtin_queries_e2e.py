"""The built-in queries on a live run, under both SDKs' workers: ``__enhanced_stack_trace`` (the
Temporal UI's stack view) answers in the official SDK's shape, and asking it leaves the run able
to answer more queries, take a signal and complete. ``temporal workflow metadata`` (the Temporal
CLI, from ``__temporal_workflow_metadata``) shows a tempyral workflow's handlers and details.

The same ``shared_workflows.py`` source runs in a worker process of either SDK
(``scripts/workflow_worker.py``); the answers are read through tempyral's client.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message

from tempyral import workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.sdk.v1 import enhanced_stack_trace_pb2 as stack_pb2
from tempyral.api.sdk.v1 import workflow_metadata_pb2 as metadata_pb2
from tempyral.client import Client, WorkflowHandle
from tempyral.testing import find_temporal_binary
from tempyral.worker import Worker

from .shared_workflows import SignalTarget

pytestmark = pytest.mark.integration

SHARED_WORKFLOWS = str(Path(__file__).with_name("shared_workflows.py"))


def fields_set(message: Message, prefix: str = "") -> set[str]:
    """The paths of the fields a message sets, recursively (map values by their value's type)."""
    paths: set[str] = set()
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        paths.add(path)
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            for entry in value.values():
                paths |= fields_set(entry, f"{path}[].")
        elif isinstance(value, Message):
            paths |= fields_set(value, f"{path}.")
        else:  # a repeated message field
            for item in value:
                paths |= fields_set(item, f"{path}[].")
    return paths


async def first_task_done(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(300):
        kinds = [e.event_type for e in (await handle.fetch_history()).events]
        if EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in kinds:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never completed its first workflow task")


async def stack_trace_then_finish(
    client: Client, sdk: str, target: str, workflow_worker_process: Any
) -> tuple[stack_pb2.EnhancedStackTrace, metadata_pb2.WorkflowMetadata]:
    """Run SignalTarget on ``sdk``'s worker: ask the built-in queries, signal, and see it
    finish; the enhanced stack trace and the metadata it answered."""
    task_queue = f"stack-{sdk}-{uuid.uuid4()}"
    worker = workflow_worker_process(sdk, target, task_queue)
    await worker.wait_ready()
    handle = await client.start_workflow(
        SignalTarget.run, 2, id=f"stack-{sdk}-{uuid.uuid4()}", task_queue=task_queue
    )
    await first_task_done(handle)
    trace = await handle.query("__enhanced_stack_trace", result_type=stack_pb2.EnhancedStackTrace)
    described = await handle.query(
        "__temporal_workflow_metadata", result_type=metadata_pb2.WorkflowMetadata
    )
    # The run still takes its next workflow task and answers queries, and completes.
    await handle.signal(SignalTarget.add, "one")
    assert await handle.query(SignalTarget.seen) == ["one"]
    assert "Stack for <Task" in await handle.query("__stack_trace", result_type=str)
    await handle.signal(SignalTarget.add, "two")
    assert await asyncio.wait_for(handle.result(), 60) == ["one", "two", "timeout"]
    return trace, described


async def test_the_enhanced_stack_trace_is_answered_as_officially_and_the_run_goes_on(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    official, official_metadata = await stack_trace_then_finish(
        client, "official", tempyral_target, workflow_worker_process
    )
    ours, our_metadata = await stack_trace_then_finish(
        client, "tempyral", tempyral_target, workflow_worker_process
    )
    # The same workflow source describes itself the same way under both SDKs.
    assert our_metadata == official_metadata
    assert [d.name for d in our_metadata.definition.query_definitions] == [
        "__enhanced_stack_trace",
        "__stack_trace",
        "__temporal_workflow_metadata",
        "broken",
        "seen",
    ]

    assert (official.sdk.name, official.sdk.version) == (
        "sdk-python",
        metadata.version("temporalio"),
    )
    assert (ours.sdk.name, ours.sdk.version) == ("tempyral", metadata.version("tempyral-replay"))
    # The same fields, filled the same way: each location's file among the sources with its
    # whole text, column -1, nothing marked internal.
    assert fields_set(ours) == fields_set(official)
    for trace in (official, ours):
        locations = [loc for stack in trace.stacks for loc in stack.locations]
        assert locations
        assert {loc.file_path for loc in locations} == set(trace.sources)
        assert all(loc.column == -1 and not loc.internal_code for loc in locations)
        for loc in locations:
            source = Path(loc.file_path).read_text(encoding="utf-8")
            assert trace.sources[loc.file_path].content == source
            assert 0 < loc.line <= len(source.splitlines())
    # A stack per waiting task of the workflow. The official SDK also lists the query's own
    # task, running (the worker thread's frames down to the query); tempyral leaves it out.
    assert len(official.stacks) == 2
    assert len(ours.stacks) == 1
    # Where the run waits: tempyral follows the await chain down to the workflow's own line
    # (the official SDK shows only each task's outermost frame, its own wrapper).
    [waiting] = [loc for loc in ours.stacks[0].locations if loc.file_path == SHARED_WORKFLOWS]
    line = ours.sources[SHARED_WORKFLOWS].content.splitlines()[waiting.line - 1]
    assert (waiting.function_name, line.strip()) == (
        "run",
        "await workflow.wait_condition(lambda: len(self.received) >= expected, timeout=3600)",
    )


@workflow.defn
class Described:
    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self) -> str:
        workflow.set_current_details("waiting for **finish**")
        await workflow.wait_condition(lambda: self.finished)
        return "finished"

    @workflow.signal(description="Lets the run end.")
    def finish(self) -> None:
        self.finished = True

    @workflow.query(description="Whether the run may end.")
    def is_finished(self) -> bool:
        return self.finished

    @workflow.update(description="Says hello.")
    def hello(self, name: str) -> str:
        return f"Hello, {name}!"


async def test_the_cli_shows_a_workflows_metadata(client: Client, tempyral_target: str) -> None:
    task_queue = f"metadata-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[Described]):
        handle = await client.start_workflow(
            Described.run, id=f"metadata-{uuid.uuid4()}", task_queue=task_queue
        )
        await first_task_done(handle)
        shown = await asyncio.to_thread(
            subprocess.run,
            [
                str(find_temporal_binary()),
                "workflow",
                "metadata",
                "--address",
                tempyral_target,
                "--workflow-id",
                handle.id,
                "--output",
                "json",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        # What the official SDK answers for this workflow: every handler, the built-in queries
        # too, sorted by name within each kind, with its description; the current details.
        assert json.loads(shown.stdout) == {
            "queryResult": [
                {
                    "_protoMessageType": "temporal.api.sdk.v1.WorkflowMetadata",
                    "currentDetails": "waiting for **finish**",
                    "definition": {
                        "type": "Described",
                        "queryDefinitions": [
                            {"name": "__enhanced_stack_trace"},
                            {"name": "__stack_trace"},
                            {"name": "__temporal_workflow_metadata"},
                            {"name": "is_finished", "description": "Whether the run may end."},
                        ],
                        "signalDefinitions": [
                            {"name": "finish", "description": "Lets the run end."}
                        ],
                        "updateDefinitions": [{"name": "hello", "description": "Says hello."}],
                    },
                }
            ]
        }
        await handle.signal(Described.finish)
        assert await asyncio.wait_for(handle.result(), 30) == "finished"
