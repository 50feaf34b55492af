"""The Nexus service a tempyral worker serves in the Nexus tests, and its handler workflows.

Operations of ``TempyralNexusService``:

* ``echo(str) -> str``: a sync result;
* ``describe(str) -> dict``: what ``tempyral.nexus`` says inside a handler (info, client,
  in_operation, the request's headers and deadline);
* ``fail(str) -> str``: raises the error named by its input (handler errors, application
  errors, operation errors);
* ``survive(str) -> str``: raises ``SystemExit``, then ``KeyboardInterrupt``, then answers,
  one per attempt (the caller's server retries); the attempts are counted in ``ATTEMPTS``;
* ``until_cancelled(str) -> str``: waits until its task is cancelled, recording the reason in
  ``CANCEL_REASONS``, and answers on a later attempt;
* ``until_shutdown(str) -> str``: waits for the worker's shutdown and answers (each attempt's
  request deadline goes to ``DEADLINES``, a cancellation's reason to ``CANCEL_REASONS``);
* ``until_released(str) -> str``: every attempt records its request deadline in ``DEADLINES``
  and waits until its task is cancelled (recording the reason in ``CANCEL_REASONS``), until the
  test adds the input to ``RELEASED``: then the attempt answers;
* ``held(str) -> str``: runs until the test sets ``HELD[input]``;
* ``nudge(str) -> int``: signals and queries the ``Tally`` workflow whose ID is the input;
* ``greet_by_workflow(str) -> str``: a workflow-run operation (``Greet``);
* ``greet_by_temporal_operation(str) -> str``: the same through ``@temporal_operation``;
* ``shout_by_activity(str) -> str``: a standalone activity (``shout``) backs the operation;
* ``add_by_update(dict) -> int``: the update ``add`` of the ``Tally`` workflow whose ID is the
  input backs the operation;
* ``wait_by_workflow(str) -> str``: a workflow-run operation whose workflow waits until
  cancelled (``WaitForever``).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import nexusrpc
from nexusrpc.handler import StartOperationContext, service_handler, sync_operation

from tempyral import activity, nexus, workflow
from tempyral.client import WorkflowUpdateStage
from tempyral.exceptions import ApplicationError

ATTEMPTS: Counter[str] = Counter()
HELD: dict[str, asyncio.Event] = {}
CANCEL_REASONS: dict[str, list[str | None]] = {}
DEADLINES: dict[str, list[datetime | None]] = {}
RELEASED: set[str] = set()


@contextmanager
def recording_cancellation(ctx: StartOperationContext, key: str) -> Iterator[None]:
    """Records in ``CANCEL_REASONS[key]`` why the task was cancelled, if it is."""
    try:
        yield
    except asyncio.CancelledError:
        CANCEL_REASONS.setdefault(key, []).append(ctx.task_cancellation.cancellation_reason())
        raise


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn
class Greet:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"hello {name}"


@workflow.defn
class Tally:
    """Its update ``add`` waits for the signal ``release`` when asked to, then answers."""

    def __init__(self) -> None:
        self.released = False
        self.total = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.released and workflow.all_handlers_finished())
        return self.total

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.query
    def current(self) -> int:
        return self.total

    @workflow.update
    async def add(self, wait: bool) -> int:
        if wait:
            await workflow.wait_condition(lambda: self.released)
        self.total += 1
        return self.total


@workflow.defn
class WaitForever:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.wait_condition(lambda: False)
        return name


def _failure(kind: str) -> BaseException:
    errors: dict[str, BaseException] = {
        "bad_request": nexusrpc.HandlerError(
            "the input is wrong", type=nexusrpc.HandlerErrorType.BAD_REQUEST
        ),
        "not_found": nexusrpc.HandlerError(
            "nothing here", type=nexusrpc.HandlerErrorType.NOT_FOUND
        ),
        "internal_non_retryable": nexusrpc.HandlerError(
            "broken for good",
            type=nexusrpc.HandlerErrorType.INTERNAL,
            retryable_override=False,
        ),
        "unauthorized": nexusrpc.HandlerError(
            "not for you", type=nexusrpc.HandlerErrorType.UNAUTHORIZED
        ),
        "unauthenticated": nexusrpc.HandlerError(
            "who are you", type=nexusrpc.HandlerErrorType.UNAUTHENTICATED
        ),
        "not_implemented": nexusrpc.HandlerError(
            "not yet", type=nexusrpc.HandlerErrorType.NOT_IMPLEMENTED
        ),
        "unavailable_non_retryable": nexusrpc.HandlerError(
            "gone for good",
            type=nexusrpc.HandlerErrorType.UNAVAILABLE,
            retryable_override=False,
        ),
        "resource_exhausted_non_retryable": nexusrpc.HandlerError(
            "no room",
            type=nexusrpc.HandlerErrorType.RESOURCE_EXHAUSTED,
            retryable_override=False,
        ),
        "application_non_retryable": ApplicationError(
            "application says no", type="Refused", non_retryable=True
        ),
        "operation_failed": nexusrpc.OperationError(
            "the operation failed", state=nexusrpc.OperationErrorState.FAILED
        ),
        "operation_canceled": nexusrpc.OperationError(
            "the operation was canceled", state=nexusrpc.OperationErrorState.CANCELED
        ),
    }
    return errors[kind]


@service_handler(name="TempyralNexusService")
class TempyralNexusService:
    @sync_operation
    async def echo(self, ctx: StartOperationContext, input: str) -> str:
        return f"echo {input}"

    @sync_operation
    async def describe(self, ctx: StartOperationContext, input: str) -> dict[str, Any]:
        info = nexus.info()
        return {
            "in_operation": nexus.in_operation(),
            "endpoint": info.endpoint,
            "namespace": info.namespace,
            "task_queue": info.task_queue,
            "client_namespace": nexus.client().namespace,
            "service": ctx.service,
            "operation": ctx.operation,
            "has_deadline": ctx.request_deadline is not None,
            "is_worker_shutdown": nexus.is_worker_shutdown(),
            "inbound_links": [(link.type, link.url) for link in ctx.inbound_links],
        }

    @sync_operation
    async def fail(self, ctx: StartOperationContext, input: str) -> str:
        raise _failure(input)

    @sync_operation
    async def survive(self, ctx: StartOperationContext, input: str) -> str:
        ATTEMPTS[input] += 1
        if ATTEMPTS[input] == 1:
            raise SystemExit(3)
        if ATTEMPTS[input] == 2:
            raise KeyboardInterrupt
        return f"survived {input} after {ATTEMPTS[input]} attempts"

    @sync_operation
    async def until_cancelled(self, ctx: StartOperationContext, input: str) -> str:
        ATTEMPTS[input] += 1
        if ATTEMPTS[input] > 1:
            return f"attempt {ATTEMPTS[input]}"
        with recording_cancellation(ctx, input):
            await asyncio.sleep(600)
        return "never"

    @sync_operation
    async def until_released(self, ctx: StartOperationContext, input: str) -> str:
        ATTEMPTS[input] += 1
        DEADLINES.setdefault(input, []).append(ctx.request_deadline)
        if input in RELEASED:
            return f"attempt {ATTEMPTS[input]}"
        with recording_cancellation(ctx, input):
            await asyncio.sleep(600)
        return "never"

    @sync_operation
    async def nudge(self, ctx: StartOperationContext, input: str) -> int:
        """Signals ``release`` to the ``Tally`` workflow ``input`` and queries its total."""
        handle = nexus.client().get_workflow_handle(input)
        await handle.signal(Tally.release)
        total: int = await handle.query(Tally.current)
        return total

    @sync_operation
    async def held(self, ctx: StartOperationContext, input: str) -> str:
        """Runs until ``HELD[input]`` is set."""
        ATTEMPTS[input] += 1
        await HELD.setdefault(input, asyncio.Event()).wait()
        return f"released {input}"

    @sync_operation
    async def until_shutdown(self, ctx: StartOperationContext, input: str) -> str:
        ATTEMPTS[input] += 1
        DEADLINES.setdefault(input, []).append(ctx.request_deadline)
        with recording_cancellation(ctx, input):
            await nexus.wait_for_worker_shutdown()
        return f"saw shutdown: {nexus.is_worker_shutdown()}"

    @nexus.temporal_operation
    async def greet_by_temporal_operation(
        self,
        ctx: nexus.TemporalStartOperationContext,
        client: nexus.TemporalNexusClient,
        input: str,
    ) -> nexus.TemporalOperationResult[str]:
        return await client.start_workflow(Greet.run, input, id=f"greet-t-{ctx.request_id}")

    @nexus.temporal_operation
    async def shout_by_activity(
        self,
        ctx: nexus.TemporalStartOperationContext,
        client: nexus.TemporalNexusClient,
        input: str,
    ) -> nexus.TemporalOperationResult[str]:
        return await client.start_activity(
            shout, input, id=f"shout-{ctx.request_id}", start_to_close_timeout=timedelta(seconds=10)
        )

    @nexus.temporal_operation
    async def add_by_update(
        self,
        ctx: nexus.TemporalStartOperationContext,
        client: nexus.TemporalNexusClient,
        input: dict[str, Any],
    ) -> nexus.TemporalOperationResult[int]:
        return await client.start_workflow_update(
            input["workflow_id"],
            Tally.add,
            input["wait"],
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )

    @nexus.workflow_run_operation
    async def greet_by_workflow(
        self, ctx: nexus.WorkflowRunOperationContext, input: str
    ) -> nexus.WorkflowHandle[str]:
        return await ctx.start_workflow(Greet.run, input, id=f"greet-{ctx.request_id}")

    @nexus.workflow_run_operation
    async def wait_by_workflow(
        self, ctx: nexus.WorkflowRunOperationContext, input: str
    ) -> nexus.WorkflowHandle[str]:
        return await ctx.start_workflow(WaitForever.run, input, id=f"wait-{input}")


@service_handler(name="ThreadedNexusService")
class ThreadedNexusService:
    """A ``def`` operation: run in the worker's ``nexus_task_executor``."""

    @sync_operation
    def where(self, ctx: StartOperationContext, input: str) -> dict[str, Any]:
        return {
            "thread": threading.current_thread().name,
            "task_queue": nexus.info().task_queue,
            "input": input,
        }
