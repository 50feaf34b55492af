"""The workloads of ``scale.py``, written once against ``tempyral``.

As in ``load_workflows.py``, the benchmark renames the imports to ``temporalio`` for the official
SDK, so both SDKs run the very same code.

- ``Timers``: ``batches`` rounds of ``per_batch`` concurrent timers; about ``2 * per_batch + 4``
  history events per round, so the history grows to any length in few workflow tasks;
- ``Parked``: holds a little state and waits for a signal: a workflow a worker keeps cached
  while it waits, the common case for a long-running business workflow.
"""

import asyncio
from datetime import timedelta

from tempyral import workflow


@workflow.defn
class Timers:
    @workflow.run
    async def run(self, batches: int, per_batch: int) -> int:
        fired = 0
        for _ in range(batches):
            await asyncio.gather(
                *(workflow.sleep(timedelta(milliseconds=1)) for _ in range(per_batch))
            )
            fired += per_batch
        return fired


@workflow.defn
class Parked:
    def __init__(self) -> None:
        self.released = False
        self.seen: list[str] = []

    @workflow.run
    async def run(self, name: str) -> int:
        self.seen.append(name)
        await workflow.wait_condition(lambda: self.released)
        return len(self.seen)

    @workflow.signal
    def release(self) -> None:
        self.released = True


WORKFLOWS = [Timers, Parked]
