"""Poison workflows for ``poison.py``: one source for both SDKs (imports aliased by the worker)."""

from __future__ import annotations

from tempyral import workflow


class Poison(BaseException):
    """A BaseException of the user's own."""


KINDS: dict[str, type[BaseException]] = {
    "SystemExit": SystemExit,
    "KeyboardInterrupt": KeyboardInterrupt,
    "GeneratorExit": GeneratorExit,
    "Poison": Poison,
}


@workflow.defn(name="PoisonWorkflow")
class PoisonWorkflow:
    @workflow.run
    async def run(self, kind: str) -> None:
        raise KINDS[kind](f"poisoned by {kind}")


@workflow.defn(name="Healthy")
class Healthy:
    @workflow.run
    async def run(self) -> str:
        return "still serving"


WORKFLOWS = [PoisonWorkflow, Healthy]
