"""The remaining update cases end to end, each held to what the official SDK does.

``update_workflows.py`` runs on a worker process of each SDK (``scripts/workflow_worker.py``): an
update handler that signals its own workflow (the server refuses a signal from a workflow to
itself, so the update fails with ExternalWorkflowExecutionNotFound under both SDKs). Both SDKs
must give the same outcome and write the same history event types. A run that completes while an
update handler still runs warns with the official [TMPRL1102] message, unless the handler's
policy is ABANDON; signal handlers left running warn the same way, counted by handler as the
official worker counts them. A worker without a cache replays each update before the new one,
and runs only the new one's validator. An update id is deduplicated within a run; sent again
after the run continued as new, it reaches the new run's handler, under both SDKs; an update
sent while the run's task continues as new is held by the server and reaches the new run.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from typing import Any

import pytest

from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from tempyral.worker import Worker
from tempyral.workflow import UnfinishedSignalHandlersWarning, UnfinishedUpdateHandlersWarning

from . import update_workflows
from .update_workflows import (
    ContinuesWithUpdates,
    LeavesSignalsRunning,
    LeavesUpdateRunning,
    SelfSignaling,
    UpdateAfterQuietTask,
    ValidatedOnce,
)

pytestmark = pytest.mark.integration

E = EventType
SDKS = ("official", "tempyral")


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [E.Name(event.event_type) for event in history.events]


async def started_worker(start_process: Any, sdk: str, target: str, task_queue: str) -> Any:
    worker = start_process(sdk, target, task_queue, "--workflows", "update_workflows.py")
    await worker.wait_ready()
    return worker


async def first_task_done(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the run's first task completed: what the test sends next gets a task of its own
    (else the history would depend on timing, not on the SDK)."""
    for _ in range(600):
        if "EVENT_TYPE_WORKFLOW_TASK_COMPLETED" in await event_types(handle):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never completed its first task")


async def stop(worker: Any) -> None:
    """Graceful shutdown; only tempyral's exit code is held to 0 (see test_workflow_interop)."""
    code = await asyncio.to_thread(worker.terminate)
    if worker.sdk == "tempyral":
        assert code == 0, worker.output()


async def self_signaling_on(
    client: Client, start_process: Any, target: str, sdk: str
) -> tuple[Any, list[str]]:
    task_queue = f"self-signal-{sdk}-{uuid.uuid4()}"
    worker = await started_worker(start_process, sdk, target, task_queue)
    try:
        handle = await client.start_workflow(
            SelfSignaling.run, id=f"self-signal-{uuid.uuid4()}", task_queue=task_queue
        )
        await first_task_done(handle)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await asyncio.wait_for(handle.execute_update(SelfSignaling.poke_self, "me"), 30)
        # The server refuses a workflow's signal to itself: the signal's failure fails the update.
        answer = str(failed.value.cause)
        await handle.signal(SelfSignaling.poked, "client")
        result = await asyncio.wait_for(handle.result(), 30)
    finally:
        await stop(worker)
    return (answer, result), await event_types(handle)


