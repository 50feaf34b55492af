"""What the determinism guard costs per workflow task, and how fast replay is, next to the
official SDK (``temporalio``), as ratios measured in the same run.

Both SDKs replay the same golden histories (``packages/replay/tests/golden``) with the same
workflow source:

- tempyral with its determinism guard on and off: the difference is the guard's cost per task;
- ``temporalio``'s ``Replayer`` with its sandbox (the default) and without: the sandbox's cost.

The official SDK runs in a child process (``--official``) so that its modules and tempyral's never
share a process. Run from the repository root::

    hatch run python tools/bench/guard_cost.py [--rounds 20]

It prints one JSON object; each time is the best of the rounds (runs interleaved).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "packages" / "replay" / "tests" / "golden"
TASK_STARTED = "EVENT_TYPE_WORKFLOW_TASK_STARTED"


def load_histories() -> list[tuple[str, str, dict[str, Any]]]:
    index = json.loads((GOLDEN / "histories" / "index.json").read_text())
    found = []
    for path in sorted((GOLDEN / "histories").glob("*.json")):
        if path.name == "index.json" or path.name.endswith(".cli.json"):
            continue
        name = path.name.removesuffix(".json")
        found.append((name, index[name], json.loads(path.read_text())))
    return found


def count(histories: list[tuple[str, str, dict[str, Any]]]) -> tuple[int, int]:
    events = sum(len(h["events"]) for _, _, h in histories)
    tasks = sum(1 for _, _, h in histories for e in h["events"] if e["eventType"] == TASK_STARTED)
    return events, tasks


def load_workflows(module_name: str) -> Any:
    spec = importlib.util.spec_from_file_location(module_name, GOLDEN / "workflows.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def classes(module: Any, marker: str) -> list[type]:
    return [v for v in vars(module).values() if isinstance(v, type) and marker in v.__dict__]


def best_seconds(runs: dict[str, Any], rounds: int) -> dict[str, float]:
    """The fastest of ``rounds`` timings of each run, the runs interleaved round by round.

    The minimum, not the median: on a shared machine the noise only ever adds time, and
    interleaving keeps slow spells from landing on one side only.
    """
    for run in runs.values():
        run()  # warm up: imports, caches
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - started)
    return {name: min(times) for name, times in samples.items()}


def bench_tempyral(rounds: int) -> dict[str, float]:
    from tempyral.replay import Replayer, WorkflowHistory

    workflows = classes(load_workflows("golden_workflows"), "__tempyral_workflow_definition")
    histories = load_histories()
    parsed = [WorkflowHistory.from_json(wid, h) for _, wid, h in histories]

    def replay(guard: bool) -> None:
        replayer = Replayer(workflows=workflows, determinism_guard=guard)
        for history in parsed:
            replayer.replay_workflow_sync(history)

    return best_seconds(
        {"guarded": lambda: replay(True), "unguarded": lambda: replay(False)}, rounds
    )


def bench_official(rounds: int) -> dict[str, float]:
    import temporalio.common
    import temporalio.exceptions
    import temporalio.workflow
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    workflows = classes(load_workflows("golden_workflows"), "__temporal_workflow_definition")
    histories = [WorkflowHistory.from_json(wid, h) for _, wid, h in load_histories()]
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        "tempyral", "golden_workflows"
    )
    runners = {
        "guarded": SandboxedWorkflowRunner(restrictions=restrictions),
        "unguarded": UnsandboxedWorkflowRunner(),
    }

    async def each() -> Any:
        for history in histories:
            yield history

    def replay(kind: str) -> None:
        replayer = Replayer(workflows=workflows, workflow_runner=runners[kind])
        results = asyncio.run(replayer.replay_workflows(each(), raise_on_replay_failure=True))
        assert not results.replay_failures

    return best_seconds({kind: (lambda k=kind: replay(k)) for kind in runners}, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--official", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.official:
        print(json.dumps(bench_official(args.rounds)))
        return
    events, tasks = count(load_histories())
    ours = bench_tempyral(args.rounds)
    child = subprocess.run(
        [sys.executable, __file__, "--official", "--rounds", str(args.rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    theirs = json.loads(child.stdout.strip().splitlines()[-1])

    def per_task_us(times: dict[str, float]) -> float:
        return (times["guarded"] - times["unguarded"]) / tasks * 1e6

    report = {
        "histories": len(load_histories()),
        "events": events,
        "workflow_tasks": tasks,
        "tempyral_replay_ms_per_1000_events": ours["guarded"] / events * 1e6,
        "official_replay_ms_per_1000_events": theirs["guarded"] / events * 1e6,
        "replay_speed_ratio_official_over_tempyral": theirs["guarded"] / ours["guarded"],
        "tempyral_guard_us_per_task": per_task_us(ours),
        "official_sandbox_us_per_task": per_task_us(theirs),
        "guard_cost_ratio_tempyral_over_official": per_task_us(ours) / per_task_us(theirs),
        "raw_seconds": {"tempyral": ours, "official": theirs},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
