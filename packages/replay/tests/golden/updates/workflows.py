"""Workflows with updates, run under both SDKs (see ``golden/workflows.py`` for how).

Recorded under the official SDK by ``record.py`` (in this folder); replayed by tempyral in
``test_golden_updates.py``, and run on a tempyral worker for the end-to-end tests and for the
histories the official ``Replayer`` replays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from tempyral import workflow
from tempyral.common import RawValue
from tempyral.exceptions import ApplicationError

SHORT = timedelta(seconds=10)


@workflow.defn
class Counter:
    """Updates that add (sync), add after a timer (async), run an activity, or fail; a validator
    rejects negative amounts; ``finish`` lets the run end once every handler is done."""

    def __init__(self) -> None:
        self.total = 0
        self.seen: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"total": self.total, "seen": self.seen}

    @workflow.update
    def add(self, amount: int) -> int:
        info = workflow.current_update_info()
        self.seen.append(f"{info.name}:{info.id}" if info else "none")
        self.total += amount
        return self.total

    @add.validator
    def check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError(f"amount must not be negative, got {amount}")

    @workflow.update
    async def add_later(self, amount: int) -> int:
        await workflow.sleep(0.5)
        self.total += amount
        return self.total

    @workflow.update
    async def greet(self, name: str) -> str:
        greeting: str = await workflow.execute_activity("greet", name, start_to_close_timeout=SHORT)
        self.seen.append(greeting)
        return greeting

    @workflow.update
    async def fail(self, message: str) -> None:
        await workflow.sleep(0.1)
        raise ApplicationError(message, non_retryable=True)

    @workflow.update
    def finish(self) -> str:
        self.done = True
        return "finishing"

    @workflow.query
    def current(self) -> int:
        return self.total


@workflow.defn
class Dynamic:
    """A dynamic update handler and one set at run time, with its validator."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        workflow.set_update_handler("late", self.late, validator=self.check_late)
        await workflow.wait_condition(lambda: self.done)
        return self.calls

    def late(self, value: str) -> str:
        self.calls.append(f"late:{value}")
        if value == "stop":
            self.done = True
        return value.upper()

    def check_late(self, value: str) -> None:
        if not value:
            raise ValueError("empty value")

    @workflow.update(dynamic=True)
    def anything(self, name: str, args: Sequence[RawValue]) -> str:
        values = [workflow.payload_converter().from_payload(a.payload, str) for a in args]
        self.calls.append(f"{name}:{','.join(values)}")
        return f"{name} handled"


@workflow.defn
class StartedWithUpdate:
    """Receives its first update in its first workflow task (update-with-start)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.run
    async def run(self, first: str) -> list[str]:
        self.items.append(first)
        await workflow.wait_condition(lambda: len(self.items) >= 3)
        return self.items

    @workflow.update
    async def push(self, item: str) -> int:
        await asyncio.sleep(0)
        self.items.append(item)
        return len(self.items)


@workflow.defn
class QuietChild:
    @workflow.run
    async def run(self) -> str:
        return "child done"


@workflow.defn
class UpdateAfterQuietTask:
    """A child's result arrives in a task that answers with no command; an update follows in a
    task of its own. Core gives each task its own activation: the child's step comes first."""

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
