"""Nexus operations called from a tempyral workflow, end to end against the OFFICIAL handler.

The caller workflows of the Nexus golden set (``replay/tests/golden/nexus/workflows.py``) run on
a tempyral worker; the official SDK's handler worker (``golden/nexus/handler.py``, a process of
its own) serves the operations through an endpoint created with ``CreateNexusEndpoint``. Each run
returns what the official caller returned when the golden histories were recorded
(``results.json``), and the histories tempyral writes replay in the official ``Replayer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.enums.v1.failed_cause_pb2 import WorkflowTaskFailedCause
from tempyral.client import Client
from tempyral.testing import DevServer
from tempyral.worker import Replayer, Worker

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[2] / "replay" / "tests" / "golden" / "nexus"
WORKFLOWS_FILE = GOLDEN / "workflows.py"
OFFICIAL_RESULTS: dict[str, str] = json.loads((GOLDEN / "results.json").read_text())
OFFICIAL_REPLAY = Path(__file__).parent / "scripts" / "official_replay.py"
CANCELLATION_TYPES = ("ABANDON", "TRY_CANCEL", "WAIT_REQUESTED", "WAIT_COMPLETED")
# As golden/nexus/record.py: cancel-request outcomes are recorded, endpoints seen at once.
DYNAMIC_CONFIG = {
    "component.nexusoperations.recordCancelRequestCompletionEvents": True,
    "system.refreshNexusEndpointsMinWait": "0s",
    "history.enableSignalWithStartFromWorkflow": True,
}


def _load_workflows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e2e_nexus_workflows", WORKFLOWS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_nexus_workflows"] = module
    spec.loader.exec_module(module)
    return module


wf = _load_workflows()


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer(dynamic_config=DYNAMIC_CONFIG) as dev_server:
        yield dev_server


@contextlib.contextmanager
def _official(*arguments: str, log: Path) -> Iterator[subprocess.Popen[str]]:
    """``handler.py`` with ``arguments`` (an official worker) until the block ends."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(GOLDEN / "handler.py"), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if line.strip() != "ready":
            process.kill()
            process.wait()
            raise RuntimeError(f"the official worker did not start: {line}{log.read_text()}")
        yield process
        process.stdin.close()  # it serves until its standard input closes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    finally:
        process.stdout.close()
        if not process.stdin.closed:
            process.stdin.close()


@pytest.fixture(scope="module")
def official_handler(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[str]]:
    """The official handler worker, serving ``GoldenService`` through ``wf.ENDPOINT``."""
    log = tmp_path_factory.mktemp("nexus-handler") / "stderr.txt"
    with _official(server.target, f"nexus-{uuid.uuid4()}", log=log) as process:
        yield process


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await Client.connect(server.target)


@pytest.fixture
async def caller(client: Client, official_handler: subprocess.Popen[str]) -> AsyncIterator[str]:
    task_queue = f"nexus-caller-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=wf.WORKFLOWS):
        yield task_queue


def _position(events: list[str], kind: str) -> int:
    return events.index(kind) if kind in events else len(events)


def _scenarios() -> list[tuple[str, Any, str]]:
    return [
        ("sync_result", wf.SyncResult.run, "golden"),
        ("async_result", wf.AsyncResult.run, "golden"),
        ("handler_failure", wf.HandlerFailure.run, "golden"),
        ("handler_error", wf.HandlerError.run, "golden"),
        ("async_failure", wf.AsyncFailure.run, "golden"),
        *[(f"cancelled_{kind.lower()}", wf.Cancelled.run, kind) for kind in CANCELLATION_TYPES],
        ("cancelled_before_sent", wf.CancelledBeforeSent.run, "golden"),
        ("timed_out", wf.TimedOut.run, "golden"),
        ("signal_with_start", wf.SignalWithStart.run, "golden-mailbox"),
    ]


