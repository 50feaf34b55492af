"""Tracing with ``tempyral.contrib.opentelemetry`` on a real dev server, tempyral on both ends.

A traced client starts a workflow on a traced worker; the workflow runs an activity and a child,
handles a signal and answers a query. Every span lands in one trace, with the official contrib's
names and parents. Replaying the same history with the interceptor records nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer

from tempyral import workflow
from tempyral.client import Client
from tempyral.contrib.opentelemetry import TracingInterceptor
from tempyral.contrib.opentelemetry.workflow import completed_span
from tempyral.worker import Replayer, Worker

from .tracing_workflows import ACTIVITIES, WORKFLOWS, TracedParent

pytestmark = pytest.mark.integration


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Tracer:
    # A provider of the test's own: the global one is not touched.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tempyral-tests")


def tree(spans: tuple[ReadableSpan, ...]) -> list[tuple[str, str | None]]:
    """Sorted (span, parent span) by name; a parent outside ``spans`` (remote) shows as ``"?"``."""
    names = {span.context.span_id: span.name for span in spans if span.context is not None}
    return sorted(
        (span.name, None if span.parent is None else names.get(span.parent.span_id, "?"))
        for span in spans
    )


async def test_a_workflow_its_activity_child_signal_and_query_make_one_trace(
    tempyral_target: str, exporter: InMemorySpanExporter, tracer: Tracer
) -> None:
    client = await Client.connect(tempyral_target, interceptors=[TracingInterceptor(tracer)])
    queue = f"otel-{uuid.uuid4()}"
    workflow_id = f"otel-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        with tracer.start_as_current_span("test"):
            handle = await client.start_workflow(
                TracedParent.run, args=[queue, queue], id=workflow_id, task_queue=queue
            )
            assert await handle.query(TracedParent.state) == "waiting"
            await handle.signal(TracedParent.proceed)
            result = await asyncio.wait_for(handle.result(), 30)
    assert result == ["step parent", "step child"]

    spans = exporter.get_finished_spans()
    assert len({span.context.trace_id for span in spans if span.context is not None}) == 1
    # Workflow spans hang off the starter's span (the workflow's context), as in the official
    # contrib; an activity's or child's spans off the span that started it. Each span once:
    # nothing was recorded twice (a replay would re-emit workflow spans).
    assert tree(spans) == sorted(
        [
            ("test", None),
            ("StartWorkflow:TracedParent", "test"),
            ("RunWorkflow:TracedParent", "StartWorkflow:TracedParent"),
            ("StartActivity:traced_step", "StartWorkflow:TracedParent"),
            ("RunActivity:traced_step", "StartActivity:traced_step"),
            ("QueryWorkflow:state", "test"),
            ("HandleQuery:state", "QueryWorkflow:state"),
            ("SignalWorkflow:proceed", "test"),
            ("HandleSignal:proceed", "StartWorkflow:TracedParent"),
            ("StartChildWorkflow:TracedChild", "StartWorkflow:TracedParent"),
            ("RunWorkflow:TracedChild", "StartChildWorkflow:TracedChild"),
            ("StartActivity:traced_step", "StartChildWorkflow:TracedChild"),
            ("RunActivity:traced_step", "StartActivity:traced_step"),
            ("CompleteWorkflow:TracedChild", "StartChildWorkflow:TracedChild"),
            ("CompleteWorkflow:TracedParent", "StartWorkflow:TracedParent"),
        ]
    )
    by_name = {span.name: span for span in spans}
    run = by_name["RunWorkflow:TracedParent"]
    assert run.kind is SpanKind.SERVER
    assert run.attributes is not None
    assert run.attributes["temporalWorkflowID"] == workflow_id
    assert run.attributes["temporalRunID"] == handle.first_execution_run_id
    # Workflow spans take no time: they start and end at the workflow task's time.
    assert run.start_time == run.end_time
    assert by_name["StartWorkflow:TracedParent"].kind is SpanKind.CLIENT
    assert by_name["RunActivity:traced_step"].attributes is not None
    assert by_name["RunActivity:traced_step"].attributes["temporalActivityID"]
    # The signal's span is linked to the sender's.
    signal = by_name["HandleSignal:proceed"]
    sender = by_name["SignalWorkflow:proceed"]
    assert [link.context.span_id for link in signal.links] == [sender.context.span_id]

    # Replaying the history with the interceptor records no workflow span again.
    exporter.clear()
    replayer = Replayer(workflows=WORKFLOWS, interceptors=[TracingInterceptor(tracer)])
    await replayer.replay_workflow(await handle.fetch_history())
    assert exporter.get_finished_spans() == ()


OFFICIAL_TRACING = Path(__file__).parent / "scripts" / "official_tracing.py"
TAGS = {"RESULT", "SPANS "}  # the script's output lines worth reading


async def test_one_trace_crosses_an_official_client_a_tempyral_worker_and_an_official_worker(
    tempyral_target: str, exporter: InMemorySpanExporter, tracer: Tracer
) -> None:
    """An official client (its own process, official ``TracingInterceptor``) starts the parent on
    a tempyral worker (here); the parent's activities run here and its child on the official
    client's own worker. The spans of both processes join into one trace, parents right."""
    client = await Client.connect(tempyral_target, interceptors=[TracingInterceptor(tracer)])
    queue = f"otel-tempyral-{uuid.uuid4()}"
    official_queue = f"otel-official-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(OFFICIAL_TRACING),
            "--target",
            tempyral_target,
            "--workflow-queue",
            queue,
            "--official-queue",
            official_queue,
            "--id",
            f"otel-cross-{uuid.uuid4()}",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 120)
    output = out.decode()
    assert process.returncode == 0, output
    lines = dict(line.split(" ", 1) for line in output.splitlines() if line[:6] in TAGS)
    assert json.loads(lines["RESULT"]) == {
        "state": "waiting",
        "result": ["step parent", "step child"],
    }

    spans = [dict(span, sdk="official") for span in json.loads(lines["SPANS"])]
    for span in exporter.get_finished_spans():
        assert span.context is not None
        spans.append(
            {
                "name": span.name,
                "trace_id": f"{span.context.trace_id:032x}",
                "span_id": f"{span.context.span_id:016x}",
                "parent_id": None if span.parent is None else f"{span.parent.span_id:016x}",
                "sdk": "tempyral",
            }
        )
    assert len({span["trace_id"] for span in spans}) == 1, spans
    names = {span["span_id"]: span["name"] for span in spans}
    joined = sorted(
        (span["name"], span["sdk"], span["parent_id"] and names.get(span["parent_id"], "?"))
        for span in spans
    )
    assert joined == sorted(
        [
            ("official-client", "official", None),
            ("StartWorkflow:TracedParent", "official", "official-client"),
            ("RunWorkflow:TracedParent", "tempyral", "StartWorkflow:TracedParent"),
            ("StartActivity:traced_step", "tempyral", "StartWorkflow:TracedParent"),
            ("RunActivity:traced_step", "tempyral", "StartActivity:traced_step"),
            ("QueryWorkflow:state", "official", "official-client"),
            ("HandleQuery:state", "tempyral", "QueryWorkflow:state"),
            ("SignalWorkflow:proceed", "official", "official-client"),
            ("HandleSignal:proceed", "tempyral", "StartWorkflow:TracedParent"),
            ("StartChildWorkflow:TracedChild", "tempyral", "StartWorkflow:TracedParent"),
            ("RunWorkflow:TracedChild", "official", "StartChildWorkflow:TracedChild"),
            ("StartActivity:traced_step", "official", "StartChildWorkflow:TracedChild"),
            ("RunActivity:traced_step", "tempyral", "StartActivity:traced_step"),
            ("CompleteWorkflow:TracedChild", "official", "StartChildWorkflow:TracedChild"),
            ("CompleteWorkflow:TracedParent", "tempyral", "StartWorkflow:TracedParent"),
        ]
    ), output


