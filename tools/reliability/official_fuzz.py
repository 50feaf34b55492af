"""The fuzzer's history cases replayed by the official SDK (``temporalio``), for comparison.

    python tools/reliability/official_fuzz.py --seed 1 --cases 1000

The same seeded cases as ``fuzz.py`` (history cases only: the payload and failure cases exercise
tempyral's converter). The official ``Replayer`` runs in a child process, which gets each case
in turn: a case that does not answer within the deadline is a hang (the child is killed and a new
one takes the next case), a child that dies is a crash. Outcomes use ``fuzz.py``'s names.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from queue import Empty, Queue
from typing import Any

HERE = Path(__file__).resolve().parent


def _child() -> None:
    """Reads one case per line, prints one outcome per line."""
    import temporalio.activity
    import temporalio.common
    import temporalio.exceptions
    import temporalio.workflow

    for name in ("workflow", "activity", "common", "exceptions"):
        sys.modules[f"tempyral.{name}"] = getattr(temporalio, name)
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    golden = HERE.parents[1] / "packages" / "replay" / "tests" / "golden" / "workflows.py"
    spec = importlib.util.spec_from_file_location("golden_workflows", golden)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_workflows"] = module
    spec.loader.exec_module(module)
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and hasattr(value, "__temporal_workflow_definition")
    ]
    replayer = Replayer(workflows=classes, workflow_runner=UnsandboxedWorkflowRunner())
    loop = asyncio.new_event_loop()
    print("READY", flush=True)
    for line in sys.stdin:
        sys.setrecursionlimit(50_000)  # the deeply nested cases must arrive as they were made
        case = json.loads(line)
        sys.setrecursionlimit(1_000)
        data: Any = case["data"]
        if case["kind"] == "bytes":
            data = base64.b64decode(data)
        outcome = _one(loop, replayer, WorkflowHistory, case, data)
        print("OUTCOME", json.dumps(outcome), flush=True)


def _one(loop: Any, replayer: Any, history_cls: Any, case: dict[str, Any], data: Any) -> Any:
    try:
        history = history_cls.from_json(case["workflow_id"], data)
    except ValueError as err:
        return ["refused-loading", _line(err)]
    except Exception as err:
        return ["crash", f"loading raised {type(err).__name__}: {_line(err)}"]
    try:
        result = loop.run_until_complete(
            replayer.replay_workflow(history, raise_on_replay_failure=False)
        )
    except Exception as err:
        return ["crash", f"replay raised {type(err).__name__}: {_line(err)}"]
    failure = result.replay_failure
    if failure is None:
        return ["silent-success" if case["must_fail"] else "replayed", ""]
    return [f"refused-{type(failure).__name__}", _line(failure)]


def _line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0][:200]


class Child:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: Queue[str | None] = Queue()
        threading.Thread(target=self._read, daemon=True).start()
        if self.lines.get(timeout=120) != "READY":
            raise RuntimeError("the official SDK's replayer did not start")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(("OUTCOME ", "READY")):  # not what workflow code may print
                self.lines.put(line.strip().removeprefix("OUTCOME "))
        self.lines.put(None)

    def ask(self, case: dict[str, Any], timeout: float) -> list[str]:
        assert self.process.stdin is not None
        sys.setrecursionlimit(50_000)  # the deeply nested cases, as they were made
        try:
            line = json.dumps(case)
        finally:
            sys.setrecursionlimit(1_000)
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            answer = self.lines.get(timeout=timeout)
        except Empty:
            return ["hang", f"no answer within {timeout:g} s"]
        except BrokenPipeError:
            answer = None
        if answer is None:
            return ["crash", f"the replaying process died (exit {self.process.wait()})"]
        outcome: list[str] = json.loads(answer)
        return outcome

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def compare(seed: int, cases: int, timeout: float) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("fuzz", HERE / "fuzz.py")
    assert spec is not None
    assert spec.loader is not None
    fuzz = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = fuzz
    spec.loader.exec_module(fuzz)
    child = Child()
    counts: Counter[str] = Counter()
    broken: list[str] = []
    started = time.perf_counter()
    try:
        for case, given in fuzz.plan(seed, cases):
            if case.target != "history":
                continue
            data = given.data
            kind = "bytes" if isinstance(data, bytes) else "json"
            wire = base64.b64encode(data).decode() if kind == "bytes" else data
            outcome, error = child.ask(
                {"workflow_id": given.workflow_id, "data": wire, "kind": kind,
                 "must_fail": case.must_fail},
                timeout,
            )  # fmt: skip
            counts[outcome] += 1
            if outcome in ("hang", "crash", "silent-success"):
                broken.append(f"case {case.index} {case.mutation}: {outcome} {error}")
                if outcome in ("hang", "crash"):
                    child.kill()
                    child = Child()
    finally:
        child.kill()
    return {
        "seed": seed,
        "history_cases": sum(counts.values()),
        "seconds": round(time.perf_counter() - started, 1),
        "outcomes": dict(sorted(counts.items())),
        "broken": broken,
    }


def main() -> int:
    if "--child" in sys.argv:
        _child()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--case-timeout", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(compare(args.seed, args.cases, args.case_timeout), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