async def test_tempyral_callers_get_what_official_callers_got_and_replay_officially(
    client: Client, caller: str, tmp_path: Path
) -> None:
    handles = {
        name: await client.start_workflow(
            fn, arg, id=f"nexus-caller-{name}-{uuid.uuid4()}", task_queue=caller
        )
        for name, fn, arg in _scenarios()
    }
    # The workflow signal-with-start started (on the caller's queue, so tempyral runs it too).
    handles["mailbox"] = client.get_workflow_handle("golden-mailbox")
    results = {name: await asyncio.wait_for(h.result(), 60) for name, h in handles.items()}
    orders = {
        name: [
            EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
            for e in (await h.fetch_history()).events
        ]
        for name, h in handles.items()
    }
    expected = dict(OFFICIAL_RESULTS)
    wait_requested = orders["cancelled_wait_requested"]
    if _position(wait_requested, "NEXUS_OPERATION_CANCELED") < _position(
        wait_requested, "NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED"
    ):
        # The handler's workflow was cancelled before the server recorded that the cancel request
        # was delivered: the operation's own outcome came first, and resolves as for WAIT_COMPLETED
        # (the official caller's answer for that order).
        expected["cancelled_wait_requested"] = OFFICIAL_RESULTS["cancelled_wait_completed"]
    assert results == expected, wait_requested

    files = []
    histories = []
    for name, handle in handles.items():
        history = await handle.fetch_history()
        histories.append(history)
        kinds = {EventType.Name(e.event_type) for e in history.events}
        reached_the_server = name not in ("mailbox", "cancelled_before_sent")
        assert ("EVENT_TYPE_NEXUS_OPERATION_SCHEDULED" in kinds) is reached_the_server, name
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"workflow_id": handle.id, "history": history.to_json_dict()}))
        files.append(str(path))
    replay = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(OFFICIAL_REPLAY), str(WORKFLOWS_FILE), *files],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"OK {len(files)}" in replay.stdout
    # And in tempyral's, in one batch.
    ours = await Replayer(workflows=wf.WORKFLOWS).replay_workflows(histories)
    assert dict(ours.replay_failures) == {}


@workflow.defn
class CallsAnUnknownEndpoint:
    @workflow.run
    async def run(self) -> str:
        client = workflow.create_nexus_client(service="GoldenService", endpoint="no-such-endpoint")
        return await client.execute_operation("echo", "lost")


