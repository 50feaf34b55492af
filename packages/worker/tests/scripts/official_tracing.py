"""An official client and worker, traced by the official ``TracingInterceptor``, in one process.

    python official_tracing.py --target HOST:PORT --workflow-queue Q --official-queue R --id ID

Starts ``TracedParent`` (``tracing_workflows.py``) on ``Q`` (a tempyral worker, in the test's
process) under a span of its own, queries and signals it, and waits for its result; its official
worker on ``R`` runs the parent's child. Prints ``RESULT <json>`` and then ``SPANS <json>``: every
span this process recorded (name, ids in hex, parent id, kind), for the test to join with the
tempyral worker's spans into one trace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workflow_worker import load_shared

WORKFLOWS = Path(__file__).resolve().parent.parent / "tracing_workflows.py"


def as_json(span: ReadableSpan) -> dict[str, Any]:
    assert span.context is not None
    return {
        "name": span.name,
        "trace_id": f"{span.context.trace_id:032x}",
        "span_id": f"{span.context.span_id:016x}",
        "parent_id": None if span.parent is None else f"{span.parent.span_id:016x}",
        "kind": span.kind.name,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--workflow-queue", required=True)
    parser.add_argument("--official-queue", required=True)
    parser.add_argument("--id", required=True)
    args = parser.parse_args()
    shared = load_shared("official", WORKFLOWS)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("official-tracing")
    client = await Client.connect(args.target, interceptors=[TracingInterceptor(tracer)])
    async with Worker(
        client,
        task_queue=args.official_queue,
        workflows=shared.WORKFLOWS,
        activities=shared.ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        with tracer.start_as_current_span("official-client"):
            handle = await client.start_workflow(
                "TracedParent",
                args=[args.workflow_queue, args.official_queue],
                id=args.id,
                task_queue=args.workflow_queue,
            )
            state = await handle.query("state")
            await handle.signal("proceed")
            result = await asyncio.wait_for(handle.result(), 60)
    print("RESULT " + json.dumps({"state": state, "result": result}), flush=True)
    spans = [as_json(span) for span in exporter.get_finished_spans()]
    print("SPANS " + json.dumps(spans), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    # The official SDK's core threads can abort the interpreter's finalization ("PyGILState_Release:
    # thread state must be current"); everything is printed by now, so skip it.
    os._exit(0)
