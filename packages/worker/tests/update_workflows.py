"""Update workflows for the remaining update cases, runnable under both SDKs.

``test_workflow_updates_more.py`` runs this file on a worker process of either SDK
(``scripts/workflow_worker.py --workflows update_workflows.py``, ``tempyral.*`` aliased to the
official ``temporalio`` modules there), so each case is checked against what the official SDK does.
"""

from __future__ import annotations

from typing import Any

from tempyral import workflow


@workflow.defn
class SelfSignaling:
    """An update handler that signals its own workflow through an external handle."""

    def __init__(self) -> None:
        self.pokes: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.pokes))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.pokes

    @workflow.signal
    def poked(self, source: str) -> None:
        self.pokes.append(source)

    @workflow.update
    async def poke_self(self, source: str) -> str:
        own = workflow.get_external_workflow_handle(workflow.info().workflow_id)
        await own.signal(SelfSignaling.poked, source)
        return f"signalled {source}"


@workflow.defn
class LeavesUpdateRunning:
    """Completes as soon as an update handler has started, leaving that handler running."""

    def __init__(self) -> None:
        self.started = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.started)
        return "done"

    @workflow.update
    async def warned(self) -> None:
        self.started = True
        await workflow.wait_condition(lambda: False)

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def abandoned(self) -> None:
        self.started = True
        await workflow.wait_condition(lambda: False)


WORKFLOWS = [SelfSignaling, LeavesUpdateRunning]
ACTIVITIES: list[Any] = []