@workflow.defn
class Marked:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.1)  # a second workflow task: the first one is replayed in it
        completed_span("Mark", attributes={"step": 1})
        return "marked"


async def run_marked(client: Client, *interceptors: TracingInterceptor) -> Any:
    """Run ``Marked`` on a worker with the client's interceptors and ``interceptors``."""
    queue = f"otel-marked-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[Marked], interceptors=interceptors):
        handle = await client.start_workflow(
            Marked.run, id=f"otel-marked-{uuid.uuid4()}", task_queue=queue
        )
        assert await asyncio.wait_for(handle.result(), 30) == "marked"
    return handle


async def test_completed_span_records_in_workflow_code_and_a_replay_records_nothing(
    tempyral_target: str, exporter: InMemorySpanExporter, tracer: Tracer
) -> None:
    client = await Client.connect(tempyral_target, interceptors=[TracingInterceptor(tracer)])
    with tracer.start_as_current_span("test"):
        handle = await run_marked(client)
    spans = exporter.get_finished_spans()
    assert tree(spans) == sorted(
        [
            ("test", None),
            ("StartWorkflow:Marked", "test"),
            ("RunWorkflow:Marked", "StartWorkflow:Marked"),
            ("Mark", "StartWorkflow:Marked"),
            ("CompleteWorkflow:Marked", "StartWorkflow:Marked"),
        ]
    )
    mark = next(span for span in spans if span.name == "Mark")
    assert mark.attributes is not None
    assert mark.attributes["step"] == 1
    assert mark.attributes["temporalWorkflowID"] == handle.id

    exporter.clear()
    replayer = Replayer(workflows=[Marked], interceptors=[TracingInterceptor(tracer)])
    await replayer.replay_workflow(await handle.fetch_history())
    assert exporter.get_finished_spans() == ()


