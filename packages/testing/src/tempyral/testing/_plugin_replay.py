"""The pytest plugin's replay check and history capture.

After a test, every workflow run it made is replayed from its history against the code as it is
now (:func:`replay_failures`); a run whose history the code no longer produces fails the test
with the engine's nondeterminism message. :func:`write_histories` saves the same histories as
JSON (one file per run, the official ``WorkflowHistory.to_json`` format), and
:func:`history_replay_test` turns a directory of such files into one parametrized replay test
per file, for regression suites::

    # tests/test_recorded_histories.py
    from tempyral.testing import history_replay_test
    test_recorded = history_replay_test("tests/histories", workflows=[Checkout, Refund])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tempyral.client import WorkflowHistory
from tempyral.converter import DataConverter
from tempyral.replay import Replayer

__all__ = ["history_replay_test", "replay_failures", "write_histories"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def workflow_type_of(history: WorkflowHistory) -> str:
    first = history.events[0] if history.events else None
    if first is None or not first.HasField("workflow_execution_started_event_attributes"):
        return ""
    return str(first.workflow_execution_started_event_attributes.workflow_type.name)


def replay_failures(
    histories: Iterable[WorkflowHistory],
    workflows: Sequence[type],
    *,
    data_converter: DataConverter | None = None,
) -> list[tuple[WorkflowHistory, Exception]]:
    """Replay each history whose workflow type is among ``workflows``; return the failures."""
    if not workflows:
        return []
    replayer = Replayer(workflows=list(workflows), data_converter=data_converter)
    known = {_workflow_name(workflow) for workflow in workflows}
    failures: list[tuple[WorkflowHistory, Exception]] = []
    for history in histories:
        if workflow_type_of(history) not in known:
            continue
        result = replayer.replay_workflow_sync(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append((history, result.replay_failure))
    return failures


def describe_failures(failures: Sequence[tuple[WorkflowHistory, Exception]]) -> str:
    lines = [
        f"replay check: {len(failures)} workflow run(s) of this test no longer replay against "
        "the current code (turn the check off with --tempyral-no-replay-check)",
    ]
    for history, error in failures:
        lines.append(
            f"\n-- workflow {history.workflow_id!r} ({workflow_type_of(history)}), "
            f"run {_run_id(history)}:\n{error}"
        )
    return "\n".join(lines)


def write_histories(histories: Iterable[WorkflowHistory], directory: Path) -> list[Path]:
    """Save each history as ``<workflow id>__<run id>.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for history in histories:
        name = f"{_UNSAFE.sub('_', history.workflow_id)}__{_run_id(history)}.json"
        path = directory / name
        path.write_text(history.to_json())
        written.append(path)
    return written


def history_replay_test(
    directory: str | Path,
    *,
    workflows: Sequence[type],
    data_converter: DataConverter | None = None,
) -> Callable[[Path], None]:
    """A pytest test replaying every ``*.json`` history under ``directory``, one case per file.

    Assign the result to a ``test_*`` name in a test module. An empty directory is an error (a
    regression suite that silently checks nothing is worse than none).
    """
    root = Path(directory)
    files = sorted(root.rglob("*.json")) if root.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"history_replay_test found no *.json histories under {root.resolve()}; record some "
            "with pytest --tempyral-history-dir=<dir>, or point it at the right directory"
        )

    @pytest.mark.parametrize("history_file", files, ids=[str(f.relative_to(root)) for f in files])
    def test_replay_history(history_file: Path) -> None:
        workflow_id = history_file.stem.split("__", 1)[0]
        history = WorkflowHistory.from_json(workflow_id, history_file.read_text())
        Replayer(workflows=list(workflows), data_converter=data_converter).replay_workflow_sync(
            history
        )

    return test_replay_history


def _run_id(history: WorkflowHistory) -> str:
    try:
        return history.run_id
    except RuntimeError:
        return "unknown-run"


def _workflow_name(workflow: Any) -> str:
    definition = getattr(workflow, "__temporal_workflow_definition", None) or getattr(
        workflow, "__tempyral_workflow_definition", None
    )
    name = getattr(definition, "name", None)
    return name if isinstance(name, str) and name else getattr(workflow, "__name__", "")
