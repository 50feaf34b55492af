"""The official ``temporalio`` worker of ``tracing_cost.py``, run in a process of its own.

The same workload as the tempyral side (``worker_cpu_workflows.py`` renamed to import
``temporalio``), with the official SDK's own telemetry: ``off`` is its default runtime (no
metrics) and no interceptor; ``on`` is a ``temporalio.runtime.Runtime`` whose telemetry serves
Prometheus metrics on ``port`` (when > 0) and
``temporalio.contrib.opentelemetry.TracingInterceptor`` with a tracer of a provider like the
tempyral side's (spans batched and counted, never sent).
``--unsandboxed`` runs the workflows without the official sandbox (its default is the sandbox).
Started by ``tracing_cost.py`` as ``tracing_cost_official.py --serve TARGET QUEUE MODE PORT``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracing_cost import serve_workload, tracing
from worker_cpu import load_workflows


async def serve(target: str, task_queue: str, mode: str, port: int) -> None:
    """An official worker untraced (``off``) or traced (``on``), with metrics on ``port`` > 0.
    Answers ``cpu`` lines with ``CPU <seconds> <spans exported>``; stops at EOF."""
    from temporalio.client import Client
    from temporalio.contrib.opentelemetry import TracingInterceptor
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    options: dict[str, Any] = {}
    if port:
        metrics = PrometheusConfig(bind_address=f"127.0.0.1:{port}")
        options["runtime"] = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    client = await Client.connect(target, **options)
    runner = {"workflow_runner": UnsandboxedWorkflowRunner()} if "--unsandboxed" in sys.argv else {}
    traced = tracing(mode, TracingInterceptor)
    module = load_workflows("official")
    await serve_workload(Worker, client, task_queue, module, traced, **runner)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