async def test_workflow_spans_need_a_traced_starter_unless_always_created(
    tempyral_target: str, exporter: InMemorySpanExporter, tracer: Tracer
) -> None:
    untraced = await Client.connect(tempyral_target)  # the CLI or a schedule, say
    await run_marked(untraced, TracingInterceptor(tracer))
    assert exporter.get_finished_spans() == ()

    await run_marked(untraced, TracingInterceptor(tracer, always_create_workflow_spans=True))
    assert tree(exporter.get_finished_spans()) == [
        ("CompleteWorkflow:Marked", None),
        ("Mark", None),
        ("RunWorkflow:Marked", None),
    ]


@workflow.defn
class Counter:
    def __init__(self) -> None:
        self.total = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.total

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.update
    def add(self, amount: int) -> int:
        self.total += amount
        return self.total

    @add.validator
    def check(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("only positive amounts")


async def test_signal_with_start_and_an_update_are_traced_as_the_official_contrib_does(
    tempyral_target: str, exporter: InMemorySpanExporter, tracer: Tracer
) -> None:
    client = await Client.connect(tempyral_target, interceptors=[TracingInterceptor(tracer)])
    queue = f"otel-update-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[Counter]):
        with tracer.start_as_current_span("test"):
            handle = await client.start_workflow(
                Counter.run,
                id=f"otel-update-{uuid.uuid4()}",
                task_queue=queue,
                start_signal="finish",
            )
            # The run may already be done by now: an update to a closed run is refused, so
            # the update goes to a second run started plainly.
            assert await asyncio.wait_for(handle.result(), 30) == 0
            second = await client.start_workflow(
                Counter.run, id=f"otel-update-{uuid.uuid4()}", task_queue=queue
            )
            assert await second.execute_update(Counter.add, 5) == 5
            await second.signal(Counter.finish)
            assert await asyncio.wait_for(second.result(), 30) == 5
    spans = exporter.get_finished_spans()
    assert tree(spans) == sorted(
        [
            ("test", None),
            ("SignalWithStartWorkflow:Counter", "test"),
            ("HandleSignal:finish", "SignalWithStartWorkflow:Counter"),
            ("RunWorkflow:Counter", "SignalWithStartWorkflow:Counter"),
            ("CompleteWorkflow:Counter", "SignalWithStartWorkflow:Counter"),
            ("StartWorkflow:Counter", "test"),
            ("RunWorkflow:Counter", "StartWorkflow:Counter"),
            ("StartWorkflowUpdate:add", "test"),
            ("ValidateUpdate:add", "StartWorkflow:Counter"),
            ("HandleUpdate:add", "StartWorkflow:Counter"),
            ("SignalWorkflow:finish", "test"),
            ("HandleSignal:finish", "StartWorkflow:Counter"),
            ("CompleteWorkflow:Counter", "StartWorkflow:Counter"),
        ]
    )
    # The update's spans are linked to the caller's.
    caller = next(span for span in spans if span.name == "StartWorkflowUpdate:add")
    for name in ("ValidateUpdate:add", "HandleUpdate:add"):
        span = next(span for span in spans if span.name == name)
        assert [link.context.span_id for link in span.links] == [caller.context.span_id]
