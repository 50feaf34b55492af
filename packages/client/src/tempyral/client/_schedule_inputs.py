"""The input dataclasses of the client's schedule calls (names and fields as in
``temporalio.client``), apart from ``_inputs`` so that a client loads them with its first
schedule call, as it does the schedule classes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.client._inputs import RpcMetadata
from tempyral.common import SearchAttributes, TypedSearchAttributes

if TYPE_CHECKING:
    from tempyral.client._schedule import (
        Schedule,
        ScheduleBackfill,
        ScheduleOverlapPolicy,
    )
    from tempyral.client._schedule_describe import (
        ScheduleUpdate,
        ScheduleUpdateInput,
    )

__all__ = [
    "BackfillScheduleInput",
    "CreateScheduleInput",
    "DeleteScheduleInput",
    "DescribeScheduleInput",
    "ListSchedulesInput",
    "PauseScheduleInput",
    "TriggerScheduleInput",
    "UnpauseScheduleInput",
    "UpdateScheduleInput",
]


@dataclass
class CreateScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.create_schedule`."""

    id: str
    schedule: Schedule
    trigger_immediately: bool
    backfill: Sequence[ScheduleBackfill]
    memo: Mapping[str, Any] | None
    search_attributes: SearchAttributes | TypedSearchAttributes | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class ListSchedulesInput:
    """Input for :py:meth:`OutboundInterceptor.list_schedules`."""

    page_size: int
    next_page_token: bytes | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    query: str | None = None


@dataclass
class BackfillScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.backfill_schedule`."""

    id: str
    backfills: Sequence[ScheduleBackfill]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class DeleteScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.delete_schedule`."""

    id: str
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class DescribeScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.describe_schedule`."""

    id: str
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class PauseScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.pause_schedule`."""

    id: str
    note: str | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class TriggerScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.trigger_schedule`."""

    id: str
    overlap: ScheduleOverlapPolicy | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class UnpauseScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.unpause_schedule`."""

    id: str
    note: str | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


@dataclass
class UpdateScheduleInput:
    """Input for :py:meth:`OutboundInterceptor.update_schedule`."""

    id: str
    updater: Callable[
        [ScheduleUpdateInput], ScheduleUpdate | None | Awaitable[ScheduleUpdate | None]
    ]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
