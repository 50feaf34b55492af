"""The ``OpenTelemetryPlugin`` scenario of ``test_opentelemetry_v2.py`` on the official SDK alone.

    python official_otel_v2.py --target HOST:PORT --queue Q --id ID

Sets a global ``create_tracer_provider()``, connects a client with the official
``OpenTelemetryPlugin(add_temporal_spans=True)`` and runs ``V2Parent`` (``otel_v2_workflows.py``)
on its own worker with no workflow cache (every task replays the run from the start): under a
span, start, query, update, signal, wait. Prints ``RESULT <json>`` and ``SPANS <json>``: each
span as name, parent's name (``null`` for a root, ``"?"`` for one not recorded) and kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import OpenTelemetryPlugin, create_tracer_provider
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workflow_worker import load_shared

WORKFLOWS = Path(__file__).resolve().parent.parent / "otel_v2_workflows.py"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--id", required=True)
    args = parser.parse_args()
    shared = load_shared("official", WORKFLOWS)
    exporter = InMemorySpanExporter()
    provider = create_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    client = await Client.connect(
        args.target, plugins=[OpenTelemetryPlugin(add_temporal_spans=True)]
    )
    async with Worker(
        client,
        task_queue=args.queue,
        workflows=shared.WORKFLOWS,
        activities=shared.ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=0,
    ):
        with trace.get_tracer("official-test").start_as_current_span("test"):
            handle = await client.start_workflow("V2Parent", id=args.id, task_queue=args.queue)
            state = await handle.query("state")
            noted = await handle.execute_update("note", "x")
            await handle.signal("proceed")
            result = await asyncio.wait_for(handle.result(), 60)
    print("RESULT " + json.dumps({"state": state, "noted": noted, "result": result}), flush=True)
    spans = exporter.get_finished_spans()
    names = {span.context.span_id: span.name for span in spans if span.context is not None}
    tree = [
        [
            span.name,
            None if span.parent is None else names.get(span.parent.span_id, "?"),
            span.kind.name,
        ]
        for span in spans
    ]
    print("SPANS " + json.dumps(tree), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    # The official SDK's core threads can abort the interpreter's finalization; all is printed.
    os._exit(0)
