"""The load suite: throughput at saturation, CPU, RPCs and latency per workflow, side by side.

Each scenario of ``load_workflows.py`` (``no_activity``, ``one_activity``, ``mix``) runs on each
worker kind, each in a process of its own and on a fresh dev server (see
``run_on_fresh_server``), kinds alternating round by round:

- ``tempyral``: a tempyral worker;
- ``official``: a ``temporalio`` worker without its sandbox (the official SDK at its fastest);
- ``official_sandboxed``: a ``temporalio`` worker as it comes (sandboxed);
- ``floor``: ``load_floor.py``, a raw gRPC poll/respond loop with no SDK logic (the first two
  scenarios only), for reference.

Per run: ``--workflows`` workflows are started before the worker (a backlog), then the worker
starts; from its READY line until the last workflow is seen completed is the saturation window.
Measured in it: workflows per second, the worker process's CPU, the dev server's CPU (from
``/proc``) and the worker's RPCs by method (scraped from its Prometheus endpoint: the official
``temporal_request`` / ``temporal_long_request`` counters, which both SDKs emit). Then, with the
worker idle, ``--latency`` workflows run one after another for p50/p99 end-to-end latency. Run
from the repository root::

    hatch run python tools/bench/load.py [--workflows 500] [--rounds 3] [--json out.json]

It prints (and with ``--json`` writes) one JSON object: every run, the medians per kind and
scenario, and tempyral's ratios to each other kind. ``tools/bench/report.py`` turns it into the
docs' performance page.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKLOAD = HERE / "load_workflows.py"
KINDS = ("tempyral", "official", "official_sandboxed", "floor")
SCENARIOS = ("no_activity", "one_activity", "mix")
WORKFLOW_TYPES = {"no_activity": "NoActivity", "one_activity": "OneActivity", "mix": "Mix"}
WARM_UP = 20  # workflows a worker runs before it is measured


# -- the worker process ------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_workload(sdk: str, source: Path = WORKLOAD, module: str = "load_workload") -> Any:
    """A workload file as an importable module (the official sandbox re-imports it by name);
    for the official SDK, the same source with the imports renamed ``temporalio``."""
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    text = source.read_text()
    if sdk == "official":
        text = text.replace("from tempyral import", "from temporalio import")
    (folder / f"{module}.py").write_text(text)
    sys.path.insert(0, str(folder))
    return importlib.import_module(module)


async def make_workers(kind: str, target: str, task_queue: str, scenario: str, port: int) -> Any:
    """The measured worker, after a warm-up worker of the same kind and client has run a few
    workflows of the scenario on a task queue of its own (imports, caches and connections warm,
    as in a worker that has been up a while)."""
    root = "tempyral" if kind == "tempyral" else "temporalio"
    module = load_workload("tempyral" if kind == "tempyral" else "official")
    client_module = importlib.import_module(f"{root}.client")
    runtime = importlib.import_module(f"{root}.runtime")
    worker_module = importlib.import_module(f"{root}.worker")
    telemetry = runtime.TelemetryConfig(
        metrics=runtime.PrometheusConfig(bind_address=f"127.0.0.1:{port}")
    )
    client = await client_module.Client.connect(
        target, runtime=runtime.Runtime(telemetry=telemetry)
    )
    options: dict[str, Any] = {"workflows": module.WORKFLOWS, "activities": module.ACTIVITIES}
    if kind == "official":
        options["workflow_runner"] = worker_module.UnsandboxedWorkflowRunner()
    warm_queue = f"{task_queue}-warm-up"
    async with worker_module.Worker(client, task_queue=warm_queue, **options):
        await asyncio.gather(
            *(
                client.execute_workflow(
                    WORKFLOW_TYPES[scenario], f"w{i}", id=f"{warm_queue}-{i}", task_queue=warm_queue
                )
                for i in range(WARM_UP)
            )
        )
    return worker_module.Worker(client, task_queue=task_queue, **options)


async def serve(kind: str, target: str, task_queue: str, scenario: str, port: int) -> None:
    """Run a worker; answer each line on stdin with ``STATS <json>``; stop at EOF."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
    floor: Any = None
    if kind == "floor":
        sys.path.insert(0, str(HERE))
        from load_floor import Floor

        floor = Floor(target, task_queue, scenario)
        running = asyncio.create_task(floor.run())
        context: Any = None
    else:
        context = await make_workers(kind, target, task_queue, scenario, port)
        await context.__aenter__()
    print("READY", flush=True)
    try:
        while (await lines.get()).strip():
            stats = {
                "cpu": cpu_seconds(),
                "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rpcs": dict(floor.rpcs) if floor is not None else None,
            }
            print(f"STATS {json.dumps(stats)}", flush=True)
    finally:
        if floor is not None:
            running.cancel()
        else:
            await context.__aexit__(None, None, None)


# -- the driver (this process) ------------------------------------------------------------------


