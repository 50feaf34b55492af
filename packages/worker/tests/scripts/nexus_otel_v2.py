"""A tempyral caller traced by ``OpenTelemetryPlugin`` (v2) calls a Nexus operation (a process of
its own: v2 tracing needs the global tracer provider, which a process sets once).

    python nexus_otel_v2.py HOST:PORT

Runs the Nexus golden set's ``SyncResult`` and ``SignalWithStart`` on a tempyral worker against
the official handler already serving the endpoint, then prints ``RESULT`` with the span names and
the Nexus headers of the operations the first run scheduled.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import uuid
from pathlib import Path

import opentelemetry.trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client
from tempyral.contrib.opentelemetry import OpenTelemetryPlugin, create_tracer_provider
from tempyral.worker import Worker

GOLDEN = Path(__file__).parents[3] / "replay" / "tests" / "golden" / "nexus"


async def main(target: str) -> None:
    spec = importlib.util.spec_from_file_location("nexus_v2_workflows", GOLDEN / "workflows.py")
    assert spec is not None
    assert spec.loader is not None
    wf = importlib.util.module_from_spec(spec)
    sys.modules["nexus_v2_workflows"] = wf
    spec.loader.exec_module(wf)
    exporter = InMemorySpanExporter()
    provider = create_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    opentelemetry.trace.set_tracer_provider(provider)
    client = await Client.connect(target, plugins=[OpenTelemetryPlugin(add_temporal_spans=True)])
    queue = f"nexus-v2-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=wf.WORKFLOWS):
        with opentelemetry.trace.get_tracer("tempyral-test").start_as_current_span("test"):
            sync = await client.start_workflow(
                wf.SyncResult.run, "golden", id=f"v2-{uuid.uuid4()}", task_queue=queue
            )
            mailbox = await client.start_workflow(
                wf.SignalWithStart.run,
                f"v2-mailbox-{uuid.uuid4()}",
                id=f"v2-{uuid.uuid4()}",
                task_queue=queue,
            )
        for handle in (sync, mailbox):
            await asyncio.wait_for(handle.result(), 60)
    headers = [
        dict(e.nexus_operation_scheduled_event_attributes.nexus_header)
        for e in (await sync.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
    ]
    names = sorted(span.name for span in exporter.get_finished_spans())
    print("RESULT " + json.dumps({"spans": names, "headers": headers}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
