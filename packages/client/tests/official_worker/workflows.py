"""Workflows and activities the official SDK's worker hosts for tempyral.client's tests.

Imported only by ``main.py``, in its own process (tempyral's tests never import temporalio).
Names the tests use are the workflow type names, signal/query/update names and activity ids.
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

# Headers seen by the worker, per workflow id: [kind, name, {header: {encoding, data}}].
SEEN_HEADERS: dict[str, list[list[Any]]] = defaultdict(list)

NO_RETRY = RetryPolicy(maximum_attempts=1)


def _describe_headers(headers: Any) -> dict[str, dict[str, str]]:
    return {
        key: {
            "encoding": payload.metadata.get("encoding", b"").decode(),
            "data": base64.b64encode(payload.data).decode(),
        }
        for key, payload in headers.items()
    }


class _RecordHeaders(WorkflowInboundInterceptor):
    def _record(self, kind: str, name: str, headers: Any) -> None:
        if headers:
            SEEN_HEADERS[workflow.info().workflow_id].append(
                [kind, name, _describe_headers(headers)]
            )

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        self._record("workflow", workflow.info().workflow_type, input.headers)
        return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        self._record("signal", input.signal, input.headers)
        await super().handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        if input.query != "seen_headers":
            self._record("query", input.query, input.headers)
        return await super().handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        self._record("update", input.update, input.headers)
        return await super().handle_update_handler(input)


class HeaderRecorder(Interceptor):
    """Worker interceptor recording the headers each workflow receives."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _RecordHeaders


@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@workflow.defn
class MultiArgs:
    @workflow.run
    async def run(self, a: int, b: int, label: str) -> dict[str, Any]:
        return {"sum": a + b, "label": label}


@workflow.defn
class Interactive:
    """Collects items from signals and updates until finished."""

    # The initial items are in place before any signal handler runs: a signal sent right after
    # the start can be delivered in the workflow's first task, before run() begins.
    @workflow.init
    def __init__(self, initial: list[str]) -> None:
        self.items: list[str] = list(initial)
        self.done = False

    @workflow.run
    async def run(self, initial: list[str]) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def add_many(self, first: str, second: str) -> None:
        self.items.extend([first, second])

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query(name="items")
    def get_items(self) -> list[str]:
        return self.items

    @workflow.query
    def prefixed(self, prefix: str) -> list[str]:
        return [prefix + item for item in self.items]

    @workflow.query
    def fail_query(self) -> None:
        raise ValueError("query failed on purpose")

    @workflow.query
    def seen_headers(self) -> list[list[Any]]:
        return SEEN_HEADERS.get(workflow.info().workflow_id, [])

    @workflow.update
    async def add_and_count(self, item: str) -> int:
        self.items.append(item)
        return len(self.items)

    @add_and_count.validator
    def _validate_add_and_count(self, item: str) -> None:
        if not item:
            raise ValueError("empty items are rejected")

    @workflow.update
    async def fail_update(self, message: str) -> None:
        raise ApplicationError(message, {"why": "on purpose"}, type="UpdateFailed")

    @workflow.update
    async def wait_for_release(self, item: str) -> int:
        await workflow.wait_condition(lambda: "release" in self.items)
        self.items.append(item)
        return len(self.items)

    @workflow.update
    async def finish_update(self) -> list[str]:
        self.done = True
        return self.items


@activity.defn
async def failing_activity(message: str) -> None:
    raise ApplicationError(message, "activity detail", type="ActivityFailure", non_retryable=True)


@workflow.defn
class Failing:
    """Ends in the way ``kind`` says."""

    @workflow.run
    async def run(self, kind: str) -> str:
        if kind == "application":
            raise ApplicationError(
                "application failure", {"detail": 1}, "two", type="CustomType", non_retryable=True
            )
        if kind == "activity":
            await workflow.execute_activity(
                failing_activity,
                "activity failure",
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=NO_RETRY,
            )
        if kind == "retry_then_succeed":
            attempt = workflow.info().attempt
            if attempt < 2:
                raise ApplicationError(f"attempt {attempt} fails")
            return f"succeeded on attempt {attempt}"
        if kind == "wait":
            await asyncio.sleep(3600)
        if kind == "cancel_with_details":
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                raise CancelledError("cancelled with details", "detail-1") from None
        return kind


@workflow.defn
class ContinueAsNew:
    @workflow.run
    async def run(self, remaining: int, runs: int) -> int:
        if remaining > 0:
            workflow.continue_as_new(args=[remaining - 1, runs + 1])
        return runs


@activity.defn
async def async_activity() -> Any:
    """Hands its task token to its workflow, then completes asynchronously."""
    info = activity.info()
    handle = activity.client().get_workflow_handle(info.workflow_id, run_id=info.workflow_run_id)
    await handle.signal("token", info.task_token)
    activity.raise_complete_async()


@workflow.defn
class AsyncCompletion:
    """Runs one asynchronously completed activity (id ``async-activity``)."""

    def __init__(self) -> None:
        self._token: bytes | None = None
        self._cancel = False

    @workflow.run
    async def run(self) -> Any:
        handle = workflow.start_activity(
            async_activity,
            activity_id="async-activity",
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=NO_RETRY,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self._cancel or handle.done())
        if self._cancel and not handle.done():
            handle.cancel()
        try:
            return await handle
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                return {"cancelled": list(err.cause.details)}
            raise

    @workflow.signal
    def token(self, token: bytes) -> None:
        self._token = token

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.query
    def task_token(self) -> bytes | None:
        return self._token


WORKFLOWS = [Greeting, MultiArgs, Interactive, Failing, ContinueAsNew, AsyncCompletion]
ACTIVITIES = [failing_activity, async_activity]
