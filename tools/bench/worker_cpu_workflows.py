"""The workload of ``worker_cpu.py``: one workflow, three activities one after another.

Written against ``tempyral``; the benchmark aliases the names to ``temporalio`` before loading this
file for the official worker, so both SDKs run the very same code.
"""

from __future__ import annotations

from datetime import timedelta

from tempyral import activity, workflow


@activity.defn
async def step(name: str, index: int) -> str:
    return f"{name}:{index}"


@workflow.defn
class ThreeSteps:
    @workflow.run
    async def run(self, name: str) -> list[str]:
        return [
            await workflow.execute_activity(
                step, args=[name, index], start_to_close_timeout=timedelta(seconds=30)
            )
            for index in range(3)
        ]
