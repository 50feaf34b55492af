"""The part of ``tempyral replay`` that runs in each worker process: load the workflow code once,
then replay histories handed over as files or as JSON text, returning small picklable outcomes.

It is also what a single process runs when ``--jobs 1`` asks for no pool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from tempyral.cli._loading import workflow_classes
from tempyral.client import WorkflowHistory
from tempyral.replay import NondeterminismError, Replayer

__all__ = ["Outcome", "ReplayOutcome", "ReplayTask", "init_process", "replay_task"]


class Outcome(str, Enum):
    REPLAYED = "replayed"
    NONDETERMINISM = "nondeterminism"
    # The workflow task failed on replay for another reason (an error in workflow code, a
    # corrupt or unsupported history): the code does not replay that history either.
    FAILED = "failed"
    # The history itself could not be read (no such file, not JSON, not a history).
    NOT_LOADED = "not loaded"


@dataclass(frozen=True)
class ReplayTask:
    """One history to replay: a file, or the JSON text fetched from a server."""

    name: str
    workflow_id: str
    path: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class ReplayOutcome:
    name: str
    workflow_id: str
    outcome: Outcome
    events: int = 0
    seconds: float = 0.0
    error_type: str = ""
    message: str = ""


# This process's replayer, made once by ``init_process``.
_process: dict[str, Replayer] = {}


def init_process(workflow_spec: str) -> None:
    """Pool initializer: import the workflow code once per process."""
    _process["replayer"] = Replayer(workflows=workflow_classes(workflow_spec))


def replay_task(task: ReplayTask) -> ReplayOutcome:
    replayer = _process["replayer"]
    started = time.perf_counter()
    try:
        text = task.text if task.text is not None else Path(task.path or "").read_text("utf-8")
        history = WorkflowHistory.from_json(task.workflow_id, text)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return ReplayOutcome(
            task.name, task.workflow_id, Outcome.NOT_LOADED, 0, 0.0, type(err).__name__, str(err)
        )
    result = replayer.replay_workflow_sync(history, raise_on_replay_failure=False)
    seconds = time.perf_counter() - started
    failure = result.replay_failure
    if failure is None:
        return ReplayOutcome(task.name, task.workflow_id, Outcome.REPLAYED, result.events, seconds)
    outcome = Outcome.NONDETERMINISM if isinstance(failure, NondeterminismError) else Outcome.FAILED
    return ReplayOutcome(
        task.name,
        task.workflow_id,
        outcome,
        result.events,
        seconds,
        type(failure).__name__,
        str(failure),
    )
