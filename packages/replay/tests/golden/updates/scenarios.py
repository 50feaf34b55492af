"""The update scenarios, driven by a client of either SDK (the recorder aliases ``tempyral.client``
and ``tempyral.common`` to the official modules): each returns with its run finished."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from tempyral.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from tempyral.common import WorkflowIDConflictPolicy


async def drive(client: Client, wf: Any, task_queue: str) -> dict[str, WorkflowHandle[Any, Any]]:
    """Run every scenario; the handles of the runs to save, by scenario name."""
    run = uuid.uuid4().hex[:8]
    handles: dict[str, WorkflowHandle[Any, Any]] = {}

    async def start(name: str, workflow: Any, *args: Any) -> WorkflowHandle[Any, Any]:
        handle = await client.start_workflow(
            workflow, args=list(args), id=f"golden-{name}-{run}", task_queue=task_queue
        )
        handles[name] = handle
        return handle

    accepted = await start("update_accepted", wf.Counter.run)
    assert await accepted.execute_update(wf.Counter.add, 1, id="add-1") == 1
    assert await accepted.execute_update(wf.Counter.add_later, 2) == 3
    assert await accepted.execute_update(wf.Counter.greet, "updates") == "Hello, updates!"
    await accepted.execute_update(wf.Counter.finish)
    await accepted.result()

    rejected = await start("update_rejected", wf.Counter.run)
    with contextlib.suppress(WorkflowUpdateFailedError):
        await rejected.execute_update(wf.Counter.add, -1, id="negative")
        raise AssertionError("the validator did not reject")
    assert await rejected.execute_update(wf.Counter.add, 3, id="add-3") == 3
    await rejected.execute_update(wf.Counter.finish)
    await rejected.result()

    failed = await start("update_failed", wf.Counter.run)
    with contextlib.suppress(WorkflowUpdateFailedError):
        await failed.execute_update(wf.Counter.fail, "boom")
        raise AssertionError("the update did not fail")
    await failed.execute_update(wf.Counter.finish)
    await failed.result()

    async_accepted = await start("update_async_accepted", wf.Counter.run)
    later = await async_accepted.start_update(
        wf.Counter.add_later, 5, wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="later-5"
    )
    assert await async_accepted.get_update_handle("later-5").result() == 5
    assert await later.result() == 5
    await async_accepted.execute_update(wf.Counter.finish)
    await async_accepted.result()

    dedup = await start("update_deduplicated", wf.Counter.run)
    first = await dedup.execute_update(wf.Counter.add, 7, id="same-id")
    second = await dedup.execute_update(wf.Counter.add, 7, id="same-id")
    assert first == second == 7, (first, second)
    await dedup.execute_update(wf.Counter.finish)
    await dedup.result()

    dynamic = await start("update_dynamic", wf.Dynamic.run)
    assert await dynamic.execute_update("whatever", "x") == "whatever handled"
    assert await dynamic.execute_update("late", "v") == "V"
    with contextlib.suppress(WorkflowUpdateFailedError):
        await dynamic.execute_update("late", "")
        raise AssertionError("the run-time validator did not reject")
    await dynamic.execute_update("late", "stop")
    await dynamic.result()

    operation = WithStartWorkflowOperation(
        wf.StartedWithUpdate.run,
        "first",
        id=f"golden-update_with_start-{run}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    # Updates are applied before the start job, and the loop runs until idle in between: the
    # handler finishes before the run method has started.
    first_count = await client.execute_update_with_start_workflow(
        wf.StartedWithUpdate.push, "a", start_workflow_operation=operation
    )
    assert first_count == 1, first_count
    with_start = await operation.workflow_handle()
    await with_start.execute_update(wf.StartedWithUpdate.push, "b")
    await with_start.result()
    handles["update_with_start"] = with_start

    quiet = await start("update_after_quiet_task", wf.UpdateAfterQuietTask.run)
    for _ in range(600):
        if await quiet.query(wf.UpdateAfterQuietTask.seen) == ["child done"]:
            break
        await asyncio.sleep(0.05)
    assert await quiet.execute_update(wf.UpdateAfterQuietTask.note, "updated") == 2
    await quiet.signal(wf.UpdateAfterQuietTask.finish)
    assert await quiet.result() == ["child done", "updated"]
    return handles
