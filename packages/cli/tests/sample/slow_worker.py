"""A worker factory for `tempyral worker run` tests: an activity slow enough to be in flight
when the test sends SIGTERM, which records when it starts and finishes."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.worker import Worker


def _mark(what: str) -> None:
    with Path(os.environ["CLI_TEST_MARKS"]).open("a", encoding="utf-8") as out:
        out.write(f"{what}\n")


@activity.defn
async def slow_greet(name: str) -> str:
    _mark("started")
    await asyncio.sleep(float(os.environ.get("CLI_TEST_ACTIVITY_SECONDS", "2")))
    _mark("finished")
    return f"Hello, {name}!"


@workflow.defn
class SlowGreeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            slow_greet, name, start_to_close_timeout=timedelta(seconds=60)
        )


def create_worker(client: Client) -> Worker:
    return Worker(
        client,
        task_queue=os.environ["CLI_TEST_TASK_QUEUE"],
        workflows=[SlowGreeting],
        activities=[slow_greet],
        graceful_shutdown_timeout=timedelta(seconds=30),
    )


def not_a_worker(client: Client) -> str:
    return "nothing to run"