class WorkerProcess:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.expect("READY")

    def expect(self, prefix: str) -> str:
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            if line.startswith(prefix):
                return line
        raise RuntimeError(f"worker process ended before printing {prefix}")

    def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.expect("STATS ").split(" ", 1)[1]))

    def stop(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_SAMPLE = re.compile(r"^(temporal_(?:long_)?request(?:_total)?)\{(.*)\} (\S+)$", re.MULTILINE)


def scrape_rpcs(port: int) -> dict[str, int]:
    """RPCs by method from the official request counters on a worker's Prometheus endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    counts: dict[str, int] = {}
    for _, labels, value in _SAMPLE.findall(text):
        operation = re.search(r'operation="([^"]+)"', labels)
        if operation is not None:
            name = operation.group(1)
            counts[name] = counts.get(name, 0) + int(float(value))
    return counts


async def wait_completed(client: Any, scenario: str, task_queue: str, count: int) -> None:
    query = (
        f"WorkflowType = '{WORKFLOW_TYPES[scenario]}' AND TaskQueue = '{task_queue}' "
        "AND ExecutionStatus = 'Completed'"
    )
    deadline = time.monotonic() + 600
    while (await client.count_workflows(query)).count < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} {scenario} workflows did not complete in 10 minutes")
        await asyncio.sleep(0.1)


async def run_once(
    client: Any, target: str, server_pid: int, kind: str, scenario: str, args: Any
) -> dict[str, Any]:
    task_queue = f"load-{kind}-{uuid.uuid4()}"
    workflow_type = WORKFLOW_TYPES[scenario]
    await asyncio.gather(
        *(
            client.start_workflow(
                workflow_type, f"n{i}", id=f"{task_queue}-{i}", task_queue=task_queue
            )
            for i in range(args.workflows)
        )
    )
    port = free_port()
    worker = await asyncio.to_thread(WorkerProcess, kind, target, task_queue, scenario, str(port))
    try:
        # The window opens at READY: the worker's start-up and warm-up (which only the SDK
        # kinds have) are not the saturated run, on the worker's side or the server's.
        started = time.perf_counter()
        server_before = process_cpu(server_pid)
        before = await asyncio.to_thread(worker.stats)
        rpcs_before = {} if kind == "floor" else scrape_rpcs(port)
        await wait_completed(client, scenario, task_queue, args.workflows)
        wall = time.perf_counter() - started
        after = await asyncio.to_thread(worker.stats)
        server_cpu = process_cpu(server_pid) - server_before
        rpcs = after["rpcs"] if kind == "floor" else scrape_rpcs(port)
        rpcs = {name: n - rpcs_before.get(name, 0) for name, n in rpcs.items()}
        rpcs = {name: n for name, n in rpcs.items() if n}
        latencies = []
        for i in range(args.latency):
            begun = time.perf_counter()
            await client.execute_workflow(
                workflow_type, f"l{i}", id=f"{task_queue}-latency-{i}", task_queue=task_queue
            )
            latencies.append(time.perf_counter() - begun)
    finally:
        await asyncio.to_thread(worker.stop)
    per = 1000 / args.workflows
    latencies.sort()
    return {
        "workflows_per_second": round(args.workflows / wall, 2),
        "worker_cpu_ms_per_workflow": round((after["cpu"] - before["cpu"]) * per, 3),
        "server_cpu_ms_per_workflow": round(server_cpu * per, 3),
        "rpcs_per_workflow": round(sum(rpcs.values()) / args.workflows, 3),
        "rpcs_by_method": {name: round(n / args.workflows, 3) for name, n in sorted(rpcs.items())},
        "latency_p50_ms": round(1000 * percentile(latencies, 0.5), 1),
        "latency_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "worker_max_rss_mib": round(after["max_rss_kib"] / 1024, 1),
    }


async def run_on_fresh_server(kind: str, scenario: str, args: Any) -> dict[str, Any]:
    """One run on a dev server of its own. On a shared server each run costs the server more
    than the one before (its in-memory store and visibility grow with every workflow: over
    three rounds of eight runs the same floor went from 143 to 80 workflows/s and from 9 to
    17 ms of server CPU per workflow), which made kinds that ran later look slower."""
    from tempyral.client import Client
    from tempyral.testing import DevServer

    server = DevServer()
    await server.start_async()
    try:
        assert server.pid is not None
        client = await Client.connect(server.target)
        return await run_once(client, server.target, server.pid, kind, scenario, args)
    finally:
        server.stop()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    summary: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    methods = sorted({m for r in runs for m in r["rpcs_by_method"]})
    summary["rpcs_by_method"] = {
        m: round(statistics.median(r["rpcs_by_method"].get(m, 0) for r in runs), 3) for m in methods
    }
    return summary


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """tempyral's figures over each other kind's, per measure."""
    ours = summary["tempyral"]
    found: dict[str, dict[str, float]] = {}
    for kind, theirs in summary.items():
        if kind == "tempyral":
            continue
        found[kind] = {
            key: round(ours[key] / theirs[key], 3)
            for key, value in theirs.items()
            if isinstance(value, (int, float)) and value
        }
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=int, default=30, help="sequential workflows for p50/p99")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    kinds = args.kinds.split(",")

    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {s: {} for s in scenarios}
    for round_index in range(args.rounds):
        for scenario in scenarios:
            # Alternate which kind goes first (the machine's state drifts within a round too).
            order = kinds[round_index % len(kinds) :] + kinds[: round_index % len(kinds)]
            for kind in order:
                if kind == "floor" and scenario == "mix":
                    continue
                result = await run_on_fresh_server(kind, scenario, args)
                runs[scenario].setdefault(kind, []).append(result)
                print(f"round {round_index + 1} {scenario} {kind}: {result}", file=sys.stderr)
    summary = {s: {k: medians(r) for k, r in by_kind.items()} for s, by_kind in runs.items()}
    report = {
        "measured_at": started_at,
        "workflows": args.workflows,
        "rounds": args.rounds,
        "latency_samples": args.latency,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "median": summary,
        "tempyral_ratio": {s: ratios(by_kind) for s, by_kind in summary.items()},
        "runs": runs,
    }
    text = json.dumps(report, indent=2)
    if args.json is not None:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "--serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])))
    else:
        asyncio.run(main())
