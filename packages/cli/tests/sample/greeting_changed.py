"""``Greeting`` after a replay-breaking change: a timer before the activity."""

from __future__ import annotations

from datetime import timedelta

from tempyral import workflow


@workflow.defn(name="Greeting")
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(1)  # CHANGED: history has the activity first
        return await workflow.execute_activity(
            "greet", name, start_to_close_timeout=timedelta(seconds=10)
        )
