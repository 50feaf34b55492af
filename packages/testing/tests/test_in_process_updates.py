"""Workflow updates in the in-process environment: executed, started then awaited, rejected by a
validator, deduplicated by id; the histories replay in our Replayer (at each test's teardown)
and in the official SDK's (a separate process running the same workflow file on ``temporalio``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from tempyral.common import WorkflowIDConflictPolicy
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.testing._in_process import InProcessWorkflowEnvironment, start_in_process
from tempyral.worker import Replayer, Worker

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

OFFICIAL_REPLAY = textwrap.dedent(
    """
    import asyncio, importlib.util, json, os, sys
    import temporalio.workflow
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    sys.modules["tempyral.workflow"] = temporalio.workflow
    import tempyral  # the namespace package; its workflow module is now the official one
    tempyral.workflow = temporalio.workflow
    spec = importlib.util.spec_from_file_location("update_counter", sys.argv[1])
    sample = importlib.util.module_from_spec(spec)
    sys.modules["update_counter"] = sample
    spec.loader.exec_module(sample)

    async def main() -> None:
        histories = json.load(open(sys.argv[2]))
        # Unsandboxed: the sandbox would re-import the sample by name, without the alias.
        replayer = Replayer(workflows=[sample.Counter], workflow_runner=UnsandboxedWorkflowRunner())
        failures = []
        for workflow_id, history in histories:
            result = await replayer.replay_workflow(
                WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False
            )
            if result.replay_failure is not None:
                failures.append(f"{workflow_id}: {result.replay_failure}")
        print(json.dumps({"replayed": len(histories), "failures": failures}))

    asyncio.run(main())
    # The official SDK's native runtime can abort while the interpreter finalizes
    # (PyGILState_Release) after its work is done: leave before finalization.
    sys.stdout.flush()
    os._exit(0)
    """
)


@pytest.fixture
async def env() -> AsyncIterator[InProcessWorkflowEnvironment]:
    """An in-process environment with a worker; every run it made is replayed at teardown."""
    environment = await start_in_process()
    try:
        async with Worker(
            environment.client,
            task_queue="updates",
            workflows=[Counter],
            build_id="in-process-updates",
        ):
            yield environment
    finally:
        await environment.shutdown()
    histories = environment.workflow_histories()
    results = await Replayer(workflows=[Counter]).replay_workflows(
        histories, raise_on_replay_failure=False
    )
    assert not results.replay_failures, f"histories that do not replay: {results.replay_failures}"


def event_names(env: InProcessWorkflowEnvironment, workflow_id: str) -> list[str]:
    return [
        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        for event in env.history_of(workflow_id)
    ]


def update_events(env: InProcessWorkflowEnvironment, workflow_id: str) -> list[str]:
    return [
        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_WORKFLOW_EXECUTION_")
        for event in env.history_of(workflow_id)
        if "UPDATE" in EventType.Name(event.event_type)
    ]


async def test_execute_update_returns_the_handlers_result_after_virtual_days(
    env: InProcessWorkflowEnvironment,
) -> None:
    handle = await env.client.start_workflow(Counter.run, id="count", task_queue="updates")
    before = await env.get_current_time()
    assert await handle.execute_update(Counter.add, 2) == 2
    assert await env.get_current_time() - before >= timedelta(days=2)
    assert await handle.execute_update(Counter.add, 1) == 3
    await handle.signal(Counter.finish)
    assert await handle.result() == 3
    assert update_events(env, "count") == ["UPDATE_ACCEPTED", "UPDATE_COMPLETED"] * 2


async def test_a_started_update_is_accepted_first_and_its_result_awaited_later(
    env: InProcessWorkflowEnvironment,
) -> None:
    handle = await env.client.start_workflow(Counter.run, id="started", task_queue="updates")
    update = await handle.start_update(
        Counter.add, 3, id="add-3", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    assert update.id == "add-3"
    # Accepted, not completed: the handler still sleeps its three virtual days.
    assert update_events(env, "started") == ["UPDATE_ACCEPTED"]
    assert await update.result() == 3
    # A handle fetched later polls the same outcome.
    assert await handle.get_update_handle_for(Counter.add, "add-3").result() == 3
    await handle.signal(Counter.finish)
    assert await handle.result() == 3


async def test_a_validator_rejects_the_update_without_a_history_event(
    env: InProcessWorkflowEnvironment,
) -> None:
    handle = await env.client.start_workflow(Counter.run, id="rejected", task_queue="updates")
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await handle.execute_update(Counter.add, 0)
    assert "cannot add 0: amounts start at 1" in str(raised.value.cause)
    assert update_events(env, "rejected") == []
    # The workflow goes on: the next update is accepted.
    assert await handle.execute_update(Counter.add, 1) == 1
    await handle.signal(Counter.finish)
    assert await handle.result() == 1


async def test_an_update_id_sent_twice_runs_its_handler_once(
    env: InProcessWorkflowEnvironment,
) -> None:
    handle = await env.client.start_workflow(Counter.run, id="twice", task_queue="updates")
    first, second = await asyncio.gather(
        handle.execute_update(Counter.add, 2, id="once"),
        handle.execute_update(Counter.add, 2, id="once"),
    )
    assert first == second == 2
    await handle.signal(Counter.finish)
    assert await handle.result() == 2


async def test_an_update_that_arrives_while_the_closing_task_runs_is_handled_first(
    env: InProcessWorkflowEnvironment,
) -> None:
    handle = await env.client.start_workflow(Counter.run, id="late", task_queue="updates")
    await handle.signal(Counter.finish_slowly)
    # Wait until the task that handles the signal (and would complete the run) is running.
    running = ["WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_STARTED"]
    for _ in range(300):  # the history has no change event to wait on here
        if event_names(env, "late")[-2:] == running:
            break
        await asyncio.sleep(0.01)
    assert event_names(env, "late")[-2:] == running
    # The server fails that task (UNHANDLED_COMMAND) so the workflow sees the update first.
    assert await handle.execute_update(Counter.add, 1) == 1
    assert await handle.result() == 1
    assert "WORKFLOW_TASK_FAILED" in event_names(env, "late")


async def test_an_update_of_a_closed_run_is_refused(env: InProcessWorkflowEnvironment) -> None:
    handle = await env.client.start_workflow(Counter.run, id="closed", task_queue="updates")
    await handle.signal(Counter.finish)
    await handle.result()
    with pytest.raises(Exception, match="workflow execution already completed"):
        await handle.execute_update(Counter.add, 1)


def start_counter(
    workflow_id: str, policy: WorkflowIDConflictPolicy
) -> WithStartWorkflowOperation[Counter, int]:
    return WithStartWorkflowOperation(
        Counter.run, id=workflow_id, task_queue="updates", id_conflict_policy=policy
    )


async def test_update_with_start_starts_the_run_or_updates_the_running_one(
    env: InProcessWorkflowEnvironment,
) -> None:
    first = start_counter("with-start", WorkflowIDConflictPolicy.USE_EXISTING)
    assert (
        await env.client.execute_update_with_start_workflow(
            Counter.add, 2, start_workflow_operation=first
        )
        == 2
    )
    again = start_counter("with-start", WorkflowIDConflictPolicy.USE_EXISTING)
    assert (
        await env.client.execute_update_with_start_workflow(
            Counter.add, 1, start_workflow_operation=again
        )
        == 3
    )
    handle = await first.workflow_handle()
    assert (await again.workflow_handle()).result_run_id == handle.result_run_id
    refused = start_counter("with-start", WorkflowIDConflictPolicy.FAIL)
    with pytest.raises(WorkflowAlreadyStartedError):
        await env.client.execute_update_with_start_workflow(
            Counter.add, 1, start_workflow_operation=refused
        )
    await handle.signal(Counter.finish)
    assert await handle.result() == 3


async def test_the_official_replayer_accepts_in_process_histories_with_updates(
    tmp_path: Path,
) -> None:
    async with await start_in_process() as env:
        async with Worker(
            env.client, task_queue="updates", workflows=[Counter], build_id="updates-official"
        ):
            handle = await env.client.start_workflow(Counter.run, id="mixed", task_queue="updates")
            started = await handle.start_update(
                Counter.add, 2, wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update(Counter.add, -5)
            assert await handle.execute_update(Counter.add, 1) == 1
            assert await started.result() == 3
            await handle.signal(Counter.finish)
            assert await handle.result() == 3
            # Update-with-start: the update arrives with the run's first workflow task.
            start = start_counter("quick", WorkflowIDConflictPolicy.FAIL)
            assert (
                await env.client.execute_update_with_start_workflow(
                    Counter.add, 4, start_workflow_operation=start
                )
                == 4
            )
            quick = await start.workflow_handle()
            await quick.signal(Counter.finish)
            await quick.result()
        histories = env.workflow_histories()
    assert len(histories) == 2
    saved = tmp_path / "histories.json"
    saved.write_text(json.dumps([(h.workflow_id, h.to_json_dict()) for h in histories]))
    script = tmp_path / "official_replay.py"
    script.write_text(OFFICIAL_REPLAY)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(script), str(SAMPLE), str(saved)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"replayed": 2, "failures": []}
