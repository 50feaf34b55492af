"""Workflow code that raises a BaseException (SystemExit, KeyboardInterrupt, GeneratorExit, its
own subclass) fails the replay with that error; it never unwinds into the replaying process."""

from __future__ import annotations

import asyncio

import pytest

from tempyral import workflow
from tempyral.replay import Replayer

from .histories import history

pytestmark = pytest.mark.reliability


class Poison(BaseException):
    """A BaseException of the user's own."""


KINDS: dict[str, type[BaseException]] = {
    "exit": SystemExit,
    "interrupt": KeyboardInterrupt,
    "generator_exit": GeneratorExit,
    "custom": Poison,
}


@workflow.defn
class RaisesInRun:
    @workflow.run
    async def run(self, kind: str) -> None:
        raise KINDS[kind]("poisoned")


@workflow.defn
class RaisesInChildTask:
    @workflow.run
    async def run(self, kind: str) -> None:
        async def inner() -> None:
            raise KINDS[kind]("poisoned")

        await asyncio.create_task(inner())


@workflow.defn
class RaisesInInit:
    @workflow.init
    def __init__(self, kind: str) -> None:
        raise KINDS[kind]("poisoned")

    @workflow.run
    async def run(self, kind: str) -> None:
        return None


@workflow.defn
class Healthy:
    @workflow.run
    async def run(self) -> str:
        return "ok"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("cls", [RaisesInRun, RaisesInChildTask, RaisesInInit])
def test_a_base_exception_is_the_replay_failure_not_a_crash(kind: str, cls: type) -> None:
    replayer = Replayer(workflows=[cls])
    name = cls.__name__
    result = replayer.replay_workflow_sync(history(name, [kind]), raise_on_replay_failure=False)
    failure = result.replay_failure
    assert isinstance(failure, RuntimeError)
    assert isinstance(failure.__cause__, KINDS[kind])
    assert KINDS[kind].__name__ in str(failure)
    with pytest.raises(RuntimeError, match=KINDS[kind].__name__):
        replayer.replay_workflow_sync(history(name, [kind]))


def test_the_next_history_replays_after_a_poisoned_one() -> None:
    replayer = Replayer(workflows=[RaisesInRun, Healthy])
    results = asyncio.run(
        replayer.replay_workflows(
            [history("RaisesInRun", ["exit"]), history("Healthy")], raise_on_replay_failure=False
        )
    )
    assert [r.replay_failure is None for r in results.results] == [False, True]


def test_a_custom_base_exception_fails_the_task_instead_of_completing_it_empty() -> None:
    # Before: the task completed with no commands and the workflow ran forever, silently.
    instance = Replayer(workflows=[RaisesInRun]).new_instance("wf")
    completion = instance.activate(history("RaisesInRun", ["custom"]).events)
    assert isinstance(completion.failure, Poison)
    assert completion.commands == []
    assert completion.failure.__traceback__ is not None  # the stack reaches the task failure


@workflow.defn
class QueryExits:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def status(self) -> str:
        raise SystemExit("query poisoned")


def test_a_query_raising_system_exit_answers_with_an_error() -> None:
    instance = Replayer(workflows=[QueryExits]).new_instance("wf")
    assert instance.activate(history("QueryExits").events).failure is None
    with pytest.raises(RuntimeError, match="SystemExit") as info:
        instance.query("status")
    assert isinstance(info.value.__cause__, SystemExit)
