"""Where a traced, metered worker's telemetry CPU goes, per workflow and by call site (tempyral).

The worker of ``tracing_cost.py`` in its ``on`` mode (a Prometheus endpoint scraped once per
batch, ``TracingInterceptor`` spans batched to a counting exporter) runs the workload of
``worker_cpu.py`` in a process of its own. Before it starts, that process wraps the metric and
tracing calls listed in ``SITES`` with a timer of the calling thread's CPU
(``time.thread_time_ns``: workflow code runs on workflow threads), so that this script, and only
it, can say how many calls each site makes per workflow and how many microseconds of thread CPU
they take. A call inside another timed call counts in both sites, but once in its group's total
(``metrics`` or ``tracing``): the totals are what the worker would save without them. Run from
the repository root, under the benchmark lock::

    flock /tmp/bench.lock hatch run python tools/bench/telemetry_breakdown.py [--workflows 200] \
        [--runs 3]

It prints one JSON object: per run and as the median of the runs, microseconds and calls per
workflow for each site and group. The timers add their own cost (two ``thread_time_ns`` calls
and a wrapper per call, about 1 us), so compare runs of this script with each other (before and
after a change), not with ``tracing_cost.py``'s process CPU.

Measured on a shared 2-core machine under load (load average 2.3 to 5.5), 200 workflows, two
pairs of 3 runs alternating, medians, microseconds per workflow, the code before the slot gauges
were read at scrape time and records went through bound recorders -> after: all metric calls
1231 -> 1103 and 1170 -> 889 (53 outermost calls), of which the slot gauges
(``SlotPool._changed``) 144 -> 39 and 137 -> 34, ``WorkerMetrics.duration`` 295 -> 260 and 279
-> 215, ``RpcMetrics.succeeded`` 370 -> 355 and 338 -> 271 (11 calls); tracing, whose code did
not change, 1896 -> 1916 and 1822 -> 1568 (the second pair ran under less load: read the metric
cut against it), of which the OpenTelemetry SDK's ``Tracer.start_span`` 680 to 860 and
``Span.end`` ~200 (8 spans), ``CompositePropagator.extract`` ~200 (4) and ``inject`` ~80 (3).
Inside a busy worker a call costs 3 to 10 times what a ``timeit`` loop of it shows (a span's
start and end: ~134 us against ~44 us; ``RpcMetrics.succeeded``: ~32 us against ~2.5 us).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tracing_cost
from telemetry_cost import free_port, scrape
from worker_cpu import WorkerProcess, run_batch

# (group, module, attribute path): the calls timed; a site missing from the code measured (an
# older commit) is left out of the results.
SITES: list[tuple[str, str, str]] = [
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.count"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.duration"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.gauge"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.poll_returned"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.workflow_task_ran"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.workflow_finished"),
    ("metrics", "tempyral.worker._metrics", "WorkerMetrics.activity_attempt"),
    ("metrics", "tempyral.worker._slots", "SlotPool._changed"),  # the slot gauges, when pushed
    ("metrics", "tempyral.service._metrics", "RpcMetrics.succeeded"),
    ("metrics", "tempyral.service._metrics", "RpcMetrics.failed"),
    ("metrics", "tempyral.runtime._prometheus", "PrometheusSink.render"),  # the scrape
    ("tracing", "opentelemetry.sdk.trace", "Tracer.start_span"),
    ("tracing", "opentelemetry.sdk.trace", "Span.end"),
    ("tracing", "opentelemetry.sdk.trace.export", "BatchSpanProcessor.on_end"),
    ("tracing", "opentelemetry.propagators.composite", "CompositePropagator.inject"),
    ("tracing", "opentelemetry.propagators.composite", "CompositePropagator.extract"),
    ("tracing", "tempyral.contrib.opentelemetry._spans", "live_span"),
    ("tracing", "tempyral.contrib.opentelemetry._spans", "end_completed_span"),
    ("tracing", "tempyral.contrib.opentelemetry._propagation", "carrier_from_headers"),
    ("tracing", "tempyral.contrib.opentelemetry._propagation", "carrier_to_headers"),
    ("tracing", "tempyral.contrib.opentelemetry._propagation", "current_carrier"),
    (
        "tracing",
        "tempyral.contrib.opentelemetry._workflow_interceptor",
        "TracingWorkflowInboundInterceptor._completed_span",
    ),
]


class Timers:
    """Thread CPU and calls per site and per group; a group counts only its outermost calls."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.nanos: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.depth = threading.local()

    def add(self, key: str, nanos: int) -> None:
        with self.lock:
            self.nanos[key] = self.nanos.get(key, 0) + nanos
            self.calls[key] = self.calls.get(key, 0) + 1

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self.lock:
            return {key: (self.nanos[key], self.calls[key]) for key in self.nanos}

    def timed(self, group: str, site: str, function: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.thread_time_ns

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self.depth, group, 0)
            setattr(self.depth, group, depth + 1)
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent = clock() - started
                setattr(self.depth, group, depth)
                self.add(site, spent)
                if depth == 0:
                    self.add(group, spent)

        return wrapper


