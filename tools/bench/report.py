"""The performance page of the docs, from the benchmarks' results: one command regenerates it.

``--run`` runs the benchmarks first (``load.py``, ``import_cost.py``, ``guard_cost.py``,
``scale.py``, ``cli_replay.py``), each writing its JSON into ``tools/bench/results/``; without
it, the page is drawn again from the results already there. The page (``docs/performance.md``)
holds one table per benchmark and the plots (``docs/assets/performance/*.png``, matplotlib).
Run from the repository root::

    hatch run bench:report            # run the benchmarks, then write the page (~30 min)
    hatch run bench:render            # write the page from the committed results

Every figure on the page comes from a results file; the page says when and where it was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tools" / "bench"
RESULTS = HERE / "results"
PAGE = ROOT / "docs" / "performance.md"
PLOTS = ROOT / "docs" / "assets" / "performance"

KIND_LABELS = {
    "tempyral": "tempyral",
    "official": "official, unsandboxed",
    "official_sandboxed": "official, sandboxed (default)",
    "floor": "raw gRPC floor",
}
LOAD_MEASURES = [
    ("workflows_per_second", "workflows/s"),
    ("worker_cpu_ms_per_workflow", "worker CPU ms/wf"),
    ("server_cpu_ms_per_workflow", "server CPU ms/wf"),
    ("rpcs_per_workflow", "RPCs/wf"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p99_ms", "p99 ms"),
    ("worker_max_rss_mib", "worker RSS MiB"),
]
BENCHMARKS = {
    "load": ["load.py", "--json", str(RESULTS / "load.json")],
    "import_cost": ["import_cost.py"],
    "guard_cost": ["guard_cost.py"],
    "scale": ["scale.py", "--json", str(RESULTS / "scale.json")],
    "cli_replay": ["cli_replay.py", "--rounds", "3", "--json", str(RESULTS / "cli_replay.json")],
}
# The benchmarks that write their own results file (the others print their JSON).
WRITE_OWN_FILE = frozenset({"load", "scale", "cli_replay"})
CLI_REPLAY_OFFICIAL = "official unsandboxed"


def run_benchmarks(extra_load_args: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, command in BENCHMARKS.items():
        args = [sys.executable, str(HERE / command[0]), *command[1:]]
        if name == "load":
            args += extra_load_args
        print(f"running {' '.join(args[1:])}", file=sys.stderr)
        output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        if name not in WRITE_OWN_FILE:
            (RESULTS / f"{name}.json").write_text(output)
    meta = {
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "python": platform.python_version(),
    }
    (RESULTS / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def load_result(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def number(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def load_section(load: dict[str, Any]) -> list[str]:
    out = [
        "## Throughput at saturation: the load suite",
        "",
        f"`tools/bench/load.py`: {load['workflows']} workflows started before the worker, per "
        f"scenario and worker kind, median of {load['rounds']} rounds (kinds alternating), "
        f"latency from {load['latency_samples']} workflows run one after another on the idle "
        "worker. Scenarios: `no_activity`, `one_activity`, `mix` (timer, I/O activity, CPU step, "
        "child that signals its parent back). Each run has a dev server of its own (a shared "
        "one grew slower with every run)"
        + (f"; measured {load['measured_at']}." if "measured_at" in load else "."),
        "",
    ]
    for scenario, by_kind in load["median"].items():
        out += [f"### {scenario}", ""]
        header = ["worker", *(label for _, label in LOAD_MEASURES)]
        rows = [
            [KIND_LABELS.get(kind, kind), *(number(figures[key]) for key, _ in LOAD_MEASURES)]
            for kind, figures in by_kind.items()
        ]
        out += [table(header, rows), ""]
        ratio_rows = [
            [
                f"tempyral / {KIND_LABELS.get(kind, kind)}",
                *(number(ratios.get(key, float("nan"))) for key, _ in LOAD_MEASURES),
            ]
            for kind, ratios in load["tempyral_ratio"][scenario].items()
        ]
        out += [table(["ratio", *(label for _, label in LOAD_MEASURES)], ratio_rows), ""]
        methods = sorted({m for figures in by_kind.values() for m in figures["rpcs_by_method"]})
        rpc_rows = [
            [method, *(number(by_kind[k]["rpcs_by_method"].get(method, 0)) for k in by_kind)]
            for method in methods
        ]
        out += [
            "RPCs per workflow by method (the workers' `temporal_request` and "
            "`temporal_long_request` counters):",
            "",
            table(["method", *(KIND_LABELS.get(k, k) for k in by_kind)], rpc_rows),
            "",
        ]
    out += [
        "![Workflows per second at saturation](assets/performance/throughput.png)",
        "",
        "![Worker and server CPU per workflow](assets/performance/cpu.png)",
        "",
    ]
    return out


IMPORT_LABELS = {"tempyral_worker_built": "tempyral, imports + a Worker built"}


def import_section(found: dict[str, Any]) -> list[str]:
    rows = [
        [
            IMPORT_LABELS.get(sdk, sdk),
            number(figures["import_ms"]),
            number(figures["import_rss_mib"]),
        ]
        for sdk, figures in found["median"].items()
    ]
    ratio = found["tempyral_ratio"]
    rows.append(
        ["tempyral / official", number(ratio["import_ms"]), number(ratio["import_rss_mib"])]
    )
    built = found.get("tempyral_worker_built_ratio")
    if built is not None:
        rows.append(
            [
                "tempyral with a Worker built / official import",
                number(built["import_ms"]),
                number(built["import_rss_mib"]),
            ]
        )
    return [
        "## Start-up: importing a client and a worker",
        "",
        f"`tools/bench/import_cost.py`: `import <sdk>.client, <sdk>.worker` in a fresh "
        f"interpreter, median of {found['rounds']} rounds. tempyral's worker imports its "
        "activity, workflow and Nexus halves when a `Worker` is given something for them to run; "
        "the last rows add that: the imports, then a lazy `Client` and a `Worker` with a "
        "workflow and an activity built (the official SDK cannot build a worker on a lazy "
        "client, so its import alone is the reference).",
        "",
        table(["", "import ms", "import RSS MiB"], rows),
        "",
    ]


def guard_section(found: dict[str, Any]) -> list[str]:
    rows = [
        [
            "replay, ms per 1,000 events",
            number(found["tempyral_replay_ms_per_1000_events"]),
            number(found["official_replay_ms_per_1000_events"]),
            number(1 / found["replay_speed_ratio_official_over_tempyral"]),
        ],
        [
            "guard / sandbox, µs per workflow task",
            number(found["tempyral_guard_us_per_task"]),
            number(found["official_sandbox_us_per_task"]),
            number(found["guard_cost_ratio_tempyral_over_official"]),
        ],
    ]
    return [
        "## Replay and the determinism guard",
        "",
        f"`tools/bench/guard_cost.py`: {found['histories']} golden histories "
        f"({found['events']} events, {found['workflow_tasks']} workflow tasks) replayed by "
        "tempyral (guard on and off) and by the official `Replayer` (sandboxed, its default, and "
        "not); best of the rounds.",
        "",
        table(["", "tempyral", "official", "tempyral / official"], rows),
        "",
    ]


def scale_section(found: dict[str, Any]) -> list[str]:
    replay_rows = [
        [
            f"{figures['events']:,}",
            f"{figures['tempyral_events_per_second']:,}",
            f"{figures['official_sandboxed_events_per_second']:,}",
            f"{figures['official_unsandboxed_events_per_second']:,}",
            number(figures["speed_ratio_to_official_sandboxed"]),
            number(figures["speed_ratio_to_official_unsandboxed"]),
        ]
        for figures in found["replay"].values()
    ]
    memory = found["kib_per_cached_workflow"]
    memory_rows = [
        [KIND_LABELS[kind], number(memory[kind])]
        for kind in ("tempyral", "official", "official_sandboxed")
    ]
    memory_rows += [
        ["tempyral / official, unsandboxed", number(found["memory_ratio_to_official"])],
        [
            "tempyral / official, sandboxed (default)",
            number(found["memory_ratio_to_official_sandboxed"]),
        ],
    ]
    return [
        "## Long histories and the workflow cache",
        "",
        "`tools/bench/scale.py`: histories of a workflow firing batches of 250 timers, replayed "
        f"by each SDK (best of {found['rounds']} rounds; events per second, higher is better; "
        "ratios are speed-ups).",
        "",
        table(
            [
                "events",
                "tempyral ev/s",
                "official sandboxed ev/s",
                "official unsandboxed ev/s",
                "speed-up vs sandboxed",
                "speed-up vs unsandboxed",
            ],
            replay_rows,
        ),
        "",
        f"Resident memory a worker process gains per cached workflow, {found['parked_workflows']} "
        "workflows parked on a signal, each worker in a process of its own:",
        "",
        table(["", "KiB per cached workflow"], memory_rows),
        "",
    ]


def cli_replay_section(found: dict[str, Any]) -> list[str]:
    seconds = found["seconds"]
    official = seconds[CLI_REPLAY_OFFICIAL]
    rows = [
        [
            f"`tempyral replay {kind.removeprefix('tempyral ')}`"
            if kind.startswith("tempyral")
            else "official `Replayer`, unsandboxed",
            number(seconds[kind]),
            number(found["histories_per_second"][kind]),
            number(found["events_per_second"][kind]),
            "" if kind == CLI_REPLAY_OFFICIAL else number(official / seconds[kind]),
        ]
        for kind in seconds
    ]
    return [
        "## Replaying a folder of histories from the command line",
        "",
        f"`tools/bench/cli_replay.py`: `tempyral replay` on a folder of {found['histories']:,} "
        f"golden histories ({found['events']:,} events), timed from the command's start to its "
        "exit (interpreter start, imports and worker processes count), with one and two worker "
        "processes; beside it, one process calling the official `Replayer` on the same files "
        "with the same workflow code (the shortest program a team would write for the same check; "
        f"the official SDK has no CLI). Best of {found['rounds']} rounds, wall clock; measured "
        f"{found['measured_at']} on {found['machine']}, Python {found['python']}"
        + _load_note(found)
        + ".",
        "",
        table(["", "seconds", "histories/s", "events/s", "tempyral / official histories/s"], rows),
        "",
    ]


def _load_note(found: dict[str, Any]) -> str:
    if "load_average" not in found:
        return ""
    before, after = found["load_average"]
    return (
        f", 1-minute load average {before:.1f} before and {after:.1f} after (other processes"
        " sharing the machine: with the cores busy, a second worker process gains little)"
    )


def plot(load: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    scenarios = list(load["median"])
    kinds = [k for k in KIND_LABELS if any(k in load["median"][s] for s in scenarios)]

    def bars(axis: Any, key: str, title: str) -> None:
        width = 0.8 / len(kinds)
        for index, kind in enumerate(kinds):
            values = [load["median"][s].get(kind, {}).get(key, 0) for s in scenarios]
            positions = [x + index * width for x in range(len(scenarios))]
            axis.bar(positions, values, width, label=KIND_LABELS[kind])
        axis.set_xticks([x + 0.4 - width / 2 for x in range(len(scenarios))], scenarios)
        axis.set_title(title)

    figure, axis = plt.subplots(figsize=(8, 4))
    bars(axis, "workflows_per_second", "Workflows per second at saturation (higher is better)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(PLOTS / "throughput.png", dpi=100)
    plt.close(figure)

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    bars(axes[0], "worker_cpu_ms_per_workflow", "Worker CPU ms per workflow")
    bars(axes[1], "server_cpu_ms_per_workflow", "Server CPU ms per workflow")
    axes[0].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(PLOTS / "cpu.png", dpi=100)
    plt.close(figure)


def render() -> None:
    meta = load_result("meta") or {}
    out = [
        "# Performance",
        "",
        "tempyral and the official SDK (`temporalio`) measured side by side, in the same run, "
        "against the same dev server build, each worker in a process of its own. Ratios are "
        "tempyral's figure over the other's. This page is generated by `hatch run bench:report` "
        "(`tools/bench/report.py`) from the results in `tools/bench/results/`; do not edit it "
        "by hand.",
        "",
        f"Measured {meta.get('measured_at', '(unknown)')} on {meta.get('machine', '(unknown)')}, "
        f"Python {meta.get('python', '?')}. A shared 2-core machine moves with its load: read the "
        "ratios, not the absolute figures.",
        "",
    ]
    load = load_result("load")
    if load is not None:
        out += load_section(load)
        plot(load)
    imports = load_result("import_cost")
    if imports is not None:
        out += import_section(imports)
    guard = load_result("guard_cost")
    if guard is not None:
        out += guard_section(guard)
    scale = load_result("scale")
    if scale is not None:
        out += scale_section(scale)
    cli_replay = load_result("cli_replay")
    if cli_replay is not None:
        out += cli_replay_section(cli_replay)
    PAGE.write_text("\n".join(out).rstrip() + "\n")
    print(f"wrote {PAGE.relative_to(ROOT)}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", action="store_true", help="run the benchmarks first")
    args, load_args = parser.parse_known_args()
    if args.run:
        run_benchmarks(load_args)
    render()


if __name__ == "__main__":
    main()
