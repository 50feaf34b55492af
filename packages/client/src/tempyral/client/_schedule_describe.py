"""What describing and listing schedules return, the update callback's types, and the listing
iterator.

Listing is eventually consistent: a schedule just created or deleted may not show yet.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tempyral.api.common.v1.message_pb2 import Memo
from tempyral.api.common.v1.message_pb2 import WorkflowExecution as WorkflowExecutionProto
from tempyral.api.schedule.v1 import message_pb2 as schedule_pb
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeScheduleResponse,
    ListSchedulesRequest,
)
from tempyral.client._helpers import _MemoMixin, _utc
from tempyral.client._paging import _PageIterator
from tempyral.client._schedule import Schedule, ScheduleSpec
from tempyral.client._schedule_inputs import ListSchedulesInput
from tempyral.common import SearchAttributes, TypedSearchAttributes
from tempyral.converter import (
    DataConverter,
    decode_search_attributes,
    decode_typed_search_attributes,
)

__all__ = [
    "ScheduleActionExecution",
    "ScheduleActionExecutionStartWorkflow",
    "ScheduleActionResult",
    "ScheduleAsyncIterator",
    "ScheduleDescription",
    "ScheduleInfo",
    "ScheduleListAction",
    "ScheduleListActionStartWorkflow",
    "ScheduleListDescription",
    "ScheduleListInfo",
    "ScheduleListSchedule",
    "ScheduleListState",
    "ScheduleUpdate",
    "ScheduleUpdateInput",
]


class ScheduleActionExecution(ABC):  # noqa: B024 - a marker base, as in the official SDK
    """An action a schedule took; :py:class:`ScheduleActionExecutionStartWorkflow` is the one."""


@dataclass
class ScheduleActionExecutionStartWorkflow(ScheduleActionExecution):
    """The workflow a schedule started."""

    workflow_id: str
    first_execution_run_id: str

    @staticmethod
    def _from_proto(execution: WorkflowExecutionProto) -> ScheduleActionExecutionStartWorkflow:
        return ScheduleActionExecutionStartWorkflow(
            workflow_id=execution.workflow_id, first_execution_run_id=execution.run_id
        )


@dataclass
class ScheduleActionResult:
    """When an action was due, when it was taken, and what it started."""

    scheduled_at: datetime
    started_at: datetime
    action: ScheduleActionExecution

    @staticmethod
    def _from_proto(result: schedule_pb.ScheduleActionResult) -> ScheduleActionResult:
        return ScheduleActionResult(
            scheduled_at=_utc(result.schedule_time),
            started_at=_utc(result.actual_time),
            action=ScheduleActionExecutionStartWorkflow._from_proto(result.start_workflow_result),
        )


@dataclass
class ScheduleInfo:
    """What a schedule has done and will do."""

    num_actions: int
    num_actions_missed_catchup_window: int
    num_actions_skipped_overlap: int
    running_actions: Sequence[ScheduleActionExecution]
    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]
    created_at: datetime
    last_updated_at: datetime | None

    @staticmethod
    def _from_proto(info: schedule_pb.ScheduleInfo) -> ScheduleInfo:
        return ScheduleInfo(
            num_actions=info.action_count,
            num_actions_missed_catchup_window=info.missed_catchup_window,
            num_actions_skipped_overlap=info.overlap_skipped,
            running_actions=[
                ScheduleActionExecutionStartWorkflow._from_proto(r) for r in info.running_workflows
            ],
            recent_actions=[ScheduleActionResult._from_proto(r) for r in info.recent_actions],
            next_action_times=[_utc(t) for t in info.future_action_times],
            created_at=_utc(info.create_time),
            last_updated_at=_utc(info.update_time) if info.HasField("update_time") else None,
        )


@dataclass
class ScheduleDescription(_MemoMixin):
    """A schedule as ``ScheduleHandle.describe`` returns it."""

    id: str
    schedule: Schedule
    info: ScheduleInfo
    typed_search_attributes: TypedSearchAttributes
    search_attributes: SearchAttributes
    data_converter: DataConverter
    raw_description: DescribeScheduleResponse

    def _memo_proto(self) -> Memo:
        return self.raw_description.memo

    @staticmethod
    def _from_proto(
        id: str, description: DescribeScheduleResponse, converter: DataConverter
    ) -> ScheduleDescription:
        return ScheduleDescription(
            id=id,
            schedule=Schedule._from_proto(description.schedule),
            info=ScheduleInfo._from_proto(description.info),
            typed_search_attributes=decode_typed_search_attributes(description.search_attributes),
            search_attributes=decode_search_attributes(description.search_attributes),
            data_converter=converter,
            raw_description=description,
        )


@dataclass
class ScheduleUpdateInput:
    """What a ``ScheduleHandle.update`` callback receives."""

    description: ScheduleDescription


@dataclass
class ScheduleUpdate:
    """What a ``ScheduleHandle.update`` callback returns: the new schedule, and its new search
    attributes (None keeps them; an empty set removes them all)."""

    schedule: Schedule
    search_attributes: TypedSearchAttributes | None = None


class ScheduleListAction(ABC):  # noqa: B024 - a marker base, as in the official SDK
    """The action of a listed schedule."""


@dataclass
class ScheduleListActionStartWorkflow(ScheduleListAction):
    """A listed schedule starts this workflow type."""

    workflow: str


@dataclass
class ScheduleListState:
    """Whether a listed schedule is paused."""

    note: str | None
    paused: bool


@dataclass
class ScheduleListSchedule:
    """The parts of a schedule that listing returns."""

    action: ScheduleListAction
    spec: ScheduleSpec
    state: ScheduleListState

    @staticmethod
    def _from_proto(info: schedule_pb.ScheduleListInfo) -> ScheduleListSchedule:
        if not info.HasField("workflow_type"):
            raise ValueError("Unknown action on schedule")
        return ScheduleListSchedule(
            action=ScheduleListActionStartWorkflow(workflow=info.workflow_type.name),
            spec=ScheduleSpec._from_proto(info.spec),
            state=ScheduleListState(note=info.notes or None, paused=info.paused),
        )


@dataclass
class ScheduleListInfo:
    """Recent and next actions of a listed schedule."""

    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]

    @staticmethod
    def _from_proto(info: schedule_pb.ScheduleListInfo) -> ScheduleListInfo:
        return ScheduleListInfo(
            recent_actions=[ScheduleActionResult._from_proto(r) for r in info.recent_actions],
            next_action_times=[_utc(t) for t in info.future_action_times],
        )


@dataclass
class ScheduleListDescription(_MemoMixin):
    """A schedule as ``Client.list_schedules`` returns it."""

    id: str
    schedule: ScheduleListSchedule | None
    info: ScheduleListInfo | None
    typed_search_attributes: TypedSearchAttributes
    search_attributes: SearchAttributes
    data_converter: DataConverter
    raw_entry: schedule_pb.ScheduleListEntry

    def _memo_proto(self) -> Memo:
        return self.raw_entry.memo

    @staticmethod
    def _from_proto(
        entry: schedule_pb.ScheduleListEntry, converter: DataConverter
    ) -> ScheduleListDescription:
        has_info = entry.HasField("info")
        return ScheduleListDescription(
            id=entry.schedule_id,
            schedule=ScheduleListSchedule._from_proto(entry.info) if has_info else None,
            info=ScheduleListInfo._from_proto(entry.info) if has_info else None,
            typed_search_attributes=decode_typed_search_attributes(entry.search_attributes),
            search_attributes=decode_search_attributes(entry.search_attributes),
            data_converter=converter,
            raw_entry=entry,
        )


class ScheduleAsyncIterator(_PageIterator[ListSchedulesInput, ScheduleListDescription]):
    """Async iterator over listed schedules (``async for s in await client.list_schedules()``)."""

    async def _fetch_page(
        self, page_size: int | None
    ) -> tuple[list[ScheduleListDescription], bytes]:
        response = await self._client.workflow_service.list_schedules(
            ListSchedulesRequest(
                namespace=self._client.namespace,
                maximum_page_size=page_size or self._input.page_size,
                next_page_token=self._next_page_token or b"",
                query=self._input.query or "",
            ),
            retry=True,
            metadata=self._input.rpc_metadata,
            timeout=self._input.rpc_timeout,
        )
        converter = self._client.data_converter
        page = [
            ScheduleListDescription._from_proto(entry, converter) for entry in response.schedules
        ]
        return page, response.next_page_token
