"""``workflow.unsafe.is_read_only()`` and ``is_replaying_history_events()`` as the official SDK
defines them: query handlers and update validators are live, read-only calls; handlers that run
from history are not read-only."""

from __future__ import annotations

import pytest

from tempyral import workflow
from tempyral.client import WorkflowUpdateFailedError
from tempyral.testing._in_process import start_in_process
from tempyral.worker import Worker


@workflow.defn
class Modes:
    def __init__(self) -> None:
        self.seen_in_run: list[bool] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[bool]:
        self.seen_in_run.append(workflow.unsafe.is_read_only())
        await workflow.wait_condition(lambda: self.done)
        return self.seen_in_run

    @workflow.query
    def modes(self) -> tuple[bool, bool]:
        return workflow.unsafe.is_read_only(), workflow.unsafe.is_replaying_history_events()

    @workflow.update
    def finish(self, value: int) -> int:
        self.seen_in_run.append(workflow.unsafe.is_read_only())
        self.done = True
        return value

    @finish.validator
    def check(self, value: int) -> None:
        if not workflow.unsafe.is_read_only():
            raise ValueError("a validator should run read-only")
        if workflow.unsafe.is_replaying_history_events():
            raise ValueError("a validator is a live call, not history")
        if value < 0:
            raise ValueError("negative")


async def test_queries_and_validators_are_read_only_and_live() -> None:
    env = await start_in_process()
    try:
        async with Worker(env.client, task_queue="modes", workflows=[Modes]):
            handle = await env.client.start_workflow(Modes.run, id="modes", task_queue="modes")
            assert list(await handle.query(Modes.modes)) == [True, False]
            with pytest.raises(WorkflowUpdateFailedError) as rejected:
                await handle.execute_update(Modes.finish, -1)
            assert "negative" in str(rejected.value.cause)
            assert await handle.execute_update(Modes.finish, 1) == 1
            assert await handle.result() == [False, False]
    finally:
        await env.shutdown()
