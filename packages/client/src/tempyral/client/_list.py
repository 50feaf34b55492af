"""What describing, listing and counting workflows return, and the paging iterators.

:py:class:`WorkflowExecutionAsyncIterator` and :py:class:`WorkflowHistoryEventAsyncIterator` make
no call until iterated; they fetch one page at a time and stop when the server sends no next page
token (or, for listing, when ``limit`` entries were returned).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import Self

from tempyral.api.common.v1.message_pb2 import Memo
from tempyral.api.common.v1.message_pb2 import WorkflowExecution as WorkflowExecutionProto
from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.api.workflow.v1.message_pb2 import WorkflowExecutionInfo
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    CountWorkflowExecutionsResponse,
    DescribeWorkflowExecutionResponse,
    GetWorkflowExecutionHistoryRequest,
    ListWorkflowExecutionsRequest,
)
from tempyral.client._helpers import NO_METADATA, _decode_user_metadata, _MemoMixin, _utc
from tempyral.client._history import WorkflowHistory, WorkflowHistoryEventFilterType
from tempyral.client._inputs import FetchWorkflowHistoryEventsInput, ListWorkflowsInput
from tempyral.client._paging import _PageIterator
from tempyral.common import (
    SearchAttributes,
    SearchAttributeValue,
    TypedSearchAttributes,
)
from tempyral.converter import (
    DataConverter,
    WorkflowSerializationContext,
    _decode_search_attribute_value,
    decode_search_attributes,
    decode_typed_search_attributes,
)

if TYPE_CHECKING:
    from tempyral.client._client import Client

_ALL_EVENTS = WorkflowHistoryEventFilterType.ALL_EVENT

__all__ = [
    "WorkflowExecution",
    "WorkflowExecutionAsyncIterator",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowHistoryEventAsyncIterator",
]


class WorkflowExecutionStatus(IntEnum):
    """Status of a workflow execution."""

    RUNNING = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
    COMPLETED = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    FAILED = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_FAILED)
    CANCELED = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_CANCELED)
    TERMINATED = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_TERMINATED)
    CONTINUED_AS_NEW = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
    TIMED_OUT = int(workflow_enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)


@dataclass
class WorkflowExecution(_MemoMixin):
    """Info about one workflow run, as listing returns it."""

    close_time: datetime | None
    """When the run closed, if it has."""
    execution_time: datetime | None
    """When the run started or should start (after a start delay or cron wait)."""
    history_length: int
    """Number of events in the history."""
    id: str
    """Workflow ID."""
    namespace: str
    """Namespace of the workflow."""
    parent_id: str | None
    """ID of the parent workflow, for a child workflow."""
    parent_run_id: str | None
    """Run ID of the parent workflow, for a child workflow."""
    root_id: str | None
    """ID of the root workflow."""
    root_run_id: str | None
    """Run ID of the root workflow."""
    raw_info: WorkflowExecutionInfo
    """The underlying protobuf info."""
    run_id: str
    """Run ID of this run."""
    search_attributes: SearchAttributes
    """Search attributes (deprecated form; use :py:attr:`typed_search_attributes`)."""
    start_time: datetime
    """When the workflow was created."""
    status: WorkflowExecutionStatus | None
    """Status of the run."""
    task_queue: str
    """Task queue of the workflow."""
    typed_search_attributes: TypedSearchAttributes
    """Search attributes."""
    workflow_type: str
    """Workflow type name."""
    _context_free_data_converter: DataConverter

    @property
    def data_converter(self) -> DataConverter:
        """Data converter for this workflow's payloads (with its serialization context)."""
        return self._context_free_data_converter.with_context(
            WorkflowSerializationContext(namespace=self.namespace, workflow_id=self.id)
        )

    @classmethod
    def _from_raw_info(
        cls,
        info: WorkflowExecutionInfo,
        namespace: str,
        converter: DataConverter,
        **additional_fields: Any,
    ) -> Self:
        has_parent = info.HasField("parent_execution")
        has_root = info.HasField("root_execution")
        return cls(
            close_time=_utc(info.close_time) if info.HasField("close_time") else None,
            execution_time=_utc(info.execution_time) if info.HasField("execution_time") else None,
            history_length=info.history_length,
            id=info.execution.workflow_id,
            namespace=namespace,
            parent_id=info.parent_execution.workflow_id if has_parent else None,
            parent_run_id=info.parent_execution.run_id if has_parent else None,
            root_id=info.root_execution.workflow_id if has_root else None,
            root_run_id=info.root_execution.run_id if has_root else None,
            raw_info=info,
            run_id=info.execution.run_id,
            search_attributes=decode_search_attributes(info.search_attributes),
            start_time=_utc(info.start_time),
            status=WorkflowExecutionStatus(info.status) if info.status else None,
            task_queue=info.task_queue,
            typed_search_attributes=decode_typed_search_attributes(info.search_attributes),
            workflow_type=info.type.name,
            _context_free_data_converter=converter,
            **additional_fields,
        )

    def _memo_proto(self) -> Memo:
        return self.raw_info.memo


