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
    """Draws from named and unnamed ``new_random()`` streams, ``random()`` and ``uuid7()`` at
    its start and after each of two signals, and keeps every seed it is told of: the code after
    a reset point draws from the reset run's seed, and the callback hears of it."""

    def __init__(self) -> None:
        self.signals = 0

    @workflow.signal
    def proceed(self) -> None:
        self.signals += 1

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
        draws = [self.draw(named, plain)]
        for count in (1, 2):
            await workflow.wait_condition(lambda count=count: self.signals >= count)
            draws.append(self.draw(named, plain))
        return [[str(seed) for seed in seeds], *draws]


WORKFLOWS = [Retried, Tally, Reseeded]
