"""A workflow that grows its history until the server stops it, and one that continues as new
when the server suggests it, runnable under both SDKs.

``test_history_limits.py`` runs it on a tempyral worker in-process and on an official worker
(``scripts/workflow_worker.py --workflows limits_workflows.py``, which aliases the ``tempyral``
imports to ``temporalio``). Every iteration adds a timer and
a workflow task to the history; the ``progress`` query tells what the code saw of the server's
history hints, and ``stop`` lets a run finish normally.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tempyral import workflow


@workflow.defn
class GrowHistory:
    def __init__(self) -> None:
        self.iterations = 0
        self.suggested_at: int | None = None
        self.largest_size = 0
        self.stopped = False

    @workflow.run
    async def run(self, padding: int) -> int:
        # ``padding`` characters in each timer's summary make the history grow in bytes too.
        summary = "x" * padding if padding else None
        while True:
            info = workflow.info()
            self.largest_size = max(self.largest_size, info.get_current_history_size())
            if self.suggested_at is None and info.is_continue_as_new_suggested():
                self.suggested_at = info.get_current_history_length()
            self.iterations += 1
            await workflow.sleep(timedelta(milliseconds=1), summary=summary)
            if self.stopped:
                return self.iterations

    @workflow.signal
    def stop(self) -> None:
        self.stopped = True

    @workflow.query
    def progress(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "suggested_at": self.suggested_at,
            "largest_size": self.largest_size,
        }


@workflow.defn
class ContinueWhenSuggested:
    """The pattern the hint is for: work until the server suggests continuing as new, then
    continue as new; the second run returns what each run saw."""

    @workflow.run
    async def run(self, earlier: list[int]) -> list[int]:
        if len(earlier) == 2:
            return earlier
        while not workflow.info().is_continue_as_new_suggested():
            await workflow.sleep(timedelta(milliseconds=1))
        workflow.continue_as_new([*earlier, workflow.info().get_current_history_length()])


WORKFLOWS = [GrowHistory, ContinueWhenSuggested]
ACTIVITIES: list[Any] = []
