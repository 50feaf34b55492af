"""What the server says about standalone activities: one per listed activity
(:py:class:`ActivityExecution`), one for ``ActivityHandle.describe``
(:py:class:`ActivityExecutionDescription`), and counts.

Payloads in a description (input, result, failures, heartbeat details) stay raw until asked for,
then go through the data converter with the activity's serialization context.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from google.protobuf.message import Message
from typing_extensions import Self

from tempyral.api.activity.v1.message_pb2 import (
    ActivityExecutionInfo,
    ActivityExecutionListInfo,
    ActivityExecutionOutcome,
    CallbackInfo,
)
from tempyral.api.common.v1.message_pb2 import Payloads
from tempyral.api.enums.v1 import activity_pb2 as activity_enums
from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    CountActivityExecutionsResponse,
    DescribeActivityExecutionResponse,
)
from tempyral.client._helpers import _utc
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributeValue,
    TypedSearchAttributes,
    WorkerDeploymentVersion,
)
from tempyral.converter import (
    DataConverter,
    _decode_search_attribute_value,
    decode_typed_search_attributes,
)

__all__ = [
    "ActivityExecution",
    "ActivityExecutionCount",
    "ActivityExecutionCountAggregationGroup",
    "ActivityExecutionDescription",
    "ActivityExecutionStatus",
    "PendingActivityState",
]


class ActivityExecutionStatus(IntEnum):
    """Status of a standalone activity (``temporal.api.enums.v1.ActivityExecutionStatus``)."""

    UNSPECIFIED = activity_enums.ACTIVITY_EXECUTION_STATUS_UNSPECIFIED
    RUNNING = activity_enums.ACTIVITY_EXECUTION_STATUS_RUNNING
    COMPLETED = activity_enums.ACTIVITY_EXECUTION_STATUS_COMPLETED
    FAILED = activity_enums.ACTIVITY_EXECUTION_STATUS_FAILED
    CANCELED = activity_enums.ACTIVITY_EXECUTION_STATUS_CANCELED
    TERMINATED = activity_enums.ACTIVITY_EXECUTION_STATUS_TERMINATED
    TIMED_OUT = activity_enums.ACTIVITY_EXECUTION_STATUS_TIMED_OUT
    PAUSED = activity_enums.ACTIVITY_EXECUTION_STATUS_PAUSED


class PendingActivityState(IntEnum):
    """Where a RUNNING activity is (``temporal.api.enums.v1.PendingActivityState``)."""

    UNSPECIFIED = workflow_enums.PENDING_ACTIVITY_STATE_UNSPECIFIED
    SCHEDULED = workflow_enums.PENDING_ACTIVITY_STATE_SCHEDULED
    STARTED = workflow_enums.PENDING_ACTIVITY_STATE_STARTED
    CANCEL_REQUESTED = workflow_enums.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    PAUSED = workflow_enums.PENDING_ACTIVITY_STATE_PAUSED
    PAUSE_REQUESTED = workflow_enums.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED


def _time(message: Message, name: str) -> datetime | None:
    value = getattr(message, name)
    return _utc(value) if message.HasField(name) else None


def _duration(message: Message, name: str) -> timedelta | None:
    value = getattr(message, name)
    return value.ToTimedelta() if message.HasField(name) else None


@dataclass(frozen=True, eq=False, kw_only=True)
class ActivityExecution:
    """A standalone activity as listing returns it."""

    activity_id: str
    """Activity ID."""
    activity_run_id: str | None
    """Run ID of the activity."""
    activity_type: str
    """Activity type name."""
    close_time: datetime | None
    """When the activity closed, if it has."""
    execution_duration: timedelta | None
    """Time from schedule to close, once closed."""
    execution_time: datetime | None
    """When the first attempt becomes available to workers (schedule time plus start delay)."""
    namespace: str
    """Namespace of the activity (the client's)."""
    schedule_time: datetime
    """When the activity was scheduled."""
    status: ActivityExecutionStatus
    """Current status."""
    task_queue: str
    """Task queue the activity is scheduled on."""
    typed_search_attributes: TypedSearchAttributes
    """Search attributes of the activity."""
    raw_info: ActivityExecutionListInfo | ActivityExecutionInfo = field(repr=False)
    """The underlying protobuf info."""

    @classmethod
    def _from_raw_info(
        cls,
        info: ActivityExecutionListInfo | ActivityExecutionInfo,
        namespace: str,
        **kwargs: Any,
    ) -> Self:
        return cls(
            raw_info=info,
            activity_id=info.activity_id,
            activity_run_id=info.run_id or None,
            activity_type=info.activity_type.name,
            close_time=_time(info, "close_time"),
            execution_duration=_duration(info, "execution_duration"),
            execution_time=_time(info, "execution_time"),
            namespace=namespace,
            schedule_time=_time(info, "schedule_time") or datetime.min,
            status=ActivityExecutionStatus(info.status),
            task_queue=info.task_queue,
            typed_search_attributes=decode_typed_search_attributes(info.search_attributes),
            **kwargs,
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class ActivityExecutionDescription(ActivityExecution):
    """A standalone activity as ``ActivityHandle.describe`` returns it."""

    attempt: int
    """Current attempt number."""
    canceled_reason: str | None
    """Reason given when cancellation was requested."""
    close_time: datetime | None
    """When the activity closed, if it has."""
    current_retry_interval: timedelta | None
    """Wait before the next retry, if one is scheduled."""
    expiration_time: datetime | None
    """When the schedule-to-close timeout expires."""
    heartbeat_timeout: timedelta | None
    """Configured heartbeat timeout."""
    last_attempt_complete_time: datetime | None
    """When the last attempt finished."""
    last_deployment_version: WorkerDeploymentVersion | None
    """Worker deployment version the activity was last dispatched to."""
    last_heartbeat_time: datetime | None
    """When the last heartbeat was recorded."""
    last_started_time: datetime | None
    """When the last attempt started."""
    last_worker_identity: str | None
    """Identity of the worker that ran the last attempt."""
    next_attempt_schedule_time: datetime | None
    """When the next attempt is scheduled."""
    priority: Priority
    """Priority of the activity."""
    retry_policy: RetryPolicy | None
    """Retry policy of the activity."""
    run_state: PendingActivityState | None
    """Finer state while the status is RUNNING."""
    schedule_to_close_timeout: timedelta | None
    """Configured schedule-to-close timeout."""
    schedule_to_start_timeout: timedelta | None
    """Configured schedule-to-start timeout."""
    start_to_close_timeout: timedelta | None
    """Configured start-to-close timeout."""
    start_delay: timedelta | None
    """Delay before the first attempt was dispatched."""
    total_heartbeat_count: int
    """Heartbeats recorded over all attempts (0 when none, or when the server does not say)."""
    raw_info: ActivityExecutionInfo = field(repr=False)
    """The underlying protobuf info."""
    raw_callbacks: Sequence[CallbackInfo] = field(repr=False)
    """The underlying protobuf callbacks."""
    raw_input: Payloads | None = field(repr=False)
    """The activity's input, when describe asked for it; see :py:meth:`input`."""
    raw_outcome: ActivityExecutionOutcome | None = field(repr=False)
    """The outcome, when describe asked for it; see :py:meth:`result` and
    :py:meth:`outcome_failure`."""
    data_converter: DataConverter = field(repr=False)
    """Converter for the payloads above (the client's, with the activity's context)."""

    @classmethod
    def _from_resp(
        cls,
        resp: DescribeActivityExecutionResponse,
        namespace: str,
        data_converter: DataConverter,
        **kwargs: Any,
    ) -> Self:
        info = resp.info
        version = info.last_deployment_version
        return cls._from_raw_info(
            info=info,
            namespace=namespace,
            attempt=info.attempt,
            canceled_reason=info.canceled_reason or None,
            current_retry_interval=_duration(info, "current_retry_interval"),
            expiration_time=_time(info, "expiration_time"),
            heartbeat_timeout=_duration(info, "heartbeat_timeout"),
            last_attempt_complete_time=_time(info, "last_attempt_complete_time"),
            last_deployment_version=(
                WorkerDeploymentVersion(version.deployment_name, version.build_id)
                if info.HasField("last_deployment_version")
                else None
            ),
            last_heartbeat_time=_time(info, "last_heartbeat_time"),
            last_started_time=_time(info, "last_started_time"),
            last_worker_identity=info.last_worker_identity or None,
            next_attempt_schedule_time=_time(info, "next_attempt_schedule_time"),
            priority=Priority._from_proto(info.priority),
            retry_policy=(
                RetryPolicy.from_proto(info.retry_policy) if info.HasField("retry_policy") else None
            ),
            run_state=PendingActivityState(info.run_state) if info.run_state else None,
            schedule_to_close_timeout=_duration(info, "schedule_to_close_timeout"),
            schedule_to_start_timeout=_duration(info, "schedule_to_start_timeout"),
            start_to_close_timeout=_duration(info, "start_to_close_timeout"),
            start_delay=_duration(info, "start_delay"),
            total_heartbeat_count=info.total_heartbeat_count,
            raw_callbacks=resp.callbacks,
            raw_input=resp.input if resp.HasField("input") else None,
            raw_outcome=resp.outcome if resp.HasField("outcome") else None,
            data_converter=data_converter,
            **kwargs,
        )

    def has_heartbeat_details(self) -> bool:
        """Whether heartbeat details came back (describe with ``include_heartbeat_details``)."""
        return self.raw_info.HasField("heartbeat_details")

    async def heartbeat_details(self, type_hints: list[type] | None = None) -> list[Any] | None:
        """The last heartbeat's details, or None when they did not come back."""
        if not self.has_heartbeat_details():
            return None
        return await self.data_converter.decode_wrapper(self.raw_info.heartbeat_details, type_hints)

    def has_last_failure(self) -> bool:
        """Whether the last attempt's failure came back (describe with ``include_last_failure``)."""
        return self.raw_info.HasField("last_failure")

    async def last_failure(self) -> BaseException | None:
        """The failure of the last failed attempt, or None when it did not come back."""
        if not self.has_last_failure():
            return None
        return await self.data_converter.decode_failure(self.raw_info.last_failure)

    def has_input(self) -> bool:
        """Whether the input came back (describe with ``include_input``)."""
        return self.raw_input is not None

    async def input(self, type_hints: list[type] | None = None) -> list[Any] | None:
        """The activity's arguments, or None when they did not come back."""
        if self.raw_input is None:
            return None
        return await self.data_converter.decode_wrapper(self.raw_input, type_hints)

    def has_result(self) -> bool:
        """Whether a successful result came back (describe with ``include_outcome``)."""
        return self.raw_outcome is not None and self.raw_outcome.HasField("result")

    async def result(self, type_hint: type | None = None) -> Any | None:
        """The activity's result, or None when it did not succeed or it did not come back."""
        if self.raw_outcome is None or not self.raw_outcome.HasField("result"):
            return None
        hints = [type_hint] if type_hint is not None else None
        results = await self.data_converter.decode_wrapper(self.raw_outcome.result, hints)
        if not results:
            return None
        if len(results) > 1:
            warnings.warn(f"Expected single activity result, got {len(results)}", stacklevel=2)
        return results[0]

    def has_outcome_failure(self) -> bool:
        """Whether the activity closed with a failure that came back (``include_outcome``)."""
        return self.raw_outcome is not None and self.raw_outcome.HasField("failure")

    async def outcome_failure(self) -> BaseException | None:
        """The failure the activity closed with, or None (see :py:meth:`last_failure` for a
        running activity's last failed attempt)."""
        if self.raw_outcome is None or not self.raw_outcome.HasField("failure"):
            return None
        return await self.data_converter.decode_failure(self.raw_outcome.failure)


@dataclass(frozen=True)
class ActivityExecutionCountAggregationGroup:
    """One group of a grouped activity count."""

    count: int
    """Activities in this group."""
    group_values: Sequence[SearchAttributeValue]
    """The values that define the group."""

    @staticmethod
    def _from_raw(
        raw: CountActivityExecutionsResponse.AggregationGroup,
    ) -> ActivityExecutionCountAggregationGroup:
        return ActivityExecutionCountAggregationGroup(
            count=raw.count,
            group_values=[_decode_search_attribute_value(v) for v in raw.group_values],
        )


@dataclass(frozen=True)
class ActivityExecutionCount:
    """What ``Client.count_activities`` returns."""

    count: int
    """Activities matching the query."""
    groups: Sequence[ActivityExecutionCountAggregationGroup]
    """Groups, when the query has a GROUP BY."""

    @staticmethod
    def _from_raw(resp: CountActivityExecutionsResponse) -> ActivityExecutionCount:
        return ActivityExecutionCount(
            count=resp.count,
            groups=[ActivityExecutionCountAggregationGroup._from_raw(g) for g in resp.groups],
        )
