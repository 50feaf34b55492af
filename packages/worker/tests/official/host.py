"""An official ``temporalio`` worker hosting the workflows that drive tempyral's activity tests.

Run as a separate process (the official SDK never shares a process with the code under test):

    python host.py --target HOST:PORT --task-queue QUEUE [--namespace NS]

It prints ``READY`` once its worker runs, and stops on SIGTERM/SIGINT or when stdin closes. Its
workflows schedule activities *by name* on the task queue named in their input, where a tempyral
worker runs them, so every test is also an interoperability test: the official workflow side
decodes what tempyral reports (results, failures, heartbeat details, cancellations).

Workflows:

* ``RunActivity(spec)``: one activity from a spec dict (name, args, task queue, timeouts, retry
  policy, cancellation type); with ``cancel_on_signal``, it cancels the activity when signalled
  ``cancel_activity``. Returns ``{"result": ...}`` or ``{"error": <the failure chain>}``.
* ``RunMany(spec)``: ``count`` activities (``parallel`` or one after another) with the same
  options; returns their results in order. Used for load.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    FailureError,
    TimeoutError,
)
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


def _ms(value: Any) -> timedelta | None:
    return timedelta(milliseconds=value) if value is not None else None


def _retry(spec: dict[str, Any]) -> RetryPolicy | None:
    retry = spec.get("retry")
    if retry is None:
        return None
    return RetryPolicy(
        initial_interval=timedelta(milliseconds=retry.get("initial_ms", 100)),
        backoff_coefficient=retry.get("backoff", 1.0),
        maximum_attempts=retry.get("max_attempts", 0),
        non_retryable_error_types=retry.get("non_retryable_types"),
    )


def describe(err: BaseException) -> dict[str, Any]:
    """The failure chain as plain data the test process can check."""
    found: dict[str, Any] = {"class": type(err).__name__, "message": str(err)}
    if isinstance(err, FailureError):
        found["message"] = err.message
    if isinstance(err, ActivityError):
        found["retry_state"] = err.retry_state.name if err.retry_state is not None else None
    if isinstance(err, ApplicationError):
        found["type"] = err.type
        found["non_retryable"] = err.non_retryable
        found["details"] = list(err.details)
    if isinstance(err, TimeoutError):
        found["timeout_type"] = err.type.name if err.type is not None else None
        found["last_heartbeat_details"] = list(err.last_heartbeat_details)
    if isinstance(err, CancelledError):
        found["details"] = list(err.details)
    if err.__cause__ is not None:
        found["cause"] = describe(err.__cause__)
    return found


def _start(spec: dict[str, Any]) -> workflow.ActivityHandle[Any]:
    return workflow.start_activity(
        spec["activity"],
        args=spec.get("args", []),
        task_queue=spec["task_queue"],
        activity_id=spec.get("activity_id"),
        start_to_close_timeout=_ms(spec.get("start_to_close_ms", 30_000)),
        schedule_to_close_timeout=_ms(spec.get("schedule_to_close_ms")),
        schedule_to_start_timeout=_ms(spec.get("schedule_to_start_ms")),
        heartbeat_timeout=_ms(spec.get("heartbeat_timeout_ms")),
        retry_policy=_retry(spec),
        cancellation_type=workflow.ActivityCancellationType[
            spec.get("cancellation_type", "TRY_CANCEL")
        ],
    )


@workflow.defn(name="RunActivity")
class RunActivity:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        handle = _start(spec)
        if spec.get("cancel_on_signal"):
            await workflow.wait_condition(lambda: self._cancel or handle.done())
            if not handle.done():
                handle.cancel()
        try:
            return {"result": await handle}
        except ActivityError as err:
            return {"error": describe(err)}


@workflow.defn(name="RunMany")
class RunMany:
    @workflow.run
    async def run(self, spec: dict[str, Any]) -> list[Any]:
        count = spec["count"]
        if spec.get("parallel"):
            handles = [_start({**spec, "args": [*spec.get("args", []), i]}) for i in range(count)]
            return list(await asyncio.gather(*handles))
        results = []
        for i in range(count):
            results.append(await _start({**spec, "args": [*spec.get("args", []), i]}))
        return results


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args()
    client = await Client.connect(args.target, namespace=args.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    async with Worker(
        client,
        task_queue=args.task_queue,
        workflows=[RunActivity, RunMany],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        print("READY", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