@dataclass
class WorkflowExecutionDescription(WorkflowExecution):
    """Description of one workflow run, as ``WorkflowHandle.describe`` returns it."""

    raw_description: DescribeWorkflowExecutionResponse
    """The underlying protobuf description."""
    _static_summary: str | None = None
    _static_details: str | None = None
    _metadata_decoded: bool = False

    async def static_summary(self) -> str | None:
        """The fixed single-line summary given at start, if any."""
        await self._decode_metadata()
        return self._static_summary

    async def static_details(self) -> str | None:
        """The fixed details given at start, if any."""
        await self._decode_metadata()
        return self._static_details

    async def _decode_metadata(self) -> None:
        if self._metadata_decoded:
            return
        config = self.raw_description.execution_config
        metadata = config.user_metadata if config.HasField("user_metadata") else None
        self._static_summary, self._static_details = await _decode_user_metadata(
            self.data_converter, metadata
        )
        self._metadata_decoded = True

    @staticmethod
    async def _from_raw_description(
        description: DescribeWorkflowExecutionResponse, namespace: str, converter: DataConverter
    ) -> WorkflowExecutionDescription:
        return WorkflowExecutionDescription._from_raw_info(
            description.workflow_execution_info,
            namespace=namespace,
            converter=converter,
            raw_description=description,
        )


@dataclass
class WorkflowExecutionCountAggregationGroup:
    """One group of a count with a ``GROUP BY`` clause."""

    count: int
    """Approximate number of workflows in this group."""
    group_values: Sequence[SearchAttributeValue]
    """The search attribute values of this group."""


@dataclass
class WorkflowExecutionCount:
    """Result of ``Client.count_workflows``."""

    count: int
    """Approximate number of matching workflows (the sum of the groups with ``GROUP BY``)."""
    groups: Sequence[WorkflowExecutionCountAggregationGroup]
    """Groups of a ``GROUP BY`` query; empty otherwise."""

    @staticmethod
    def _from_raw(raw: CountWorkflowExecutionsResponse) -> WorkflowExecutionCount:
        return WorkflowExecutionCount(
            count=raw.count,
            groups=[
                WorkflowExecutionCountAggregationGroup(
                    count=group.count,
                    group_values=[_decode_search_attribute_value(v) for v in group.group_values],
                )
                for group in raw.groups
            ],
        )


class WorkflowExecutionAsyncIterator(_PageIterator[ListWorkflowsInput, WorkflowExecution]):
    """Async iterator over listed workflow runs (``async for run in client.list_workflows()``)."""

    def __init__(self, client: Client, input: ListWorkflowsInput) -> None:
        """Create the iterator; use ``Client.list_workflows`` instead."""
        super().__init__(client, input)
        self._limit = input.limit
        self._yielded = 0

    async def _fetch_page(self, page_size: int | None) -> tuple[list[WorkflowExecution], bytes]:
        size = page_size or self._input.page_size
        if self._limit is not None:
            size = min(size, self._limit - self._yielded)
        response = await self._client.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(
                namespace=self._client.namespace,
                page_size=size,
                next_page_token=self._next_page_token or b"",
                query=self._input.query or "",
            ),
            retry=True,
            metadata=self._input.rpc_metadata,
            timeout=self._input.rpc_timeout,
        )
        namespace, converter = self._client.namespace, self._client.data_converter
        page = [
            WorkflowExecution._from_raw_info(info, namespace, converter)
            for info in response.executions
        ]
        return page, response.next_page_token

    async def __anext__(self) -> WorkflowExecution:
        """The next run, fetching the next page when needed."""
        if self._limit is not None and self._yielded >= self._limit:
            raise StopAsyncIteration
        entry = await super().__anext__()
        self._yielded += 1
        return entry

    async def map_histories(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = _ALL_EVENTS,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> AsyncIterator[WorkflowHistory]:
        """The history of every listed run (``WorkflowHandle.fetch_history`` on each)."""
        async for execution in self:
            handle = self._client.get_workflow_handle(execution.id, run_id=execution.run_id)
            yield await handle.fetch_history(
                event_filter_type=event_filter_type,
                skip_archival=skip_archival,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )


class WorkflowHistoryEventAsyncIterator(
    _PageIterator[FetchWorkflowHistoryEventsInput, HistoryEvent]
):
    """Async iterator over a workflow's history events."""

    async def _fetch_page(self, page_size: int | None) -> tuple[list[HistoryEvent], bytes]:
        response = await self._client.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=self._client.namespace,
                execution=WorkflowExecutionProto(
                    workflow_id=self._input.id, run_id=self._input.run_id or ""
                ),
                maximum_page_size=page_size or self._input.page_size or 0,
                next_page_token=self._next_page_token or b"",
                wait_new_event=self._input.wait_new_event,
                history_event_filter_type=cast(
                    "workflow_enums.HistoryEventFilterType", int(self._input.event_filter_type)
                ),
                skip_archival=self._input.skip_archival,
            ),
            retry=True,
            metadata=self._input.rpc_metadata,
            timeout=self._input.rpc_timeout,
        )
        if response.raw_history:
            warnings.warn(
                "The server sent raw history, which this client does not read",
                RuntimeWarning,
                stacklevel=3,
            )
        return list(response.history.events), response.next_page_token
