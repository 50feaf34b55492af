"""Golden workflows for what a run inherits from the previous one (a retry's last failure, a
schedule's last completion result) and for the seeded randomness beyond ``workflow.random()``
across a reset. They import ``tempyral.workflow``; ``record.py`` aliases it to
``temporalio.workflow`` so that the very same source runs under the official SDK."""

from __future__ import annotations

from typing import Any

from tempyral import workflow
from tempyral.exceptions import ApplicationError


@workflow.defn
class Retried:
    """Fails its first attempt; the retry reports the failure it inherited."""

    @workflow.run
    async def run(self) -> list[Any]:
        if workflow.info().attempt == 1:
            raise ApplicationError("first attempt fails", "detail", type="FirstAttempt")
        failure = workflow.get_last_failure()
        assert isinstance(failure, ApplicationError)
        return [
            workflow.info().attempt,
            failure.message,
            failure.type,
            list(failure.details),
            workflow.has_last_completion_result(),
        ]


@workflow.defn
class Tally:
    """Counts its scheduled runs through the last completion result."""

    @workflow.run
    async def run(self) -> list[Any]:
        previous = workflow.get_last_completion_result(list)
        count = (previous[0] if previous else 0) + 1
        return [count, workflow.has_last_completion_result()]


@workflow.defn
class Reseeded:
    """Draws from named and unnamed ``new_random()`` streams and ``uuid7()`` before and after a
    signal, and keeps every seed it is told of: a reset run gets a second seed."""

    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    def draw(self, named: Any, plain: Any) -> list[Any]:
        return [
            named.randint(0, 1_000_000),
            plain.randint(0, 1_000_000),
            workflow.random().randint(0, 1_000_000),
            str(workflow.uuid7()),
        ]

    @workflow.run
    async def run(self) -> list[Any]:
        seeds = [workflow.random_seed()]
        workflow.register_random_seed_callback(seeds.append)
        named = workflow.new_random("named")
        plain = workflow.new_random()
        before = self.draw(named, plain)
        await workflow.wait_condition(lambda: self.go)
        after = self.draw(named, plain)
        return [[str(seed) for seed in seeds], before, after]


WORKFLOWS = [Retried, Tally, Reseeded]
