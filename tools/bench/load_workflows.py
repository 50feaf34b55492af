"""The workloads of ``load.py``, written once against ``tempyral``.

The benchmark renames the imports to ``temporalio`` before loading this file for the official
workers, so every SDK runs the very same code (as a migrating team would).

- ``NoActivity``: one workflow task, the workflow's own overhead and nothing else;
- ``OneActivity``: one activity, the common shape of a business workflow;
- ``Mix``: a timer, an I/O-bound activity, a CPU-bound step in workflow code, a child workflow
  that signals its parent back, and a wait on that signal.
"""

import asyncio
from datetime import timedelta

from tempyral import activity, workflow

TIMEOUT = timedelta(seconds=60)


@activity.defn
async def echo(value: str) -> str:
    return value


@activity.defn
async def io_step(value: str) -> str:
    await asyncio.sleep(0.02)  # an I/O wait: a call to another service
    return value.upper()


@workflow.defn
class NoActivity:
    @workflow.run
    async def run(self, name: str) -> str:
        return name


@workflow.defn
class OneActivity:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(echo, name, start_to_close_timeout=TIMEOUT)


@workflow.defn
class MixChild:
    @workflow.run
    async def run(self, parent_id: str) -> None:
        await workflow.get_external_workflow_handle(parent_id).signal("go")


@workflow.defn
class Mix:
    def __init__(self) -> None:
        self.released = False

    @workflow.signal
    def go(self) -> None:
        self.released = True

    @workflow.run
    async def run(self, name: str) -> int:
        await workflow.sleep(timedelta(milliseconds=50))
        shouted = await workflow.execute_activity(io_step, name, start_to_close_timeout=TIMEOUT)
        checksum = sum(index * index for index in range(20_000)) % 1_000  # CPU-bound step
        parent_id = workflow.info().workflow_id
        await workflow.execute_child_workflow(MixChild.run, parent_id, id=f"{parent_id}-child")
        await workflow.wait_condition(lambda: self.released)
        return len(shouted) + checksum


SCENARIOS = {"no_activity": NoActivity, "one_activity": OneActivity, "mix": Mix}
WORKFLOWS = [NoActivity, OneActivity, Mix, MixChild]
ACTIVITIES = [echo, io_step]