async def test_an_unknown_endpoint_fails_the_task_with_the_servers_reason(
    client: Client, official_handler: subprocess.Popen[str]
) -> None:
    """A typo in the endpoint's name: the server refuses the command, the workflow task fails
    with the server's reason (the run waits for fixed code), and the worker serves other runs."""
    task_queue = f"nexus-caller-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[*wf.WORKFLOWS, CallsAnUnknownEndpoint]
    ):
        lost = await client.start_workflow(
            CallsAnUnknownEndpoint.run, id=f"nexus-lost-{uuid.uuid4()}", task_queue=task_queue
        )
        failed = None
        for _ in range(100):
            events = (await lost.fetch_history()).events
            failed = next(
                (e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
                None,
            )
            if failed is not None:
                break
            await asyncio.sleep(0.1)
        assert failed is not None
        attributes = failed.workflow_task_failed_event_attributes
        assert "no-such-endpoint" in attributes.failure.message
        assert attributes.cause == WorkflowTaskFailedCause.Value(
            "WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES"
        )
        ok = await client.execute_workflow(
            wf.SyncResult.run, "golden", id=f"nexus-ok-{uuid.uuid4()}", task_queue=task_queue
        )
        assert ok == OFFICIAL_RESULTS["sync_result"]


async def test_tracing_records_each_nexus_call_and_sends_its_context_to_the_handler(
    server: DevServer, official_handler: subprocess.Popen[str]
) -> None:
    """The OpenTelemetry contrib's ``TracingInterceptor`` records a span per Nexus call with the
    official contrib's names, and the schedule command carries the trace context as Nexus
    headers (strings), so the handler's spans can join the caller's trace."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tempyral.contrib.opentelemetry import TracingInterceptor

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tempyral-tests")
    interceptor = TracingInterceptor(tracer)
    traced = await Client.connect(server.target, interceptors=[interceptor])
    task_queue = f"nexus-traced-{uuid.uuid4()}"
    async with Worker(traced, task_queue=task_queue, workflows=wf.WORKFLOWS):
        with tracer.start_as_current_span("test"):  # the workflows' spans join this trace
            handles = [
                await traced.start_workflow(
                    wf.SyncResult.run, "golden", id=f"traced-{uuid.uuid4()}", task_queue=task_queue
                ),
                await traced.start_workflow(
                    wf.SignalWithStart.run,
                    f"traced-mailbox-{uuid.uuid4()}",
                    id=f"traced-{uuid.uuid4()}",
                    task_queue=task_queue,
                ),
            ]
        for handle in handles:
            await asyncio.wait_for(handle.result(), 60)
    names = [span.name for span in exporter.get_finished_spans()]
    assert names.count("StartNexusOperation:GoldenService/echo") == 2
    assert names.count("SignalWithStartWorkflow") == 1
    scheduled = [
        e.nexus_operation_scheduled_event_attributes
        for e in (await handles[0].fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
    ]
    assert len(scheduled) == 2
    assert all("traceparent" in attributes.nexus_header for attributes in scheduled)
    assert scheduled[0].nexus_header["x-golden"] == "1"  # the caller's own header is kept
    exporter.shutdown()


async def _wait_for_task_after(handle: Any, kind: str) -> None:
    """Until history has ``kind`` followed by a completed workflow task (the code saw it)."""
    for _ in range(300):
        names = [EventType.Name(e.event_type) for e in (await handle.fetch_history()).events]
        if (
            f"EVENT_TYPE_{kind}" in names
            and "EVENT_TYPE_WORKFLOW_TASK_COMPLETED" in names[names.index(f"EVENT_TYPE_{kind}") :]
        ):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no workflow task after {kind} in {handle.id}")


@pytest.mark.parametrize("first", ["official", "tempyral"])
async def test_a_run_moves_between_the_sdks_workers_between_nexus_operations(
    server: DevServer,
    client: Client,
    official_handler: subprocess.Popen[str],
    tmp_path: Path,
    first: str,
) -> None:
    """A run that called a Nexus operation on one SDK's worker finishes on the other's: the
    second replays the first's Nexus events, resolves the same handle and calls another."""
    task_queue = f"nexus-moving-{uuid.uuid4()}"
    handle = await client.start_workflow(
        wf.Moving.run, "golden", id=f"nexus-moving-{uuid.uuid4()}", task_queue=task_queue
    )
    tempyral_worker = Worker(
        client,
        task_queue=task_queue,
        workflows=wf.WORKFLOWS,
        identity="tempyral-caller",
        max_cached_workflows=0,
    )
    if first == "official":
        with _official("--caller", server.target, task_queue, log=tmp_path / "caller.txt"):
            await _wait_for_task_after(handle, "NEXUS_OPERATION_STARTED")
        async with tempyral_worker:
            await handle.signal(wf.Moving.proceed)
            result = await asyncio.wait_for(handle.result(), 60)
    else:
        async with tempyral_worker:
            await _wait_for_task_after(handle, "NEXUS_OPERATION_STARTED")
        with _official("--caller", server.target, task_queue, log=tmp_path / "caller.txt"):
            await handle.signal(wf.Moving.proceed)
            result = await asyncio.wait_for(handle.result(), 60)
    assert result == "run by the handler for golden / echo: golden"
    identities = [
        e.workflow_task_completed_event_attributes.identity
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    second = "tempyral-caller" if first == "official" else "official-caller"
    assert identities[0] == f"{first}-caller"
    assert identities[-1] == second


async def test_v2_tracing_records_each_nexus_call_and_sends_its_context_to_the_handler(
    server: DevServer, official_handler: subprocess.Popen[str]
) -> None:
    """``OpenTelemetryPlugin`` (the v2 tracing, in a process of its own: it sets the global
    tracer provider) records the official contrib's spans for Nexus calls and puts the trace
    context in the operation's Nexus headers beside the caller's own."""
    script = Path(__file__).parent / "scripts" / "nexus_otel_v2.py"
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(script), server.target],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["spans"].count("StartNexusOperation:GoldenService/echo") == 2
    assert result["spans"].count("SignalWithStartWorkflow") == 1
    assert len(result["headers"]) == 2
    assert all("traceparent" in headers for headers in result["headers"])
    assert result["headers"][0]["x-golden"] == "1"
