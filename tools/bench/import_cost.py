"""Import wall time and import memory of a client + worker, tempyral next to the official SDK.

Each round imports ``<sdk>.client`` and ``<sdk>.worker`` (what a worker program imports first)
in a fresh interpreter, the SDKs alternating, and reads the time the imports took and the
process's peak RSS, minus that of an interpreter that imports nothing. Both SDKs import from
cached bytecode, as installed packages do: the probes share a fresh ``PYTHONPYCACHEPREFIX``
filled by an untimed first round, whatever ``PYTHONDONTWRITEBYTECODE`` says (with it set, an
editable tempyral would be compiled from source on every import while the official wheel
reads its ``.pyc`` files, a third of the difference). Run from the repository root::

    hatch run python tools/bench/import_cost.py [--rounds 15]

It prints one JSON object: medians per SDK and tempyral's ratios (goal: wall time <= 0.6).
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
MODULES = {
    "tempyral": ["tempyral.client", "tempyral.worker"],
    "official": ["temporalio.client", "temporalio.worker"],
    "none": [],
}


def probe(modules: list[str], env: dict[str, str]) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float]]] = {sdk: [] for sdk in MODULES}
    with tempfile.TemporaryDirectory(prefix="import-cost-pyc-") as cache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for modules in MODULES.values():  # untimed: writes the bytecode the rounds read
            probe(modules, env)
        for _ in range(args.rounds):
            for sdk, modules in MODULES.items():
                samples[sdk].append(probe(modules, env))
    base_rss = statistics.median(rss for _, rss in samples["none"])
    median = {
        sdk: {
            "import_ms": round(1000 * statistics.median(t for t, _ in found), 1),
            "import_rss_mib": round(statistics.median(rss for _, rss in found) - base_rss, 1),
        }
        for sdk, found in samples.items()
        if sdk != "none"
    }
    report = {
        "rounds": args.rounds,
        "median": median,
        "tempyral_ratio": {
            key: round(median["tempyral"][key] / median["official"][key], 3)
            for key in ("import_ms", "import_rss_mib")
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
