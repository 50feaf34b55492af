"""`tempyral replay` on a folder of 1,000 histories: histories/s and events/s, beside the official
`Replayer` replaying the same histories with the same workflow code.

The folder is built from the golden histories recorded under the official SDK
(`packages/replay/tests/golden`), copied into numbered subfolders until it holds 1,000 files. Each
copy keeps its file name, because the file's name is the workflow id and some golden workflows
derive their children's ids from it.

- tempyral: the CLI as CI runs it (`python -m tempyral.cli replay CODE FOLDER -j N`), timed from
  the command's start to its exit, so interpreter start, imports and worker processes count.
- official: one process that imports the same workflow module under `temporalio` (the golden
  recording script's aliasing) and calls `Replayer.replay_workflows` over the same files, timed
  the same way, unsandboxed (the golden module names tempyral's modules, which the official
  sandbox would re-import as tempyral's, so the sandboxed runner cannot load it here; `scale.py`
  compares the sandboxed runner on its own workload). The official SDK has no CLI; this is the
  shortest program a team would write for the same check.

Usage: `hatch run python tools/bench/cli_replay.py [--histories 1000] [--rounds 3] [--json OUT]`.
Ratios are official time / tempyral time: above 1 means tempyral is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "packages" / "replay" / "tests" / "golden"

OFFICIAL = textwrap.dedent(
    """
    import asyncio, importlib.util, json, os, sys, time
    from pathlib import Path
    import temporalio.common, temporalio.exceptions, temporalio.workflow
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    start = time.perf_counter()
    # The golden module imports tempyral's names; under the official SDK they are its own.
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    spec = importlib.util.spec_from_file_location("golden_workflows", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_workflows"] = module
    spec.loader.exec_module(module)
    workflows = [v for v in vars(module).values() if hasattr(v, "__temporal_workflow_definition")]
    replayer = Replayer(workflows=workflows, workflow_runner=UnsandboxedWorkflowRunner())
    files = sorted(Path(sys.argv[2]).rglob("*.json"))
    histories = [WorkflowHistory.from_json(p.stem, p.read_text()) for p in files]

    async def each():
        for history in histories:
            yield history

    async def main():
        async with replayer.workflow_replay_iterator(each()) as results:
            failed = 0
            async for result in results:
                failed += result.replay_failure is not None
        return failed

    failed = asyncio.run(main())
    seconds = time.perf_counter() - start
    print(json.dumps({"files": len(files), "failed": failed, "seconds": seconds}))
    sys.stdout.flush()
    os._exit(0)  # the official core can abort at interpreter exit after a passing run
    """
)


def build_folder(target: Path, histories: int) -> tuple[Path, int]:
    """A project folder (workflow module + histories) and the total number of events in it."""
    index = json.loads((GOLDEN / "histories" / "index.json").read_text())
    sources = sorted(p for p in (GOLDEN / "histories").glob("*.json") if p.name != "index.json")
    shutil.copy(GOLDEN / "workflows.py", target / "golden_workflows.py")
    folder = target / "histories"
    events = written = copy = 0
    while written < histories:
        batch = folder / f"copy_{copy:03d}"
        batch.mkdir(parents=True)
        for source in sources:
            workflow_id = index[source.name.removesuffix(".json").split(".")[0]]
            destination = batch / f"{workflow_id}.json"
            # Runs of one workflow id (continue-as-new, retries) share a name: keep the first.
            if written == histories or destination.exists():
                continue
            shutil.copy(source, destination)
            events += len(json.loads(source.read_text())["events"])
            written += 1
        copy += 1
    return folder, events


def time_tempyral(project: Path, folder: Path, jobs: int) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    command = [sys.executable, "-m", "tempyral.cli", "replay", "golden_workflows", str(folder)]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "-j", str(jobs)], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"tempyral replay failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    summary = next(
        (line for line in done.stdout.splitlines() if "histories/s" in line), done.stdout[-300:]
    )
    return seconds, re.sub(r"\s+", " ", summary).strip()


def time_official(project: Path, folder: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", OFFICIAL, str(project / "golden_workflows.py"), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"official replay failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    result = json.loads(lines[-1])
    if result["failed"]:
        raise SystemExit(f"official replay: {result['failed']} histories failed")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs per kind")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    # Other processes' load on the machine, which moves these wall-clock figures (two worker
    # processes on a busy 2-core machine can be slower than one).
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temp:
        project = Path(temp)
        folder, events = build_folder(project, args.histories)
        best: dict[str, float] = {}
        summaries: dict[str, str] = {}
        kinds = ["tempyral -j 1", "tempyral -j 2", "official unsandboxed"]
        for _ in range(args.rounds):  # kinds alternate, so a load change hits each alike
            for kind in kinds:
                if kind.startswith("tempyral"):
                    seconds, summaries[kind] = time_tempyral(project, folder, int(kind[-1]))
                else:
                    seconds = time_official(project, folder)
                best[kind] = min(best.get(kind, float("inf")), seconds)
    results = {
        # Measured apart from the other benchmarks, so it says when and where itself.
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "rounds": args.rounds,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "histories": args.histories,
        "events": events,
        "seconds": best,
        "histories_per_second": {k: args.histories / s for k, s in best.items()},
        "events_per_second": {k: events / s for k, s in best.items()},
        "cli_summary": summaries,
    }
    print(f"{args.histories} histories, {events} events, best of {args.rounds} (wall clock)")
    for kind, seconds in best.items():
        print(
            f"  {kind:22} {seconds:7.2f} s  {args.histories / seconds:8.1f} histories/s"
            f"  {events / seconds:9.0f} events/s"
        )
    for ours in ("tempyral -j 1", "tempyral -j 2"):
        print(f"  official unsandboxed / {ours}: {best['official unsandboxed'] / best[ours]:.2f}x")
    for kind, line in summaries.items():
        print(f"  CLI summary ({kind}): {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