async def test_an_update_signals_its_own_workflow_as_on_the_official_sdk(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    outcomes = {
        sdk: await self_signaling_on(client, workflow_worker_process, tempyral_target, sdk)
        for sdk in SDKS
    }
    assert outcomes["official"][0] == (
        "ExternalWorkflowExecutionNotFound: Unable to signal external workflow because it was not"
        " found",
        ["client"],
    )
    assert outcomes["tempyral"] == outcomes["official"]


async def leave_update_running(client: Client, update: Any) -> Any:
    """Runs ``LeavesUpdateRunning`` with ``update`` still running when the run completes."""
    task_queue = f"unfinished-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[LeavesUpdateRunning]):
        handle = await client.start_workflow(
            LeavesUpdateRunning.run, id=f"unfinished-{uuid.uuid4()}", task_queue=task_queue
        )
        await handle.start_update(
            update, id="left-running", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        return await asyncio.wait_for(handle.result(), 30)


async def test_a_run_ending_with_an_update_running_warns(client: Client) -> None:
    with pytest.warns(UnfinishedUpdateHandlersWarning) as warned:
        assert await leave_update_running(client, LeavesUpdateRunning.warned) == "done"
    [message] = [str(w.message) for w in warned]
    assert message.startswith(
        "[TMPRL1102] Workflow finished while update handlers are still running."
    )
    assert '[{"name": "warned", "id": "left-running"}]' in message


async def test_an_abandoned_update_left_running_does_not_warn(client: Client) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert await leave_update_running(client, LeavesUpdateRunning.abandoned) == "done"
    assert [w for w in seen if issubclass(w.category, UnfinishedUpdateHandlersWarning)] == []


# The signals LeavesSignalsRunning receives, and the handlers its warning must list.
SIGNALS_LEFT_RUNNING = ["warned", "abandoned", "also_warned", "warned"]
UNFINISHED_SIGNALS = '[{"name": "warned", "count": 2}, {"name": "also_warned", "count": 1}]'
SIGNAL_WARNING = "[TMPRL1102] Workflow finished while signal handlers are still running."


async def leave_signals_running(client: Client, task_queue: str, signals: list[str]) -> Any:
    """Runs ``LeavesSignalsRunning`` until its handlers for ``signals`` all started; its result."""
    handle = await client.start_workflow(
        LeavesSignalsRunning.run,
        len(signals),
        id=f"unfinished-signals-{uuid.uuid4()}",
        task_queue=task_queue,
    )
    for name in signals:
        await handle.signal(name)
    return await asyncio.wait_for(handle.result(), 30)


async def test_a_run_ending_with_signal_handlers_running_warns_as_the_official_sdk(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    official_queue = f"unfinished-signals-official-{uuid.uuid4()}"
    official = await started_worker(
        workflow_worker_process, "official", tempyral_target, official_queue
    )
    try:
        assert await leave_signals_running(client, official_queue, SIGNALS_LEFT_RUNNING) == "done"
    finally:
        await stop(official)
    [official_warning] = [line for line in official.lines if "[TMPRL1102]" in line]
    # Handlers by how often they were left running; ABANDON ones are left out.
    assert f"{SIGNAL_WARNING} " in official_warning
    assert official_warning.rstrip().endswith(UNFINISHED_SIGNALS)

    task_queue = f"unfinished-signals-{uuid.uuid4()}"
    with pytest.warns(UnfinishedSignalHandlersWarning) as warned:
        async with Worker(client, task_queue=task_queue, workflows=[LeavesSignalsRunning]):
            result = await leave_signals_running(client, task_queue, SIGNALS_LEFT_RUNNING)
    assert result == "done"
    [message] = [str(w.message) for w in warned]
    assert message.startswith(f"{SIGNAL_WARNING} ")
    assert "@workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)" in message
    assert message.endswith(UNFINISHED_SIGNALS)


async def test_abandoned_signal_handlers_left_running_do_not_warn(client: Client) -> None:
    task_queue = f"unfinished-signals-{uuid.uuid4()}"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        async with Worker(client, task_queue=task_queue, workflows=[LeavesSignalsRunning]):
            result = await leave_signals_running(client, task_queue, ["abandoned", "abandoned"])
    assert result == "done"
    assert [w for w in seen if issubclass(w.category, UnfinishedSignalHandlersWarning)] == []


async def test_a_worker_without_a_cache_never_runs_a_validator_on_replay(client: Client) -> None:
    update_workflows.VALIDATIONS.clear()
    task_queue = f"validated-once-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[ValidatedOnce], max_cached_workflows=0
    ):
        handle = await client.start_workflow(
            ValidatedOnce.run, id=f"validated-once-{uuid.uuid4()}", task_queue=task_queue
        )
        for value in ("a", "b", "c"):
            await asyncio.wait_for(handle.execute_update(ValidatedOnce.append, value), 30)
        assert await asyncio.wait_for(handle.result(), 30) == ["a", "b", "c"]
    seen = update_workflows.VALIDATIONS
    # Each later task replayed the updates before it (no cache): "a" ran again as history...
    assert ("handler", "a", True) in seen
    # ...but each validator ran once, when its update was first delivered.
    assert [(value, replaying) for what, value, replaying in seen if what == "validator"] == [
        ("a", False),
        ("b", False),
        ("c", False),
    ]


async def update_after_quiet_task_on(
    client: Client, start_process: Any, target: str, sdk: str
) -> list[str]:
    task_queue = f"quiet-task-{sdk}-{uuid.uuid4()}"
    worker = await started_worker(start_process, sdk, target, task_queue)
    try:
        handle = await client.start_workflow(
            UpdateAfterQuietTask.run, id=f"quiet-task-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(600):
            if await handle.query(UpdateAfterQuietTask.seen) == ["child done"]:
                break
            await asyncio.sleep(0.05)
        assert await handle.execute_update(UpdateAfterQuietTask.note, "updated") == 2
        await handle.signal(UpdateAfterQuietTask.finish)
        result: list[str] = await asyncio.wait_for(handle.result(), 30)
    finally:
        await stop(worker)
    return result


async def test_the_task_after_an_accepted_update_continues_the_live_state(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    """A child's result in a task that answers with no command, then an update: the child's
    step comes first on both SDKs (the run stays cached after an accepted update, as on the
    official worker, and a replay keeps the command-less task's own activation)."""
    outcomes = {
        sdk: await update_after_quiet_task_on(client, workflow_worker_process, tempyral_target, sdk)
        for sdk in SDKS
    }
    assert outcomes["official"] == ["child done", "updated"]
    assert outcomes["tempyral"] == outcomes["official"]


async def new_run(client: Client, handle: WorkflowHandle[Any, Any]) -> WorkflowHandle[Any, Any]:
    """The handle of the run ``handle``'s run continued as."""
    for _ in range(600):
        latest = await client.get_workflow_handle(handle.id).describe()
        if latest.run_id != handle.result_run_id:
            return client.get_workflow_handle(handle.id, run_id=latest.run_id)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never continued as new")


async def same_update_id_across_continue_as_new(
    client: Client, start_process: Any, target: str, sdk: str
) -> dict[str, Any]:
    task_queue = f"can-updates-{sdk}-{uuid.uuid4()}"
    worker = await started_worker(start_process, sdk, target, task_queue)
    try:
        first = await client.start_workflow(
            ContinuesWithUpdates.run, 0, id=f"can-updates-{uuid.uuid4()}", task_queue=task_queue
        )
        await first_task_done(first)
        answers = [await first.execute_update(ContinuesWithUpdates.record, "a", id="dup")]
        # Delivered again to the same run: the server answers from the first outcome.
        answers.append(await first.execute_update(ContinuesWithUpdates.record, "b", id="dup"))
        await first.signal(ContinuesWithUpdates.proceed)
        second = await new_run(client, first)
        # The same id sent to the run it continued as.
        answers.append(await second.execute_update(ContinuesWithUpdates.record, "c", id="dup"))
        await second.signal(ContinuesWithUpdates.proceed)
        result = await asyncio.wait_for(second.result(), 30)
        first_run = client.get_workflow_handle(first.id, run_id=first.result_run_id)
        histories = [await event_types(first_run), await event_types(second)]
    finally:
        await stop(worker)
    return {"answers": answers, "result": result, "histories": histories}


async def test_an_update_id_across_continue_as_new_as_on_the_official_sdk(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    outcomes = {
        sdk: await same_update_id_across_continue_as_new(
            client, workflow_worker_process, tempyral_target, sdk
        )
        for sdk in SDKS
    }
    # The server deduplicates an update id within a run only: the new run runs the handler again.
    assert outcomes["official"]["answers"] == [
        "a on the first run",
        "a on the first run",
        "c on the new run",
    ]
    assert outcomes["official"]["result"] == {"generation": 1, "seen": ["dup:c"]}
    continued = "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    assert outcomes["official"]["histories"][0][-1] == continued
    assert outcomes["tempyral"] == outcomes["official"]


async def wait_for_task_started_after_signal(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(300):
        kinds = await event_types(handle)
        if "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" in kinds:
            signaled = kinds.index("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED")
            if "EVENT_TYPE_WORKFLOW_TASK_STARTED" in kinds[signaled:]:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never started the task after its signal")


async def update_during_continue_as_new(
    client: Client, start_process: Any, target: str, sdk: str
) -> dict[str, Any]:
    task_queue = f"can-during-{sdk}-{uuid.uuid4()}"
    worker = await started_worker(start_process, sdk, target, task_queue)
    try:
        first = await client.start_workflow(
            ContinuesWithUpdates.run, 0, id=f"can-during-{uuid.uuid4()}", task_queue=task_queue
        )
        await first_task_done(first)
        await first.signal(ContinuesWithUpdates.proceed, True)
        await wait_for_task_started_after_signal(first)
        latest = client.get_workflow_handle(first.id)
        try:
            answer = await asyncio.wait_for(
                latest.execute_update(ContinuesWithUpdates.record, "b", id="during"), 30
            )
        except Exception as error:
            answer = f"{type(error).__name__}: {error}"
        second = await new_run(client, first)
        await second.signal(ContinuesWithUpdates.proceed)
        result = await asyncio.wait_for(second.result(), 30)
        first_run = client.get_workflow_handle(first.id, run_id=first.result_run_id)
        histories = [await event_types(first_run), await event_types(second)]
    finally:
        await stop(worker)
    return {"answer": answer, "result": result, "histories": histories}


async def test_an_update_during_continue_as_new_as_on_the_official_sdk(
    client: Client, tempyral_target: str, workflow_worker_process: Any
) -> None:
    outcomes = {
        sdk: await update_during_continue_as_new(
            client, workflow_worker_process, tempyral_target, sdk
        )
        for sdk in SDKS
    }
    # The update the server held while the first run's task continued as new went to the new run.
    assert outcomes["official"]["answer"] == "b on the new run"
    assert outcomes["official"]["result"] == {"generation": 1, "seen": ["during:b"]}
    continued = "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    assert outcomes["official"]["histories"][0][-1] == continued
    assert outcomes["tempyral"] == outcomes["official"]
