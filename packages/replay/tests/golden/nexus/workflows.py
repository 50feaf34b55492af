"""Caller workflows of the Nexus golden histories: one per way a Nexus operation ends.

Written against ``tempyral.workflow``; ``record.py`` runs this very file under the official SDK
(its imports aliased to ``temporalio``), with an official Nexus handler worker serving
:py:class:`GoldenService` through the endpoint :py:data:`ENDPOINT`. The handler
(``handler.py``) is the official SDK's: tempyral's callers talk to it unchanged.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import nexusrpc

from tempyral import workflow
from tempyral.exceptions import NexusOperationError

ENDPOINT = "golden-nexus-endpoint"


@nexusrpc.service
class GoldenService:
    echo: nexusrpc.Operation[str, str]  # synchronous
    fail: nexusrpc.Operation[str, str]  # synchronous, the operation fails
    reject: nexusrpc.Operation[str, str]  # synchronous, the handler refuses the request
    run_workflow: nexusrpc.Operation[str, str]  # asynchronous: a workflow run
    wait_forever: nexusrpc.Operation[str, str]  # asynchronous, finishes only when cancelled
    fail_later: nexusrpc.Operation[str, str]  # asynchronous: a workflow run that fails


def _describe(err: NexusOperationError) -> str:
    """What the caller saw of a failed operation (the same text under either SDK)."""
    cause = err.__cause__
    cause_message = getattr(cause, "message", str(cause))
    return (
        f"{err.message} | {err.service}/{err.operation}"
        f" | cause: {type(cause).__name__}: {cause_message}"
    )


@workflow.defn
class SyncResult:
    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        by_definition = await client.execute_operation(
            GoldenService.echo, name, summary="echo by definition", headers={"x-golden": "1"}
        )
        by_name: str = await client.execute_operation("echo", f"{name} by name")
        return f"{by_definition} / {by_name}"


@workflow.defn
class AsyncResult:
    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service="GoldenService", endpoint=ENDPOINT)
        handle = await client.start_operation(
            GoldenService.run_workflow,
            name,
            schedule_to_close_timeout=timedelta(minutes=5),
        )
        token = handle.operation_token
        result = await handle
        return f"{result} (token given: {bool(token)})"


@workflow.defn
class HandlerFailure:
    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        try:
            await client.execute_operation(GoldenService.fail, name)
        except NexusOperationError as err:
            return _describe(err)
        raise RuntimeError("the operation should have failed")


@workflow.defn
class HandlerError:
    """The handler refuses the request (a non-retryable ``nexusrpc.HandlerError``)."""

    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        try:
            await client.execute_operation(GoldenService.reject, name)
        except NexusOperationError as err:
            return _describe(err)
        raise RuntimeError("the handler should have refused")


@workflow.defn
class AsyncFailure:
    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        handle = await client.start_operation(GoldenService.fail_later, name)
        try:
            await handle
        except NexusOperationError as err:
            return f"{_describe(err)} (token given: {bool(handle.operation_token)})"
        raise RuntimeError("the operation should have failed")


@workflow.defn
class Cancelled:
    @workflow.run
    async def run(self, cancellation_type: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        handle = await client.start_operation(
            GoldenService.wait_forever,
            cancellation_type,
            cancellation_type=workflow.NexusOperationCancellationType[cancellation_type],
        )
        handle.cancel()
        try:
            await handle
        except NexusOperationError as err:
            return _describe(err)
        raise RuntimeError("the operation should have been cancelled")


@workflow.defn
class CancelledBeforeSent:
    """Cancelled in the task that scheduled it: the command never reaches the server."""

    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        start = asyncio.ensure_future(client.start_operation(GoldenService.echo, name))
        await asyncio.sleep(0)  # the start has issued its command
        start.cancel()
        try:
            await start
        except NexusOperationError as err:
            return _describe(err)
        raise RuntimeError("the start should have been cancelled")


@workflow.defn
class TimedOut:
    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        try:
            await client.execute_operation(
                GoldenService.wait_forever,
                name,
                schedule_to_close_timeout=timedelta(seconds=3),
            )
        except NexusOperationError as err:
            return _describe(err)
        raise RuntimeError("the operation should have timed out")


@workflow.defn
class Moving:
    """Waits between two operations for a signal: the run can change workers there (not a
    golden scenario: the interop test hands it between the SDKs' workers)."""

    def __init__(self) -> None:
        self.proceed_now = False

    @workflow.signal
    def proceed(self) -> None:
        self.proceed_now = True

    @workflow.run
    async def run(self, name: str) -> str:
        client = workflow.create_nexus_client(service=GoldenService, endpoint=ENDPOINT)
        handle = await client.start_operation(GoldenService.run_workflow, name)
        await workflow.wait_condition(lambda: self.proceed_now)
        first = await handle
        second = await client.execute_operation(GoldenService.echo, name)
        return f"{first} / {second}"


@workflow.defn
class Mailbox:
    """Started (or signalled) by :py:class:`SignalWithStart`."""

    def __init__(self) -> None:
        self.letters: list[str] = []

    @workflow.signal
    def post(self, letter: str) -> None:
        self.letters.append(letter)

    @workflow.run
    async def run(self, owner: str) -> str:
        await workflow.wait_condition(lambda: bool(self.letters))
        return f"{owner} got {self.letters}"


@workflow.defn
class SignalWithStart:
    """``workflow.signal_with_start_workflow``: a Nexus operation of the system endpoint."""

    @workflow.run
    async def run(self, mailbox_id: str) -> str:
        handle = await workflow.signal_with_start_workflow(
            Mailbox.run,
            "golden",
            id=mailbox_id,
            task_queue=workflow.info().task_queue,
            signal=Mailbox.post,
            signal_args="hello",
            execution_timeout=timedelta(minutes=5),
            static_summary="a mailbox",
        )
        return f"signalled {handle.id} (run id given: {handle.run_id is not None})"


WORKFLOWS = [
    SyncResult,
    AsyncResult,
    HandlerFailure,
    HandlerError,
    AsyncFailure,
    Cancelled,
    CancelledBeforeSent,
    TimedOut,
    Moving,
    Mailbox,
    SignalWithStart,
]
