"""Inputs of the standalone activity calls of :py:class:`OutboundInterceptor` (names and fields
as in ``temporalio.client``).

A standalone activity is started by a client rather than by a workflow; each
:py:class:`ActivityHandle` call builds one of these and passes it down the interceptor chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    Priority,
    RetryPolicy,
    TypedSearchAttributes,
)

if TYPE_CHECKING:
    from tempyral.client._standalone_activity_options import ActivityOptionsUpdate

__all__ = [
    "CancelActivityInput",
    "CountActivitiesInput",
    "DescribeActivityInput",
    "ListActivitiesInput",
    "PauseActivityInput",
    "StartActivityInput",
    "TerminateActivityInput",
    "UnpauseActivityInput",
    "UpdateActivityOptionsInput",
]


@dataclass
class StartActivityInput:
    """Input for :py:meth:`OutboundInterceptor.start_activity`."""

    activity_type: str
    args: Sequence[Any]
    id: str
    task_queue: str
    result_type: type | None
    schedule_to_close_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    id_reuse_policy: ActivityIDReusePolicy
    id_conflict_policy: ActivityIDConflictPolicy
    retry_policy: RetryPolicy | None
    priority: Priority
    search_attributes: TypedSearchAttributes | None
    summary: str | None
    start_delay: timedelta | None
    headers: Mapping[str, Payload]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class CancelActivityInput:
    """Input for :py:meth:`OutboundInterceptor.cancel_activity`."""

    activity_id: str
    activity_run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TerminateActivityInput:
    """Input for :py:meth:`OutboundInterceptor.terminate_activity`."""

    activity_id: str
    activity_run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class PauseActivityInput:
    """Input for :py:meth:`OutboundInterceptor.pause_activity`."""

    activity_id: str
    activity_run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UnpauseActivityInput:
    """Input for :py:meth:`OutboundInterceptor.unpause_activity`."""

    activity_id: str
    activity_run_id: str | None
    reason: str | None
    jitter: timedelta | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UpdateActivityOptionsInput:
    """Input for :py:meth:`OutboundInterceptor.update_activity_options`."""

    activity_id: str
    activity_run_id: str | None
    updates: Sequence[ActivityOptionsUpdate[Any]]
    restore_original: bool
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeActivityInput:
    """Input for :py:meth:`OutboundInterceptor.describe_activity`."""

    activity_id: str
    activity_run_id: str | None
    include_input: bool
    include_outcome: bool
    include_heartbeat_details: bool
    include_last_failure: bool
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class ListActivitiesInput:
    """Input for :py:meth:`OutboundInterceptor.list_activities`."""

    query: str | None
    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    limit: int | None


@dataclass
class CountActivitiesInput:
    """Input for :py:meth:`OutboundInterceptor.count_activities`."""

    query: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
