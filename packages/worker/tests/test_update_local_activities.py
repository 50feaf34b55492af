"""An update whose handler runs a local activity, on a tempyral worker against the dev server.

The update is accepted in the same workflow task that runs the local activity; the worker feeds
the activity's result back into that task before completing it, and the completion must still
carry the acceptance message its protocol command refers to (the server refuses the task
otherwise: "ProtocolMessageCommand referenced absent message ID").
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.worker import Worker

pytestmark = pytest.mark.integration


@activity.defn
async def shout(word: str) -> str:
    return word.upper()


@workflow.defn
class Shouter:
    def __init__(self) -> None:
        self.heard: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.heard

    @workflow.update
    async def shout(self, word: str) -> str:
        loud = await workflow.execute_local_activity(
            shout, word, start_to_close_timeout=timedelta(seconds=5)
        )
        self.heard.append(loud)
        return loud

    @workflow.signal
    def finish(self) -> None:
        self.done = True


async def test_an_update_handler_running_a_local_activity_completes(client: Client) -> None:
    queue = f"update-la-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[Shouter], activities=[shout]):
        handle = await client.start_workflow(
            Shouter.run, id=f"shouter-{uuid.uuid4()}", task_queue=queue
        )
        first = await asyncio.wait_for(handle.execute_update(Shouter.shout, "hey"), 20)
        second = await asyncio.wait_for(handle.execute_update(Shouter.shout, "you"), 20)
        await handle.signal(Shouter.finish)
        assert (first, second) == ("HEY", "YOU")
        assert await asyncio.wait_for(handle.result(), 20) == ["HEY", "YOU"]
