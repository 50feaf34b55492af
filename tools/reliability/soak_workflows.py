"""The soak's workflow, one source for both SDKs (``soak_worker.py`` aliases the imports)."""

from __future__ import annotations

from tempyral import workflow


@workflow.defn(name="Collect")
class Collect:
    """Returns every signal value it received, in order: a duplicate would show."""

    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.signal
    def add(self, value: str) -> None:
        self.received.append(value)

    @workflow.run
    async def run(self, expected: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.received) >= expected)
        await workflow.sleep(0.2)  # a late duplicate would still be collected
        return self.received


WORKFLOWS = [Collect]
