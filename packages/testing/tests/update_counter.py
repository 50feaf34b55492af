"""The update sample of the in-process tests, runnable under both SDKs.

``test_in_process_updates.py`` runs it on tempyral in-process, then replays its histories in the
official SDK's Replayer from a separate process that imports this file with ``tempyral``
aliased to ``temporalio``.
"""

from __future__ import annotations

import asyncio
import time

from tempyral import workflow

DAY = 86400.0


@workflow.defn(name="Counter")
class Counter:
    """Adds what updates ask for (a virtual day per unit), until told to finish."""

    def __init__(self) -> None:
        self.total = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.total

    @workflow.update
    async def add(self, amount: int) -> int:
        await asyncio.sleep(amount * DAY)
        self.total += amount
        return self.total

    @add.validator
    def check_amount(self, amount: int) -> None:
        if amount < 1:
            raise ValueError(f"cannot add {amount}: amounts start at 1")

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.signal
    def finish_slowly(self) -> None:
        # Holds the workflow task (real time), so that an update can arrive while it runs.
        with workflow.unsafe.sandbox_unrestricted():
            time.sleep(0.5)
        self.done = True
