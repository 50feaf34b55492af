"""``OpenTelemetryPlugin`` (the official contrib's v2 tracing) on a real dev server.

The same scenario runs on tempyral (here) and on the official SDK (``scripts/official_otel_v2.py``,
its own process): a traced client starts ``V2Parent``, queries, updates and signals it; the
workflow traces with plain OpenTelemetry around an activity, a timer, a child and in its handlers
(an update's validator and a query are live even while the run is replayed). Workers keep no
workflow cache, so every workflow task replays the run from the start: a span must keep its id
across replays, be started again without being exported again, and be ended once. The span trees
must be equal.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import opentelemetry.trace
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tempyral import workflow
from tempyral.client import Client
from tempyral.contrib.opentelemetry import (
    OpenTelemetryInterceptor,
    OpenTelemetryPlugin,
    ReplaySafeTracerProvider,
    create_tracer_provider,
)
from tempyral.contrib.opentelemetry.workflow import completed_span
from tempyral.worker import Replayer, Worker

from .otel_v2_workflows import ACTIVITIES, WORKFLOWS, V2Parent

pytestmark = pytest.mark.integration

OFFICIAL = Path(__file__).parent / "scripts" / "official_otel_v2.py"
TAGS = {"RESULT", "SPANS "}

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """The global replay-safe provider's spans (the provider can be set once per process)."""
    provider = opentelemetry.trace.get_tracer_provider()
    if not isinstance(provider, ReplaySafeTracerProvider):
        provider = create_tracer_provider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        opentelemetry.trace.set_tracer_provider(provider)
    assert isinstance(opentelemetry.trace.get_tracer_provider(), ReplaySafeTracerProvider), (
        "another test set a global tracer provider first"
    )
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def tree(spans: tuple[ReadableSpan, ...]) -> list[list[str | None]]:
    """Sorted [span, parent span, kind]; a parent not recorded shows as ``"?"``."""
    names = {span.context.span_id: span.name for span in spans if span.context is not None}
    return sorted(
        [
            span.name,
            None if span.parent is None else names.get(span.parent.span_id, "?"),
            span.kind.name,
        ]
        for span in spans
    )


def key(entry: list[str | None]) -> tuple[str, str, str]:
    return (entry[0] or "", entry[1] or "", entry[2] or "")


async def run_official(target: str) -> tuple[dict[str, object], list[list[str | None]]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(OFFICIAL),
        "--target",
        target,
        "--queue",
        f"otel2-official-{uuid.uuid4()}",
        "--id",
        f"otel2-official-{uuid.uuid4()}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    output = out.decode()
    assert process.returncode == 0, output
    lines = dict(line.split(" ", 1) for line in output.splitlines() if line[:6] in TAGS)
    result: dict[str, object] = json.loads(lines["RESULT"])
    spans: list[list[str | None]] = json.loads(lines["SPANS"])
    return result, sorted(spans, key=key)


async def test_the_span_tree_is_the_official_sdks_and_a_replay_records_nothing(
    tempyral_target: str, exporter: InMemorySpanExporter
) -> None:
    official_run = asyncio.ensure_future(run_official(tempyral_target))
    client = await Client.connect(
        tempyral_target, plugins=[OpenTelemetryPlugin(add_temporal_spans=True)]
    )
    queue = f"otel2-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES, max_cached_workflows=0
    ):
        with opentelemetry.trace.get_tracer("tempyral-test").start_as_current_span("test"):
            handle = await client.start_workflow(
                V2Parent.run, id=f"otel2-{uuid.uuid4()}", task_queue=queue
            )
            state = await handle.query(V2Parent.state)
            noted = await handle.execute_update(V2Parent.note, "x")
            await handle.signal(V2Parent.proceed)
            result = await asyncio.wait_for(handle.result(), 30)
    official_result, official_tree = await official_run
    assert {"state": state, "noted": noted, "result": result} == official_result
    spans = exporter.get_finished_spans()
    ours = sorted(tree(spans), key=key)
    # One trace, every parent recorded: span ids inside workflows held across replays.
    assert len({span.context.trace_id for span in spans if span.context is not None}) == 1
    assert all(parent != "?" for _, parent, _ in ours), ours
    side_by_side = ["tempyral:", *map(str, ours), "official:", *map(str, official_tree)]
    assert ours == official_tree, "\n".join(side_by_side)
    live = {"HandleQuery:state", "ValidateUpdate:note", "in-validator", "in-update"}
    assert live <= {name for name, _, _ in ours}
    # Spans in workflow code last: "prepare" covers the activity and the timer.
    prepare = next(span for span in spans if span.name == "prepare")
    assert prepare.end_time is not None
    assert prepare.start_time is not None
    assert prepare.end_time - prepare.start_time >= 50_000_000

    exporter.clear()
    replayer = Replayer(workflows=WORKFLOWS, interceptors=[OpenTelemetryInterceptor(True)])
    await replayer.replay_workflow(await handle.fetch_history())
    assert exporter.get_finished_spans() == ()


async def test_a_worker_refuses_a_global_provider_that_is_not_replay_safe(
    tempyral_target: str, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await Client.connect(tempyral_target, plugins=[OpenTelemetryPlugin()])
    monkeypatch.setattr(opentelemetry.trace, "get_tracer_provider", TracerProvider)
    with pytest.raises(ValueError, match="ReplaySafeTracerProvider"):
        async with Worker(client, task_queue=f"otel2-{uuid.uuid4()}", workflows=WORKFLOWS):
            pass


@workflow.defn
class LegacySpan:
    @workflow.run
    async def run(self) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            completed_span("legacy")
        return [type(warning.message).__name__ for warning in caught]


async def test_completed_span_under_the_plugin_warns_and_records_on_the_global_tracer(
    tempyral_target: str, exporter: InMemorySpanExporter
) -> None:
    client = await Client.connect(tempyral_target, plugins=[OpenTelemetryPlugin()])
    queue = f"otel2-legacy-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[LegacySpan]):
        warned = await client.execute_workflow(
            LegacySpan.run, id=f"otel2-legacy-{uuid.uuid4()}", task_queue=queue
        )
    assert warned == ["DeprecationWarning"]
    assert [span.name for span in exporter.get_finished_spans()] == ["legacy"]
