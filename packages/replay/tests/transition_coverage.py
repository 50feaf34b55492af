"""Which declared state machine transitions the golden histories reach, and which they do not.

Run it (``python packages/replay/tests/transition_coverage.py``) or let
``test_transition_coverage`` run it: every golden history is replayed while each machine move is
recorded as ``(machine class, state before, trigger)``, then compared with the machines' declared
``TRANSITIONS``. The unreached list says which lifecycles no golden history exercises yet.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay import Replayer, WorkflowHistory
from tempyral.replay import _machines as m
from tempyral.replay._jobs import Job

MACHINES: tuple[type[m.Machine], ...] = (
    m.ActivityMachine,
    m.TimerMachine,
    m.ChildWorkflowMachine,
    m.SignalExternalMachine,
    m.CancelExternalMachine,
    m.CompleteWorkflowMachine,
    m.FailWorkflowMachine,
    m.CancelWorkflowMachine,
    m.ContinueAsNewMachine,
    m.NexusOperationMachine,
)

Transition = tuple[Enum, str]


@dataclass
class Report:
    reached: dict[type[m.Machine], set[Transition]] = field(default_factory=dict)

    def declared(self, machine: type[m.Machine]) -> set[Transition]:
        return set(machine.TRANSITIONS)

    def unreached(self, machine: type[m.Machine]) -> list[Transition]:
        missing = self.declared(machine) - self.reached.get(machine, set())
        return sorted(missing, key=lambda t: (t[0].value, t[1]))

    def text(self) -> str:
        lines = []
        for machine in MACHINES:
            declared = self.declared(machine)
            reached = self.reached.get(machine, set()) & declared
            lines.append(f"{machine.__name__}: {len(reached)}/{len(declared)} transitions reached")
            lines.extend(
                f"  not reached: {state.name} --{trigger}-->"
                for state, trigger in self.unreached(machine)
            )
        return "\n".join(lines)


@contextlib.contextmanager
def recording(report: Report) -> Iterator[None]:
    """Record every move of every machine while the block runs."""
    original = m.Machine.fire

    def fire(
        self: m.Machine, trigger: str, event: history_pb2.HistoryEvent | None = None
    ) -> list[Job]:
        before = self.state
        jobs = original(self, trigger, event)  # raises (records nothing) on an illegal move
        report.reached.setdefault(type(self), set()).add((before, trigger))
        return jobs

    m.Machine.fire = fire  # type: ignore[method-assign]
    try:
        yield
    finally:
        m.Machine.fire = original  # type: ignore[method-assign]


def golden_report() -> Report:
    """Replay every golden history (ours and the official SDK's) and report the moves made."""
    spec = importlib.util.spec_from_file_location(
        "golden_conftest", Path(__file__).parent / "conftest.py"
    )
    assert spec is not None
    assert spec.loader is not None
    support = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(support)
    module = support.load_module(support.GOLDEN / "workflows.py", "golden_workflows")
    nexus = support.load_module(support.GOLDEN / "nexus" / "workflows.py", "golden_nexus_workflows")
    replayer = Replayer(workflows=support.workflow_classes(module))
    nexus_replayer = Replayer(workflows=support.workflow_classes(nexus))
    report = Report()
    with recording(report):
        for name, history, by in (
            *((name, history, replayer) for name, history in support.golden_histories()),
            *((name, history, nexus_replayer) for name, history in _nexus_histories()),
        ):
            result = by.replay_workflow_sync(history, raise_on_replay_failure=False)
            if result.replay_failure is not None:
                raise RuntimeError(f"golden history {name} no longer replays") from (
                    result.replay_failure
                )
    return report


def _nexus_histories() -> list[tuple[str, WorkflowHistory]]:
    """The Nexus golden set (``golden/nexus``), which has workflows of its own."""
    folder = Path(__file__).parent / "golden" / "nexus"
    index = json.loads((folder / "index.json").read_text())
    return [
        (path.stem, WorkflowHistory.from_json(index[path.stem], path.read_text()))
        for path in sorted((folder / "histories").glob("*.json"))
    ]


if __name__ == "__main__":
    print(golden_report().text())
