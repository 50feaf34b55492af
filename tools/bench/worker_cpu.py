"""CPU a worker process spends running workflows, tempyral next to the official SDK, as a ratio.

The same workflow source (``worker_cpu_workflows.py``: a workflow running three activities one
after another) runs on a tempyral worker and on an official ``temporalio`` worker, each in a
process of its own, on the same dev server, in the same run. This process is the client: it
starts the workflows on one worker's task queue, waits for every result, and asks the worker
process for its CPU time (user + system, ``resource.getrusage``) before and after. A warm-up
batch runs first on each worker and is not counted. Run from the repository root::

    hatch run python tools/bench/worker_cpu.py [--workflows 200] [--rounds 2] [--target HOST:PORT]

It prints one JSON object: CPU seconds and wall seconds per SDK (the best of the rounds; rounds
alternate between the SDKs) and the tempyral/official CPU ratio. ``--unsandboxed`` runs the
official worker without its sandbox (its fastest configuration; the sandbox is its default).

Measured on a shared 2-core machine (200 workflows, best of 2 rounds, temporalio 1.35.0):

- official worker with its default sandbox: tempyral 4.1 CPU s, official 7.0 CPU s: ratio 0.58
  (about 21 ms against 35 ms of worker CPU per workflow);
- official worker unsandboxed: tempyral 3.6 CPU s, official 4.5 CPU s: ratio 0.80.

Most of tempyral's worker CPU is gRPC calls and asyncio scheduling, not the engine. Numbers move
with the machine's load; the ratio is the point.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKFLOWS = HERE / "worker_cpu_workflows.py"


# -- the worker process ------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_workflows(sdk: str) -> Any:
    """The workload module; for the official SDK, the same source with ``tempyral`` imports
    renamed ``temporalio`` (a migration), importable by name so that its sandbox can re-import it.
    """
    if sdk == "official":
        folder = Path(tempfile.mkdtemp(prefix="worker-cpu-"))
        source = WORKFLOWS.read_text().replace("from tempyral import", "from temporalio import")
        (folder / "worker_cpu_workflows_official.py").write_text(source)
        sys.path.insert(0, str(folder))
        return importlib.import_module("worker_cpu_workflows_official")
    spec = importlib.util.spec_from_file_location("worker_cpu_workflows", WORKFLOWS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["worker_cpu_workflows"] = module
    spec.loader.exec_module(module)
    return module


async def serve(sdk: str, target: str, task_queue: str) -> None:
    """Run a worker; answer ``cpu`` lines on stdin with ``CPU <seconds>``; stop at EOF."""
    module = load_workflows(sdk)
    options: dict[str, Any] = {
        "task_queue": task_queue,
        "workflows": [module.ThreeSteps],
        "activities": [module.step],
    }
    worker: Any
    if sdk == "official":
        from temporalio.client import Client
        from temporalio.worker import UnsandboxedWorkflowRunner, Worker

        client: Any = await Client.connect(target)
        # The official default is the sandbox; without it is the official SDK at its fastest.
        runner = UnsandboxedWorkflowRunner() if "--unsandboxed" in sys.argv else None
        worker = Worker(client, **options, **({"workflow_runner": runner} if runner else {}))
    else:
        from tempyral.client import Client as TempyralClient
        from tempyral.worker import Worker as TempyralWorker

        client = await TempyralClient.connect(target)
        worker = TempyralWorker(client, **options)
    await answer_until_eof(worker, lambda: f"CPU {cpu_seconds()}")


async def answer_until_eof(worker: Any, answer: Callable[[], str]) -> None:
    """Run ``worker``: print READY once it runs, then ``answer()`` for each line read on stdin;
    stop at EOF (the protocol :py:class:`WorkerProcess` speaks, shared by the benches)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
    async with worker:
        print("READY", flush=True)
        while (await lines.get()).strip():
            print(answer(), flush=True)


# -- the client (this process) ------------------------------------------------------------------


class WorkerProcess:
    """A benchmark script run with ``--serve ARGS`` in a process of its own: it prints READY once
    its worker runs and ``CPU <seconds>`` for each line read; closing its stdin stops it."""

    def __init__(self, *args: str, script: str = __file__) -> None:
        self.process = subprocess.Popen(
            [sys.executable, script, "--serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.expect("READY")

    def expect(self, prefix: str) -> str:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"worker process ended before printing {prefix}")
            if line.startswith(prefix):
                return line

    def cpu(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("cpu\n")
        self.process.stdin.flush()
        return float(self.expect("CPU ").split()[1])

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()


async def run_batch(client: Any, task_queue: str, count: int) -> None:
    from tempyral.client import Client

    assert isinstance(client, Client)
    handles = [
        await client.start_workflow(
            "ThreeSteps", f"w{index}", id=f"bench-{uuid.uuid4()}", task_queue=task_queue
        )
        for index in range(count)
    ]
    results = await asyncio.gather(*(handle.result() for handle in handles))
    assert all(result == [f"w{i}:0", f"w{i}:1", f"w{i}:2"] for i, result in enumerate(results))


async def measure(
    client: Any, target: str, sdk: str, count: int, extra: list[str]
) -> dict[str, float]:
    task_queue = f"bench-{sdk}-{uuid.uuid4()}"
    worker = await asyncio.to_thread(WorkerProcess, sdk, target, task_queue, *extra)
    try:
        await run_batch(client, task_queue, 20)  # warm-up, not counted
        before = await asyncio.to_thread(worker.cpu)
        started = time.perf_counter()
        await run_batch(client, task_queue, count)
        wall = time.perf_counter() - started
        after = await asyncio.to_thread(worker.cpu)
    finally:
        await asyncio.to_thread(worker.stop)
    return {"cpu_seconds": round(after - before, 3), "wall_seconds": round(wall, 3)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--target", help="an existing server (default: start a dev server)")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run the official worker without its sandbox (its fastest configuration)",
    )
    args = parser.parse_args()

    from tempyral.client import Client

    server = None
    target = args.target
    if target is None:
        from tempyral.testing import DevServer

        server = DevServer()
        await server.start_async()
        target = server.target
    try:
        client = await Client.connect(target)
        extra = ["--unsandboxed"] if args.unsandboxed else []
        runs: dict[str, list[dict[str, float]]] = {"tempyral": [], "official": []}
        for _ in range(args.rounds):
            for sdk in ("tempyral", "official"):
                runs[sdk].append(await measure(client, target, sdk, args.workflows, extra))
    finally:
        if server is not None:
            server.stop()
    best = {sdk: min(found, key=lambda r: r["cpu_seconds"]) for sdk, found in runs.items()}
    report = {
        "workflows": args.workflows,
        "activities_per_workflow": 3,
        "official_sandbox": not args.unsandboxed,
        "rounds": runs,
        "best": best,
        "cpu_ratio_tempyral_to_official": round(
            best["tempyral"]["cpu_seconds"] / best["official"]["cpu_seconds"], 3
        ),
        "cpu_ms_per_workflow": {
            sdk: round(1000 * r["cpu_seconds"] / args.workflows, 2) for sdk, r in best.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        asyncio.run(main())