def install(timers: Timers) -> list[str]:
    """Wrap every site found: the attribute on its class or module, and any module-level name
    another loaded module imported it under. Returns the sites wrapped."""
    installed: list[str] = []
    for group, module_name, path in SITES:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            continue
        site = f"{module_name.rsplit('.', 1)[-1]}:{path}"
        wrapped = timers.timed(group, site, original)
        setattr(owner, name, wrapped)
        if not parents:  # a function: also where it was imported by name
            for module in list(sys.modules.values()):
                if module is not None and getattr(module, name, None) is original:
                    setattr(module, name, wrapped)
        installed.append(site)
    return installed


def serve(target: str, task_queue: str, port: int, out: str) -> None:
    """``tracing_cost.py``'s traced worker with the timers in; each ``cpu`` line also snapshots
    them, and all snapshots go to ``out`` when the worker stops."""
    # Loaded before the wrapping, so that the names they import are found and wrapped too.
    for module in ("tempyral.worker", "tempyral.contrib.opentelemetry", "tempyral.runtime"):
        importlib.import_module(module)
    for _, module_name, _ in SITES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module_name)
    timers = Timers()
    installed = install(timers)
    snapshots: list[dict[str, tuple[int, int]]] = []
    cpu_seconds = tracing_cost.cpu_seconds

    def cpu_and_snapshot() -> float:
        snapshots.append(timers.snapshot())
        return cpu_seconds()

    tracing_cost.cpu_seconds = cpu_and_snapshot
    asyncio.run(tracing_cost.serve(target, task_queue, "on", port))
    Path(out).write_text(json.dumps({"installed": installed, "snapshots": snapshots}))


async def measure(client: Any, target: str, count: int) -> dict[str, dict[str, float]]:
    """One run: per site, microseconds and calls per workflow over a batch (after a warm-up)."""
    port = free_port()
    out = Path(tempfile.mkdtemp(prefix="telemetry-breakdown-")) / "timers.json"
    task_queue = f"breakdown-{uuid.uuid4()}"
    worker = await asyncio.to_thread(
        WorkerProcess, target, task_queue, str(port), str(out), script=__file__
    )
    try:
        await run_batch(client, task_queue, 20)  # warm-up, not counted
        await asyncio.to_thread(worker.cpu)
        await run_batch(client, task_queue, count)
        await asyncio.to_thread(scrape, port)  # a scrape per batch, as tracing_cost.py
        await asyncio.to_thread(worker.cpu)
    finally:
        await asyncio.to_thread(worker.stop)
    found = json.loads(out.read_text())
    before, after = found["snapshots"][0], found["snapshots"][1]
    result: dict[str, dict[str, float]] = {}
    for key, (nanos, calls) in after.items():
        nanos_before, calls_before = before.get(key, (0, 0))
        result[key] = {
            "us_per_workflow": round((nanos - nanos_before) / 1000 / count, 1),
            "calls_per_workflow": round((calls - calls_before) / count, 2),
        }
    return dict(sorted(result.items()))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tempyral.client import Client
    from tempyral.contrib.opentelemetry import TracingInterceptor
    from tempyral.testing import DevServer

    provider, _ = tracing_cost.tracer_and_counter()
    runs: list[dict[str, dict[str, float]]] = []
    async with DevServer() as server:
        # Workflow spans need a traced starter, as in tracing_cost.py.
        client = await Client.connect(
            server.target, interceptors=[TracingInterceptor(provider.get_tracer("bench"))]
        )
        for _ in range(args.runs):
            runs.append(await measure(client, server.target, args.workflows))
    keys = sorted({key for run in runs for key in run})
    median = {
        key: {
            field: statistics.median(run.get(key, {}).get(field, 0.0) for run in runs)
            for field in ("us_per_workflow", "calls_per_workflow")
        }
        for key in keys
    }
    print(json.dumps({"workflows": args.workflows, "median": median, "runs": runs}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        asyncio.run(main())
