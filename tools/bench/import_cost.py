"""Import wall time and import memory of a client + worker, tempyral next to the official SDK.

Each round imports ``<sdk>.client`` and ``<sdk>.worker`` (what a worker program imports first)
in a fresh interpreter, the SDKs alternating, and reads the time the imports took and the
process's peak RSS, minus that of an interpreter that imports nothing. tempyral's worker loads
its activity, workflow and Nexus halves when a ``Worker`` is given something for them to run
(the official SDK imports all of it with ``temporalio.worker``), so each round also times, for
tempyral only, a worker program's start: the imports, a workflow and an activity defined, a lazy
``Client`` and a ``Worker`` built for both (``tempyral_worker_built``; the official SDK cannot
build a worker on a lazy client, and its ratio is to the official import alone, which leaves
out the official worker's own construction). Both SDKs import from
cached bytecode, as installed packages do: the probes share a fresh ``PYTHONPYCACHEPREFIX``
filled by an untimed first round, whatever ``PYTHONDONTWRITEBYTECODE`` says (with it set, an
editable tempyral would be compiled from source on every import while the official wheel
reads its ``.pyc`` files, a third of the difference). Run from the repository root::

    hatch run python tools/bench/import_cost.py [--rounds 15]

It prints one JSON object: medians per SDK and tempyral's ratios (goal: wall time <= 0.6).

Measured 2026-12-06 on the shared 2-core machine (load average ~4, other benchmarks running),
three runs alternating with the parent commit's tree: tempyral/official wall time 0.605, 0.663,
0.630 (before: 0.806, 0.795, 0.831); import RSS 0.66 (before 0.76); a worker program's start
(``tempyral_worker_built``) 0.70-0.92 of the official import alone. Process CPU time of the
imports, less sensitive to the load: tempyral 163 ms, official 278 ms (0.59).
Later the same day, machine quiet (load average ~1, nothing else running), four runs of the
merged main: 0.601, 0.600, 0.600, 0.602 (tempyral 137-140 ms, official 228-234 ms); with a
Worker built 0.778-0.789; import RSS 0.65 (the last run is in ``results/import_cost.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = """
import resource, sys, time
started = time.perf_counter()
for name in sys.argv[1:]:
    __import__(name)
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
BUILT = """
import resource, time
started = time.perf_counter()
import asyncio
from datetime import timedelta
from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.worker import Worker

@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}"

@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=5)
        )

async def build() -> None:
    client = await Client.connect("localhost:7233", lazy=True)
    Worker(client, task_queue="import-cost", workflows=[Greeting], activities=[greet])

asyncio.run(build())
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
MODULES = {
    "tempyral": ["tempyral.client", "tempyral.worker"],
    "official": ["temporalio.client", "temporalio.worker"],
    "none": [],
}


def probe(modules: list[str], env: dict[str, str], script: str = PROBE) -> tuple[float, float]:
    command = [sys.executable, "-c", script, *modules]
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    figures = output.stdout.split()
    return float(figures[0]), int(figures[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float]]] = {sdk: [] for sdk in MODULES}
    built: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="import-cost-pyc-") as cache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for modules in MODULES.values():  # untimed: writes the bytecode the rounds read
            probe(modules, env)
        probe([], env, BUILT)
        for _ in range(args.rounds):
            for sdk, modules in MODULES.items():
                samples[sdk].append(probe(modules, env))
            built.append(probe([], env, BUILT))
    base_rss = statistics.median(rss for _, rss in samples["none"])
    median = {
        sdk: {
            "import_ms": round(1000 * statistics.median(t for t, _ in found), 1),
            "import_rss_mib": round(statistics.median(rss for _, rss in found) - base_rss, 1),
        }
        for sdk, found in (*samples.items(), ("tempyral_worker_built", built))
        if sdk != "none"
    }
    report = {
        "rounds": args.rounds,
        "median": median,
        "tempyral_ratio": {
            key: round(median["tempyral"][key] / median["official"][key], 3)
            for key in ("import_ms", "import_rss_mib")
        },
        "tempyral_worker_built_ratio": {
            key: round(median["tempyral_worker_built"][key] / median["official"][key], 3)
            for key in ("import_ms", "import_rss_mib")
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
