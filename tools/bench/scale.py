"""How replay and the workflow cache scale, tempyral next to the official SDK, as ratios.

Two measurements, each SDK running the same workflow source (``scale_workflows.py``):

- **Replay by history length**: ``Timers`` histories of about ``--sizes`` events are recorded
  once on a dev server (by a tempyral worker; the histories are the server's, either SDK's
  worker would record the same events), then replayed by tempyral's ``Replayer`` (determinism
  guard on, its default) and by the official ``Replayer`` with its sandbox (its default) and
  without, best of ``--rounds``. Events per second per size show whether replay stays linear in
  the history's length.
- **Memory per cached workflow**: a worker of each kind (tempyral, official unsandboxed,
  official sandboxed), each in a process of its own, warms up, then keeps ``--parked``
  ``Parked`` workflows cached while they wait for a signal; the process's resident memory
  (``VmRSS``, after a garbage collection) grows by that much per workflow.

The official SDK always runs in child processes, never beside tempyral's modules. Run from the
repository root::

    hatch run python tools/bench/scale.py [--sizes 1000,10000,48000] [--parked 500] [--json out]

It prints (and with ``--json`` writes) one JSON object. The server stops histories at 51,200
events by default, hence 48,000 at most.

Measured 2026-12-06 (x86_64, 2 CPUs, Python 3.11.7, load average 4.7 to 6.6 from other
processes), A/B of the memory part against the commit before the per-run memory cuts
(``--sizes 1000 --rounds 1``, alternating, 3 runs each): tempyral 22.7, 22.6, 22.5 -> 14.4,
15.4, 15.4 KiB per cached workflow (median 22.6 -> 15.4; official sandboxed 55.9 to 62.6,
unsandboxed 35.4 to 38.5 in the same runs). The committed ``results/scale.json`` is the full
run after: 15.4 KiB, 0.40x official unsandboxed (38.4), 0.27x sandboxed (57.5). Its replay
speeds moved with the load, not with the change (a replay-only A/B was within the noise).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402 (tools/bench is not a package)

WORKLOAD = HERE / "scale_workflows.py"
PER_BATCH = 250
EVENTS_PER_BATCH = 2 * PER_BATCH + 4
WARM_UP = 20


def load_workload(sdk: str) -> Any:
    """The workload as module ``scale_workload``, imports renamed for the official SDK."""
    return load.load_workload(sdk, WORKLOAD, "scale_workload")


def best(run: Any, rounds: int) -> float:
    run()  # warm up: imports, caches
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def rss_mib() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


# -- child processes ---------------------------------------------------------------------------


def replay_official(folder: Path, rounds: int) -> dict[str, dict[str, float]]:
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    module = load_workload("official")
    runners = {"sandboxed": SandboxedWorkflowRunner(), "unsandboxed": UnsandboxedWorkflowRunner()}
    result: dict[str, dict[str, float]] = {}
    for path in sorted(folder.glob("*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        timings = {}
        for kind, runner in runners.items():
            replayer = Replayer(workflows=[module.Timers], workflow_runner=runner)

            def replay(replayer: Any = replayer, history: Any = history) -> None:
                asyncio.run(replayer.replay_workflow(history))

            timings[kind] = best(replay, rounds)
        result[path.stem] = timings
    return result


async def serve(kind: str, target: str, task_queue: str, cache: int) -> None:
    """Run a worker that keeps up to ``cache`` workflows; answer each stdin line with RSS."""
    sdk = "tempyral" if kind == "tempyral" else "official"
    root = "tempyral" if sdk == "tempyral" else "temporalio"
    module = load_workload(sdk)
    client = await importlib.import_module(f"{root}.client").Client.connect(target)
    worker_module = importlib.import_module(f"{root}.worker")
    options: dict[str, Any] = {"workflows": module.WORKFLOWS, "max_cached_workflows": cache}
    if kind == "official":
        options["workflow_runner"] = worker_module.UnsandboxedWorkflowRunner()
    async with worker_module.Worker(client, task_queue=task_queue, **options):
        handles = [
            await client.start_workflow(
                "Parked", f"warm-{i}", id=f"{task_queue}-warm-{i}", task_queue=task_queue
            )
            for i in range(WARM_UP)
        ]
        for handle in handles:
            await handle.signal("release")
            await handle.result()
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()
        loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
        print(f"RSS {rss_mib()}", flush=True)
        while (await lines.get()).strip():
            print(f"RSS {rss_mib()}", flush=True)


# -- the driver --------------------------------------------------------------------------------


async def record(client: Any, folder: Path, sizes: list[int]) -> dict[str, int]:
    from tempyral.worker import Worker

    module = load_workload("tempyral")
    lengths = {}
    async with Worker(client, task_queue="scale-record", workflows=[module.Timers]):
        for size in sizes:
            batches = max(1, round(size / EVENTS_PER_BATCH))
            workflow_id = f"timers-{size}"
            await client.execute_workflow(
                "Timers", args=[batches, PER_BATCH], id=workflow_id, task_queue="scale-record"
            )
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            (folder / f"{size}.json").write_text(history.to_json())
            lengths[str(size)] = len(history.events)
    return lengths


def replay_tempyral(folder: Path, rounds: int) -> dict[str, float]:
    from tempyral.client import WorkflowHistory
    from tempyral.replay import Replayer

    module = load_workload("tempyral")
    replayer = Replayer(workflows=[module.Timers])
    result = {}
    for path in sorted(folder.glob("*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        result[path.stem] = best(lambda h=history: replayer.replay_workflow_sync(h), rounds)
    return result


async def cache_memory(client: Any, target: str, kind: str, parked: int) -> float:
    task_queue = f"scale-parked-{kind}-{time.monotonic_ns()}"
    child = await asyncio.to_thread(
        subprocess.Popen,
        [sys.executable, __file__, "--serve", kind, target, task_queue, str(parked + 100)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None

    def read_rss() -> float:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("RSS "):
            raise RuntimeError(f"{kind} worker answered {line!r}")
        return float(line.split()[1])

    try:
        before = await asyncio.to_thread(read_rss)
        ids = [f"{task_queue}-{i}" for i in range(parked)]
        await asyncio.gather(
            *(client.start_workflow("Parked", i, id=i, task_queue=task_queue) for i in ids)
        )
        # Parked: each run's first task completed (started, scheduled, started, completed).
        deadline = time.monotonic() + 300
        for workflow_id in ids:
            while (await client.get_workflow_handle(workflow_id).describe()).history_length < 4:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {kind} worker did not park {parked} workflows")
                await asyncio.sleep(0.05)
        child.stdin.write("rss\n")
        child.stdin.flush()
        after = await asyncio.to_thread(read_rss)
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    return (after - before) * 1024 / parked


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,48000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parked", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    from tempyral.client import Client
    from tempyral.testing import DevServer

    folder = Path(tempfile.mkdtemp(prefix="scale-histories-"))
    server = DevServer()
    await server.start_async()
    try:
        client = await Client.connect(server.target)
        lengths = await record(client, folder, sizes)
        memory = {
            kind: await cache_memory(client, server.target, kind, args.parked)
            for kind in ("tempyral", "official", "official_sandboxed")
        }
    finally:
        server.stop()
    ours = replay_tempyral(folder, args.rounds)
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, __file__, "--replay-official", str(folder), str(args.rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    theirs = json.loads(child.stdout.strip().splitlines()[-1])
    replay = {}
    for size, seconds in ours.items():
        events = lengths[size]
        replay[size] = {
            "events": events,
            "tempyral_events_per_second": round(events / seconds),
            "official_sandboxed_events_per_second": round(events / theirs[size]["sandboxed"]),
            "official_unsandboxed_events_per_second": round(events / theirs[size]["unsandboxed"]),
            "speed_ratio_to_official_sandboxed": round(theirs[size]["sandboxed"] / seconds, 2),
            "speed_ratio_to_official_unsandboxed": round(theirs[size]["unsandboxed"] / seconds, 2),
        }
    report = {
        "rounds": args.rounds,
        "parked_workflows": args.parked,
        "replay": replay,
        "kib_per_cached_workflow": {kind: round(kib, 1) for kind, kib in memory.items()},
        "memory_ratio_to_official": round(memory["tempyral"] / memory["official"], 2),
        "memory_ratio_to_official_sandboxed": round(
            memory["tempyral"] / memory["official_sandboxed"], 2
        ),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replay-official"]:
        print(json.dumps(replay_official(Path(sys.argv[2]), int(sys.argv[3]))))
    elif sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    else:
        asyncio.run(main())
