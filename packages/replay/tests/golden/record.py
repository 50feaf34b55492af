"""Record the golden histories: run ``workflows.py`` under the OFFICIAL ``temporalio`` worker.

Run it from the repository root to refresh ``histories/``::

    hatch run python packages/replay/tests/golden/record.py

(``record.py --target HOST:PORT activity_success,timers`` runs just those scenarios against an
existing server and prints their workflow ids: the server-fetch test uses it.)

It starts a real dev server (``tempyral.testing.DevServer``), aliases ``tempyral.workflow``,
``tempyral.common`` and ``tempyral.exceptions`` to the official modules so that the very same
workflow source runs under ``temporalio``, drives each scenario (signals, cancellations) with the
official client, and writes each history with the official ``WorkflowHistory.to_json()``. One
history is also written as ``temporal workflow show --output json`` prints it, to cover that format.

The official SDK is never imported by tempyral code; this script is a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import temporalio.common
import temporalio.exceptions
import temporalio.workflow
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).parent
OUT = HERE / "histories"
TASK_QUEUE = "golden"


def load_workflows_under_official_sdk() -> Any:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    spec = importlib.util.spec_from_file_location("golden_workflows", HERE / "workflows.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_workflows"] = module
    spec.loader.exec_module(module)
    return module


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def fail_always() -> None:
    raise temporalio.exceptions.ApplicationError("always fails", non_retryable=True)


@activity.defn
async def flaky(succeed_on_attempt: int) -> str:
    attempt = activity.info().attempt
    if attempt < succeed_on_attempt:
        raise temporalio.exceptions.ApplicationError(f"attempt {attempt} failed")
    return f"succeeded on attempt {attempt}"


@activity.defn
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "slow done"


@activity.defn
async def wait_for_cancel() -> str:
    try:
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.2)
    except asyncio.CancelledError:
        raise


async def save(handle: WorkflowHandle[Any, Any], name: str) -> None:
    history = await handle.fetch_history()
    (OUT / f"{name}.json").write_text(history.to_json() + "\n")
    print(f"  {name}: {len(history.events)} events")


async def wait_started(handle: WorkflowHandle[Any, Any], event_type: str) -> None:
    """Poll history until an event of this type (e.g. ACTIVITY_TASK_STARTED) is in it."""
    for _ in range(200):
        history = await handle.fetch_history()
        if any(e.event_type == _event_type(event_type) for e in history.events):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{event_type} never happened in {handle.id}")


def _event_type(name: str) -> int:
    from temporalio.api.enums.v1 import EventType

    return int(EventType.Value(f"EVENT_TYPE_{name}"))


async def run_simple(client: Client, wf: Any, names: list[str]) -> dict[str, str]:
    """Only the scenarios that need no driving; their workflow ids (for the server-fetch test)."""
    ids = {}
    run = uuid.uuid4().hex[:8]
    scenarios = {
        "activity_success": (wf.ActivitySuccess.run, ["tempyral"]),
        "timers": (wf.Timers.run, []),
    }
    for name in names:
        fn, args = scenarios[name]
        handle = await client.start_workflow(
            fn, args=args, id=f"fetched-{name}-{run}", task_queue=TASK_QUEUE
        )
        await handle.result()
        ids[name] = handle.id
    return ids


async def record(client: Client, wf: Any) -> list[WorkflowHandle[Any, Any]]:
    run = uuid.uuid4().hex[:8]

    async def start(workflow: Any, *args: Any, name: str) -> WorkflowHandle[Any, Any]:
        return await client.start_workflow(
            workflow, args=list(args), id=f"golden-{name}-{run}", task_queue=TASK_QUEUE
        )

    saved: list[tuple[WorkflowHandle[Any, Any], str]] = []

    simple = {
        "activity_success": (wf.ActivitySuccess.run, ["tempyral"]),
        "activity_failure": (wf.ActivityFailure.run, []),
        "activity_retried": (wf.ActivityRetried.run, []),
        "activity_timeout": (wf.ActivityTimeout.run, []),
        "activity_cancelled": (wf.ActivityCancelled.run, []),
        "timers": (wf.Timers.run, []),
        "parent": (wf.Parent.run, []),
    }
    for name, (fn, args) in simple.items():
        handle = await start(fn, *args, name=name)
        try:
            await handle.result()
        except WorkflowFailureError as err:
            raise RuntimeError(f"{name}: {err.cause!r} {err.cause.__cause__!r}") from err
        saved.append((handle, name))
        if name == "parent":
            for child in ("a", "b", "c"):
                child_handle = client.get_workflow_handle(f"{handle.id}-child-{child}")
                with _ignore_failure():
                    await child_handle.result()
                saved.append((child_handle, f"child_{child}"))

    # Signals in (with a query), then signals out to a second target.
    target = await start(wf.SignalTarget.run, 3, name="signal-target")
    await target.signal(wf.SignalTarget.add, "one")
    await target.signal("add", "two")
    await target.signal(wf.SignalTarget.finish)
    await target.result()
    assert await target.query(wf.SignalTarget.seen)
    saved.append((target, "signal_target"))

    target2 = await start(wf.SignalTarget.run, 2, name="signal-target2")
    sender = await start(wf.SignalSender.run, target2.id, name="signal-sender")
    await sender.result()
    await target2.result()
    saved += [(sender, "signal_sender"), (target2, "signal_target_external")]

    # External cancel.
    cancel_target = await start(wf.CancelTarget.run, name="cancel-target")
    await wait_started(cancel_target, "TIMER_STARTED")
    canceller = await start(wf.ExternalCanceller.run, cancel_target.id, name="canceller")
    await canceller.result()
    await cancel_target.result()
    saved += [(canceller, "external_canceller"), (cancel_target, "external_cancel_target")]

    # Continue-as-new: every run of the chain.
    chain = await start(wf.ContinueAsNew.run, 0, name="continue-as-new")
    await chain.result()
    first_run = chain.result_run_id or ""
    for index, run_id in enumerate(await _run_ids(client, chain.id, first_run)):
        saved.append(
            (client.get_workflow_handle(chain.id, run_id=run_id), f"continue_as_new_{index}")
        )

    # Workflow cancellation requested by a client.
    cancellable = await start(wf.Cancellable.run, name="cancellable")
    await wait_started(cancellable, "ACTIVITY_TASK_SCHEDULED")
    await asyncio.sleep(1)  # let the worker start it (started events are written at its end)
    await cancellable.cancel()
    with _ignore_failure():
        await cancellable.result()
    saved.append((cancellable, "workflow_cancelled"))

    failing = await start(wf.Failing.run, name="failing")
    with _ignore_failure():
        await failing.result()
    saved.append((failing, "workflow_failed"))

    for name, fn, args in (
        ("child_cancelled", wf.ChildCancelled.run, []),
        ("start_failures", wf.Failures.run, []),
        ("many_activities", wf.ManyActivities.run, [40]),
    ):
        handle = await start(fn, *args, name=name)
        await handle.result()
        saved.append((handle, name))
        if name == "child_cancelled":
            for kind in ("wait_cancellation_completed", "try_cancel", "abandon"):
                child = client.get_workflow_handle(f"{handle.id}-{kind}")
                if kind == "abandon":  # never told of the cancel: it would wait an hour
                    await child.terminate("recorded")
                with _ignore_failure(), contextlib.suppress(Exception):
                    await child.result()
                saved.append((child, f"cancelled_child_{kind}"))

    with_start = await client.start_workflow(
        wf.SignalWithStart.run,
        id=f"golden-signal-with-start-{run}",
        task_queue=TASK_QUEUE,
        start_signal="first",
        start_signal_args=["a", "b"],
    )
    await with_start.signal("second")
    await with_start.result()
    saved.append((with_start, "signal_with_start"))

    sink = await start(wf.KitchenSink.run, name="kitchen-sink")
    await sink.signal(wf.KitchenSink.push, "queued-1")
    await sink.signal(wf.KitchenSink.push, "queued-2")
    await sink.result()
    saved.append((sink, "kitchen_sink"))

    index = {}
    for handle, name in saved:
        await save(handle, name)
        index[name] = handle.id
    # Histories do not carry their workflow id; replay needs it (child ids derive from it).
    (OUT / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return [h for h, _ in saved]


async def _run_ids(client: Client, workflow_id: str, _last: str) -> list[str]:
    runs = [
        execution.run_id
        async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")
    ]
    # Oldest first; visibility may lag a moment behind completion.
    for _ in range(50):
        if len(runs) == 3:
            break
        await asyncio.sleep(0.2)
        runs = [e.run_id async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    ordered = []
    for run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        ordered.append((history.events[0].event_time.ToNanoseconds(), run_id))
    return [run_id for _, run_id in sorted(ordered)]


class _ignore_failure:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: Any, tb: Any) -> bool:
        return kind is not None and issubclass(kind, WorkflowFailureError)


def write_cli_format(target: str, workflow_id: str, name: str) -> None:
    """The same history as ``temporal workflow show --output json`` prints it."""
    from tempyral.testing import find_temporal_binary

    output = subprocess.run(
        [
            str(find_temporal_binary()),
            "workflow",
            "show",
            "--address",
            target,
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    json.loads(output)
    (OUT / f"{name}.cli.json").write_text(output)
    print(f"  {name}.cli.json written by the temporal CLI")


def all_workflows(wf: Any) -> list[Any]:
    return [
        wf.ActivitySuccess,
        wf.ActivityFailure,
        wf.ActivityRetried,
        wf.ActivityTimeout,
        wf.ActivityCancelled,
        wf.Timers,
        wf.Child,
        wf.Parent,
        wf.SignalTarget,
        wf.SignalSender,
        wf.CancelTarget,
        wf.ExternalCanceller,
        wf.ContinueAsNew,
        wf.Cancellable,
        wf.Failing,
        wf.KitchenSink,
        wf.Patient,
        wf.ChildCancelled,
        wf.Failures,
        wf.SignalWithStart,
        wf.ManyActivities,
    ]


def worker(client: Client, wf: Any) -> Worker:
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=all_workflows(wf),
        activities=[greet, fail_always, flaky, slow, wait_for_cancel],
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=1),
    )


async def main() -> None:
    wf = load_workflows_under_official_sdk()
    if len(sys.argv) > 2 and sys.argv[1] == "--target":
        # Used by the server-fetch test: run a few scenarios on its server, print their ids.
        client = await Client.connect(sys.argv[2])
        async with worker(client, wf):
            print(json.dumps(await run_simple(client, wf, sys.argv[3].split(","))), flush=True)
        # The official SDK's native runtime can crash while the interpreter finalizes; the
        # work is done and printed, so leave without finalizing.
        os._exit(0)
    from tempyral.testing import DevServer

    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):  # index.json included
        old.unlink()
    async with DevServer() as server:
        client = await Client.connect(server.target)
        async with worker(client, wf):
            handles = await record(client, wf)
        kitchen = next(h for h in handles if "kitchen-sink" in h.id)
        write_cli_format(server.target, kitchen.id, "kitchen_sink")


if __name__ == "__main__":
    asyncio.run(main())
