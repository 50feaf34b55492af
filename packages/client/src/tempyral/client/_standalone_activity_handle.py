""":py:class:`ActivityHandle`, the caller's handle to a standalone activity, and
:py:class:`ActivityExecutionAsyncIterator`, what ``Client.list_activities`` returns.

The result is long-polled with ``PollActivityExecution`` until the server has an outcome; every
other call goes down the client's interceptor chain.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, cast

from tempyral.api.activity.v1.message_pb2 import ActivityExecutionOutcome
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    ListActivityExecutionsRequest,
    PollActivityExecutionRequest,
)
from tempyral.client._errors import ActivityFailureError
from tempyral.client._helpers import NO_METADATA
from tempyral.client._paging import _PageIterator
from tempyral.client._standalone_activity_info import (
    ActivityExecution,
    ActivityExecutionDescription,
)
from tempyral.client._standalone_activity_inputs import (
    CancelActivityInput,
    DescribeActivityInput,
    ListActivitiesInput,
    PauseActivityInput,
    TerminateActivityInput,
    UnpauseActivityInput,
    UpdateActivityOptionsInput,
)
from tempyral.client._standalone_activity_options import (
    ActivityExecutionOptions,
    ActivityOptionsUpdate,
)
from tempyral.client._types import ReturnType
from tempyral.converter import ActivitySerializationContext, DataConverter
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["ActivityExecutionAsyncIterator", "ActivityHandle"]


class ActivityExecutionAsyncIterator(_PageIterator[ListActivitiesInput, ActivityExecution]):
    """Iterates standalone activities with ``async for``; makes no call until iterated."""

    def __init__(self, client: Client, input: ListActivitiesInput) -> None:
        """Create the iterator; use :py:meth:`Client.list_activities` instead."""
        super().__init__(client, input)
        self._limit = input.limit
        self._yielded = 0

    async def _fetch_page(self, page_size: int | None) -> tuple[list[ActivityExecution], bytes]:
        size = page_size or self._input.page_size
        if self._limit is not None:
            size = min(size, self._limit - self._yielded)
        response = await self._client.workflow_service.list_activity_executions(
            ListActivityExecutionsRequest(
                namespace=self._client.namespace,
                page_size=size,
                next_page_token=self._next_page_token or b"",
                query=self._input.query or "",
            ),
            retry=True,
            metadata=self._input.rpc_metadata,
            timeout=self._input.rpc_timeout,
        )
        namespace = self._client.namespace
        page = [ActivityExecution._from_raw_info(info, namespace) for info in response.executions]
        return page, response.next_page_token

    async def __anext__(self) -> ActivityExecution:
        """The next activity, fetching the next page when needed."""
        if self._limit is not None and self._yielded >= self._limit:
            raise StopAsyncIteration
        entry = await super().__anext__()
        self._yielded += 1
        return entry


class ActivityHandle(Generic[ReturnType]):
    """Handle to an activity started by a client (not by a workflow)."""

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: str | None = None,
        result_type: type | None = None,
    ) -> None:
        """Create the handle; use :py:meth:`Client.start_activity` or
        :py:meth:`Client.get_activity_handle` instead."""
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_type = result_type
        self._known_outcome: ActivityExecutionOutcome | None = None

    @functools.cached_property
    def _data_converter(self) -> DataConverter:
        return self._client.data_converter.with_context(
            ActivitySerializationContext(
                namespace=self._client.namespace,
                activity_id=self._id,
                activity_type=None,
                activity_task_queue=None,
                workflow_id=None,
                workflow_type=None,
                is_local=False,
            )
        )

    @property
    def id(self) -> str:
        """ID of the activity."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """Run ID of the activity (None targets the latest run)."""
        return self._run_id

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ReturnType:
        """Wait for the activity to close and return its result.

        The outcome is kept, so a second call makes no RPC. ``rpc_timeout`` bounds each poll,
        not the wait: a poll that times out is repeated.

        Raises:
            ActivityFailureError: The activity failed, timed out, was cancelled or terminated;
                the cause says which.
        """
        outcome = await self._poll_until_outcome(rpc_metadata, rpc_timeout)
        if outcome.HasField("failure"):
            raise ActivityFailureError(
                cause=await self._data_converter.decode_failure(outcome.failure)
            )
        hints = [self._result_type] if self._result_type else None
        results = await self._data_converter.decode_wrapper(outcome.result, hints)
        if not results:
            return cast(ReturnType, None)
        if len(results) > 1:
            warnings.warn(f"Expected single activity result, got {len(results)}", stacklevel=2)
        return cast(ReturnType, results[0])

    async def _poll_until_outcome(
        self, rpc_metadata: Mapping[str, str | bytes], rpc_timeout: timedelta | None
    ) -> ActivityExecutionOutcome:
        if self._known_outcome is not None:
            return self._known_outcome
        request = PollActivityExecutionRequest(
            namespace=self._client.namespace, activity_id=self._id, run_id=self._run_id or ""
        )
        while True:
            try:
                response = await self._client.workflow_service.poll_activity_execution(
                    request, retry=True, metadata=rpc_metadata, timeout=rpc_timeout
                )
            except RPCError as err:
                # A long poll that ends without an outcome is the normal case: poll again.
                if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
                    continue
                if err.status == RPCStatusCode.CANCELLED:
                    raise asyncio.CancelledError() from err
                raise
            if response.HasField("outcome"):
                self._known_outcome = response.outcome
                return response.outcome

    async def cancel(
        self,
        *,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Request cancellation; the activity learns of it when it next heartbeats, and is
        cancelled when it lets the resulting ``CancelledError`` out."""
        await self._client._impl.cancel_activity(
            CancelActivityInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def terminate(
        self,
        *,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Close the activity at once; a running attempt is told to cancel on its next
        heartbeat, and its outcome is ignored."""
        await self._client._impl.terminate_activity(
            TerminateActivityInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def pause(
        self,
        *,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Pause the activity: no attempt is dispatched or retried until :py:meth:`unpause`."""
        await self._client._impl.pause_activity(
            PauseActivityInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def unpause(
        self,
        *,
        reason: str | None = None,
        jitter: timedelta | None = None,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Resume a paused activity (at a random time within ``jitter`` when given)."""
        await self._client._impl.unpause_activity(
            UnpauseActivityInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                reason=reason,
                jitter=jitter,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def update_options(
        self,
        updates: Sequence[ActivityOptionsUpdate[Any]],
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityExecutionOptions:
        """Change the options ``updates`` name (built from ``ActivityOptionsKeys``); return
        the options the server then holds.

        Raises:
            ValueError: ``updates`` is empty or names an option twice.
        """
        if not updates:
            raise ValueError(
                "update_options needs at least one update; to go back to the options the "
                "activity started with, call restore_original_options()"
            )
        names = [update.key.name for update in updates]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"update_options got more than one update for {', '.join(repeated)}")
        return await self._client._impl.update_activity_options(
            UpdateActivityOptionsInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                updates=updates,
                restore_original=False,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def restore_original_options(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityExecutionOptions:
        """Go back to the options the activity started with (a call of its own: the server
        refuses a restore combined with other changes)."""
        return await self._client._impl.update_activity_options(
            UpdateActivityOptionsInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                updates=[],
                restore_original=True,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def describe(
        self,
        *,
        include_input: bool = False,
        include_outcome: bool = False,
        include_heartbeat_details: bool = False,
        include_last_failure: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityExecutionDescription:
        """Describe the activity; the ``include_*`` flags ask for its payloads too."""
        return await self._client._impl.describe_activity(
            DescribeActivityInput(
                activity_id=self._id,
                activity_run_id=self._run_id,
                include_input=include_input,
                include_outcome=include_outcome,
                include_heartbeat_details=include_heartbeat_details,
                include_last_failure=include_last_failure,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )
