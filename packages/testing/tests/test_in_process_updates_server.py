"""The in-process server writes an update's history as the official test server does.

One scenario (an update accepted whose handler sleeps, an update rejected by its validator, a
signal, the run's end) runs on the in-process environment and on the time-skipping test server
(the official Java server, with tempyral's client and worker on both); the event types of the
two histories must be the same, event by event.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from tempyral.testing import WorkflowEnvironment
from tempyral.testing._in_process import start_in_process
from tempyral.worker import Worker

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).with_name("update_counter.py")


def load_sample() -> ModuleType:
    # importlib mode: test modules do not import their siblings; the file is loaded by path.
    spec = importlib.util.spec_from_file_location("update_counter", SAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["update_counter"] = module
    spec.loader.exec_module(module)
    return module


Counter = load_sample().Counter


async def scenario(env: WorkflowEnvironment) -> list[str]:
    async with Worker(env.client, task_queue="u", workflows=[Counter], build_id="updates-server"):
        handle = await env.client.start_workflow(Counter.run, id="compared", task_queue="u")
        # The update comes after the first task (else whether it rides with it is a race).
        for _ in range(500):
            if len(await names(handle)) >= 4:
                break
            await asyncio.sleep(0.01)
        # Accepted only: the official time-skipping server skips time for result waits alone.
        added = await handle.start_update(
            Counter.add, 2, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(Counter.add, 0)
        await handle.signal(Counter.finish)
        assert await handle.result() == 2
        assert await added.result() == 2
        return await names(handle)


async def names(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [
        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events
    ]


async def test_update_histories_have_the_test_servers_events() -> None:
    async with await start_in_process() as env:
        in_process = await scenario(env)
    async with await WorkflowEnvironment.start_time_skipping() as env:
        on_server = await scenario(env)
    assert in_process == on_server
    assert "WORKFLOW_EXECUTION_UPDATE_ACCEPTED" in in_process
    assert "WORKFLOW_EXECUTION_UPDATE_COMPLETED" in in_process
