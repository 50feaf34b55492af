"""Update workflows for the remaining update cases, runnable under both SDKs.

``test_workflow_updates_more.py`` runs this file on a worker process of either SDK
(``scripts/workflow_worker.py --workflows update_workflows.py``, ``tempyral.*`` aliased to the
official ``temporalio`` modules there), so each case is checked against what the official SDK does.
"""

from __future__ import annotations

import time
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


@workflow.defn
class LeavesSignalsRunning:
    """Completes once ``expected`` signal handlers have started, leaving them all running."""

    def __init__(self) -> None:
        self.started = 0

    @workflow.run
    async def run(self, expected: int) -> str:
        await workflow.wait_condition(lambda: self.started == expected)
        return "done"

    @workflow.signal
    async def warned(self) -> None:
        self.started += 1
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    async def also_warned(self) -> None:
        self.started += 1
        await workflow.wait_condition(lambda: False)

    @workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def abandoned(self) -> None:
        self.started += 1
        await workflow.wait_condition(lambda: False)


@workflow.defn
class ContinuesWithUpdates:
    """Generation 0 continues as new once told to; each update records its id and its run."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.proceed_now = False
        self.slow = False

    @workflow.run
    async def run(self, generation: int) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.proceed_now)
        if generation == 0:
            if self.slow:
                # Blocks the task a moment, so that an update arrives while it continues as new.
                with workflow.unsafe.sandbox_unrestricted():
                    time.sleep(1)  # noqa: ASYNC251 (deliberate)
            workflow.continue_as_new(1)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"generation": generation, "seen": self.seen}

    @workflow.signal
    def proceed(self, slow: bool = False) -> None:
        self.proceed_now = True
        self.slow = slow

    @workflow.update
    def record(self, value: str) -> str:
        info = workflow.current_update_info()
        assert info is not None
        self.seen.append(f"{info.id}:{value}")
        run = "new" if workflow.info().continued_run_id else "first"
        return f"{value} on the {run} run"


@workflow.defn
class QuietChild:
    @workflow.run
    async def run(self) -> str:
        return "child done"


@workflow.defn
class UpdateAfterQuietTask:
    """A child's result in a task that issues no command, then an update in a task of its own:
    the update's step must come after the child's, however the worker continues the run."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        child_id = f"{workflow.info().workflow_id}-child"
        self.steps.append(await workflow.execute_child_workflow(QuietChild.run, id=child_id))
        await workflow.wait_condition(lambda: self.done)
        return self.steps

    @workflow.update
    def note(self, text: str) -> int:
        self.steps.append(text)
        return len(self.steps)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def seen(self) -> list[str]:
        return self.steps


# What ValidatedOnce's handlers saw in this process: (what, value, replaying).
VALIDATIONS: list[tuple[str, str, bool]] = []


@workflow.defn
class ValidatedOnce:
    """Three updates, each checked by a validator that notes every call; on a worker without a
    cache each task replays the updates before it, so a validator run on replay would show."""

    def __init__(self) -> None:
        self.values: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.values) == 3)
        return self.values

    @workflow.update
    def append(self, value: str) -> int:
        VALIDATIONS.append(("handler", value, workflow.unsafe.is_replaying()))
        self.values.append(value)
        return len(self.values)

    @append.validator
    def check_append(self, value: str) -> None:
        VALIDATIONS.append(("validator", value, workflow.unsafe.is_replaying()))
        if value in self.values:
            raise ValueError(f"{value} was appended already")


WORKFLOWS = [
    SelfSignaling,
    LeavesUpdateRunning,
    LeavesSignalsRunning,
    ContinuesWithUpdates,
    ValidatedOnce,
    UpdateAfterQuietTask,
    QuietChild,
]
ACTIVITIES: list[Any] = []
