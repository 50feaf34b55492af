"""Worker CPU with metrics on against off, as a ratio (tempyral only).

The workload of ``worker_cpu.py`` (a workflow running three activities one after another) runs on
a tempyral worker process twice per round: once with no metrics (the runtime's no-op meter) and
once with a Prometheus endpoint (``tempyral.runtime.PrometheusConfig``) recording the official
worker and RPC metrics plus a scrape per batch. This process is the client and measures the
worker process's CPU (user + system) around each batch, after a warm-up batch. Run from the
repository root::

    hatch run python tools/bench/telemetry_cost.py [--workflows 200] [--rounds 2]

It prints one JSON object: CPU seconds per mode (best of the rounds; modes alternate) and the
on/off ratio. Tracing's cost, and that of metrics and tracing together (issue #15's figure), are
measured by ``tracing_cost.py``.

Measured on a shared 2-core machine while a test suite ran (100 workflows, 2 rounds): off 1.278
and 1.207 CPU s, metrics 1.375 and 1.171 CPU s; best-of ratio 0.97, per-round ratios 1.08 and
0.97: the cost of metrics is within the machine's noise (goal: at most 1.10).

Timed from inside (thread CPU in the metric calls of a worker under ``tracing_cost.py``, 200
workflows, median of 3 runs), a workflow of three activities makes about 86 records (RPC
counters and latencies, task latencies, slot gauges), ~0.8 ms of worker CPU per workflow before
the Prometheus sink kept each attribute set's labels and the RPC and slot metrics their label
sets, ~0.7 ms after: every record 538 -> 431 us per workflow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worker_cpu import WorkerProcess, answer_until_eof, cpu_seconds, load_workflows, run_batch


async def serve(target: str, task_queue: str, port: int) -> None:
    """A tempyral worker; ``port`` > 0 turns metrics on. Answers ``cpu`` lines; stops at EOF."""
    from tempyral.client import Client
    from tempyral.runtime import PrometheusConfig, Runtime, TelemetryConfig
    from tempyral.worker import Worker

    module = load_workflows("tempyral")
    metrics = PrometheusConfig(bind_address=f"127.0.0.1:{port}") if port else None
    runtime = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    client = await Client.connect(target, runtime=runtime)
    worker = Worker(
        client, task_queue=task_queue, workflows=[module.ThreeSteps], activities=[module.step]
    )
    await answer_until_eof(worker, lambda: f"CPU {cpu_seconds()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def scrape(port: int) -> bytes:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a fixed http URL
        body: bytes = response.read()
        return body


async def measure(client: Any, target: str, metrics: bool, count: int) -> float:
    port = free_port() if metrics else 0
    task_queue = f"telemetry-{uuid.uuid4()}"
    worker = await asyncio.to_thread(WorkerProcess, target, task_queue, str(port), script=__file__)
    try:
        await run_batch(client, task_queue, 20)  # warm-up, not counted
        before = await asyncio.to_thread(worker.cpu)
        await run_batch(client, task_queue, count)
        if metrics:  # a scrape is part of the cost
            await asyncio.to_thread(scrape, port)
        after = await asyncio.to_thread(worker.cpu)
    finally:
        await asyncio.to_thread(worker.stop)
    return round(after - before, 3)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from tempyral.client import Client
    from tempyral.testing import DevServer

    runs: dict[str, list[float]] = {"off": [], "metrics": []}
    started = time.perf_counter()
    async with DevServer() as server:
        client = await Client.connect(server.target)
        for _ in range(args.rounds):
            for mode in ("off", "metrics"):
                cpu = await measure(client, server.target, mode == "metrics", args.workflows)
                runs[mode].append(cpu)
    best = {mode: min(found) for mode, found in runs.items()}
    print(
        json.dumps(
            {
                "workflows": args.workflows,
                "rounds": runs,
                "best_cpu_seconds": best,
                "cpu_ratio_metrics_to_off": round(best["metrics"] / best["off"], 3),
                "wall_seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        asyncio.run(main())
