"""``WorkflowHandle``: the calls made on one workflow (result, describe, signal, query, updates,
cancel, terminate, history).

``result()`` long-polls the history for the close event (``HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT``
with ``wait_new_event``); when the run continued as new, was retried or is a cron run, the close
event names the next run, which ``follow_runs=True`` (the default) follows until a run ends for
good.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, cast

from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    SignalWithStartWorkflowExecutionResponse,
    StartWorkflowExecutionResponse,
)
from tempyral.client._definitions import (
    query_name_and_result_type,
    signal_name,
    update_name_and_result_type,
)
from tempyral.client._errors import WorkflowContinuedAsNewError, WorkflowFailureError
from tempyral.client._helpers import NO_METADATA
from tempyral.client._history import WorkflowHistory, WorkflowHistoryEventFilterType
from tempyral.client._inputs import (
    CancelWorkflowInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    QueryWorkflowInput,
    RpcMetadata,
    SignalWorkflowInput,
    StartWorkflowUpdateInput,
    TerminateWorkflowInput,
)
from tempyral.client._types import ReturnType, SelfType
from tempyral.client._update import WorkflowUpdateHandle, WorkflowUpdateStage
from tempyral.common import QueryRejectCondition, _arg_or_args, _arg_unset
from tempyral.common._logging import logger
from tempyral.converter import DataConverter, WorkflowSerializationContext
from tempyral.exceptions import CancelledError, TerminatedError, TimeoutError, TimeoutType

if TYPE_CHECKING:
    from tempyral.client._client import Client
    from tempyral.client._list import (
        WorkflowExecutionDescription,
        WorkflowHistoryEventAsyncIterator,
    )

_ALL_EVENTS = WorkflowHistoryEventFilterType.ALL_EVENT

__all__ = ["WorkflowHandle"]


class _NextRun(Exception):
    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class WorkflowHandle(Generic[SelfType, ReturnType]):
    """Handle for interacting with a workflow.

    Get one from :py:meth:`Client.start_workflow` or :py:meth:`Client.get_workflow_handle`.
    """

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: str | None = None,
        result_run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
        start_workflow_response: StartWorkflowExecutionResponse
        | SignalWithStartWorkflowExecutionResponse
        | None = None,
    ) -> None:
        """Create a workflow handle (prefer the client's methods)."""
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type
        self._start_workflow_response = start_workflow_response

    @functools.cached_property
    def _data_converter(self) -> DataConverter:
        return self._client.data_converter.with_context(
            WorkflowSerializationContext(namespace=self._client.namespace, workflow_id=self._id)
        )

    @property
    def id(self) -> str:
        """ID of the workflow."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """Run every call of this handle targets, if any (set by ``get_workflow_handle``).

        Handles from ``start_workflow`` leave it unset, so their calls reach the latest run.
        """
        return self._run_id

    @property
    def result_run_id(self) -> str | None:
        """Run :py:meth:`result` starts from: the started run, or :py:attr:`run_id`."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> str | None:
        """First run of the chain cancel and terminate are limited to, if known."""
        return self._first_execution_run_id

    async def result(
        self,
        *,
        follow_runs: bool = True,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ReturnType:
        """Wait for the workflow to close and return its result.

        Args:
            follow_runs: Follow continue-as-new, retry and cron runs to the last one (default);
                if false, the first run's close decides.
            rpc_metadata: Headers for each history call; they override the client's.
            rpc_timeout: Deadline of each history call (not of the whole wait).

        Raises:
            WorkflowFailureError: The workflow failed, was cancelled, terminated or timed out;
                ``cause`` is the ApplicationError, CancelledError, TerminatedError, TimeoutError
                (etc.) that says how.
            WorkflowContinuedAsNewError: ``follow_runs`` is false and the run continued as new.
        """
        run_id = self._result_run_id
        while True:
            events = self._client._impl.fetch_workflow_history_events(
                FetchWorkflowHistoryEventsInput(
                    id=self._id,
                    run_id=run_id,
                    page_size=None,
                    next_page_token=None,
                    wait_new_event=True,
                    event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT,
                    skip_archival=True,
                    rpc_metadata=rpc_metadata,
                    rpc_timeout=rpc_timeout,
                )
            )
            try:
                async for event in events:
                    return await self._close_event_result(event, follow_runs)
            except _NextRun as next_run:
                logger.debug(
                    "Workflow {} run {} was followed by run {}; waiting for that one",
                    self._id,
                    run_id,
                    next_run.run_id,
                )
                run_id = next_run.run_id
                continue
            raise RuntimeError("No completion event found")

    async def _close_event_result(self, event: HistoryEvent, follow_runs: bool) -> ReturnType:
        """The result a close event stands for: a value, an error, or the next run to follow."""
        converter = self._data_converter
        if event.HasField("workflow_execution_completed_event_attributes"):
            completed = event.workflow_execution_completed_event_attributes
            if follow_runs and completed.new_execution_run_id:
                raise _NextRun(completed.new_execution_run_id)
            hints = [self._result_type] if self._result_type else None
            results = await converter.decode_wrapper(completed.result, hints)
            if len(results) > 1:
                warnings.warn(f"Expected single result, got {len(results)}", stacklevel=3)
            return cast(ReturnType, results[0] if results else None)
        if event.HasField("workflow_execution_failed_event_attributes"):
            failed = event.workflow_execution_failed_event_attributes
            if follow_runs and failed.new_execution_run_id:
                raise _NextRun(failed.new_execution_run_id)
            raise WorkflowFailureError(cause=await converter.decode_failure(failed.failure))
        if event.HasField("workflow_execution_canceled_event_attributes"):
            details = await converter.decode_wrapper(
                event.workflow_execution_canceled_event_attributes.details
            )
            raise WorkflowFailureError(cause=CancelledError("Workflow cancelled", *details))
        if event.HasField("workflow_execution_terminated_event_attributes"):
            terminated = event.workflow_execution_terminated_event_attributes
            details = await converter.decode_wrapper(terminated.details)
            cause = TerminatedError(terminated.reason or "Workflow terminated", *details)
            raise WorkflowFailureError(cause=cause)
        if event.HasField("workflow_execution_timed_out_event_attributes"):
            timed_out = event.workflow_execution_timed_out_event_attributes
            if follow_runs and timed_out.new_execution_run_id:
                raise _NextRun(timed_out.new_execution_run_id)
            cause_timeout = TimeoutError(
                "Workflow timed out", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[]
            )
            raise WorkflowFailureError(cause=cause_timeout)
        if event.HasField("workflow_execution_continued_as_new_event_attributes"):
            new_run_id = (
                event.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            )
            if not new_run_id:
                raise RuntimeError("Unexpectedly missing new run ID from continue as new")
            if follow_runs:
                raise _NextRun(new_run_id)
            raise WorkflowContinuedAsNewError(new_run_id)
        raise RuntimeError(f"Unexpected close event type {event.event_type}")

    async def cancel(
        self,
        *,
        reason: str = "",
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Request cancellation of the workflow (of :py:attr:`run_id` if set, within the chain
        of :py:attr:`first_execution_run_id` if set).

        Raises:
            RPCError: The workflow could not be cancelled (e.g. it is not running).
        """
        await self._client._impl.cancel_workflow(
            CancelWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def describe(
        self, *, rpc_metadata: RpcMetadata = NO_METADATA, rpc_timeout: timedelta | None = None
    ) -> WorkflowExecutionDescription:
        """Describe the workflow (:py:attr:`run_id` if set, else the latest run)."""
        return await self._client._impl.describe_workflow(
            DescribeWorkflowInput(
                id=self._id, run_id=self._run_id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    async def fetch_history(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = _ALL_EVENTS,
        skip_archival: bool = False,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistory:
        """The whole history (every page of :py:meth:`fetch_history_events`)."""
        events = self.fetch_history_events(
            event_filter_type=event_filter_type,
            skip_archival=skip_archival,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return WorkflowHistory(workflow_id=self._id, events=[event async for event in events])

    def fetch_history_events(
        self,
        *,
        page_size: int | None = None,
        next_page_token: bytes | None = None,
        wait_new_event: bool = False,
        event_filter_type: WorkflowHistoryEventFilterType = _ALL_EVENTS,
        skip_archival: bool = False,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistoryEventAsyncIterator:
        """History events as an async iterator (no call until iterated)."""
        return self._client._impl.fetch_workflow_history_events(
            FetchWorkflowHistoryEventsInput(
                id=self._id,
                run_id=self._run_id,
                page_size=page_size,
                next_page_token=next_page_token,
                wait_new_event=wait_new_event,
                event_filter_type=event_filter_type,
                skip_archival=skip_archival,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def query(
        self,
        query: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        result_type: type | None = None,
        reject_condition: QueryRejectCondition | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Query the workflow (:py:attr:`run_id` if set, else the latest run).

        Args:
            query: Query name, or the query method of the workflow class.
            arg: The single argument of the query.
            args: All arguments of the query (not with ``arg``).
            result_type: Type to convert the result to (for string names).
            reject_condition: When the server should refuse the query; defaults to the client's.
            rpc_metadata: Headers for the call; they override the client's.
            rpc_timeout: Deadline of the call.

        Raises:
            WorkflowQueryRejectedError: The reject condition matched.
            WorkflowQueryFailedError: The query failed in the workflow or has no handler.
            RPCError: The query could not be made.
        """
        name, hinted_type = query_name_and_result_type(query)
        default_reject = self._client._config["default_workflow_query_reject_condition"]
        return await self._client._impl.query_workflow(
            QueryWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                query=name,
                args=_arg_or_args(arg, args),
                reject_condition=reject_condition or default_reject,
                headers={},
                ret_type=result_type or hinted_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def signal(
        self,
        signal: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Send a signal (name or signal method) to the workflow.

        Raises:
            RPCError: The signal could not be delivered (e.g. the workflow is closed).
        """
        await self._client._impl.signal_workflow(
            SignalWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                signal=signal_name(signal),
                args=_arg_or_args(arg, args),
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def terminate(
        self,
        *args: Any,
        reason: str | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Terminate the workflow, recording ``args`` as details and ``reason``.

        Raises:
            RPCError: The workflow could not be terminated (e.g. it is not running).
        """
        await self._client._impl.terminate_workflow(
            TerminateWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                args=args,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def execute_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Send an update and wait for its result.

        Raises:
            WorkflowUpdateFailedError: The update was rejected or failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: The call timed out or was cancelled.
            RPCError: The update could not be sent.
        """
        handle = await self.start_update(
            update,
            arg,
            args=args,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()

    async def start_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send an update and return its handle once it reached ``wait_for_stage``
        (ACCEPTED or COMPLETED; ADMITTED is not supported yet).

        Raises:
            WorkflowUpdateRPCTimeoutOrCancelledError: The call timed out or was cancelled.
            RPCError: The update could not be sent.
        """
        if wait_for_stage == WorkflowUpdateStage.ADMITTED:
            raise ValueError("ADMITTED wait stage not supported")
        name, hinted_type = update_name_and_result_type(update)
        return await self._client._impl.start_workflow_update(
            StartWorkflowUpdateInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                update_id=id,
                update=name,
                args=_arg_or_args(arg, args),
                wait_for_stage=wait_for_stage,
                headers={},
                ret_type=result_type or hinted_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    def get_update_handle(
        self, id: str, *, workflow_run_id: str | None = None, result_type: type | None = None
    ) -> WorkflowUpdateHandle[Any]:
        """A handle to an update of this workflow by its id (to wait for its result)."""
        return WorkflowUpdateHandle(
            self._client,
            id,
            self._id,
            workflow_run_id=workflow_run_id or self._run_id,
            result_type=result_type,
        )

    def get_update_handle_for(
        self, update: Callable[..., Any], id: str, *, workflow_run_id: str | None = None
    ) -> WorkflowUpdateHandle[Any]:
        """:py:meth:`get_update_handle` with the result type of the update method."""
        _, result_type = update_name_and_result_type(update)
        return self.get_update_handle(id, workflow_run_id=workflow_run_id, result_type=result_type)
