"""What the server says about standalone Nexus operations: one per listed operation
(:py:class:`NexusOperationExecution`), one for ``NexusOperationHandle.describe``
(:py:class:`NexusOperationExecutionDescription`, with its cancellation state), and counts.

Field names and order are those of ``temporalio.client``. Failures in a description are decoded
when it is built, with the operation's ``NexusSerializationContext``; the summary and details
are decoded on first use.

.. warning::
    This API is experimental and unstable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from google.protobuf.message import Message
from typing_extensions import Self, TypedDict

from tempyral.api.nexus.v1.message_pb2 import (
    NexusOperationExecutionCancellationInfo as CancellationInfoProto,
)
from tempyral.api.nexus.v1.message_pb2 import (
    NexusOperationExecutionInfo,
    NexusOperationExecutionListInfo,
)
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    CountNexusOperationExecutionsResponse,
)
from tempyral.client._helpers import _decode_user_metadata, _utc
from tempyral.common import (
    NexusOperationCancellationState,
    NexusOperationExecutionStatus,
    PendingNexusOperationExecutionState,
    SearchAttributeValue,
    TypedSearchAttributes,
)
from tempyral.converter import (
    DataConverter,
    _decode_search_attribute_value,
    decode_typed_search_attributes,
)

__all__ = [
    "NexusOperationExecution",
    "NexusOperationExecutionCancellationInfo",
    "NexusOperationExecutionCount",
    "NexusOperationExecutionCountAggregationGroup",
    "NexusOperationExecutionDescription",
]


def _time(message: Message, name: str) -> datetime | None:
    return _utc(getattr(message, name)) if message.HasField(name) else None


def _duration(message: Message, name: str) -> timedelta | None:
    return getattr(message, name).ToTimedelta() if message.HasField(name) else None


async def _failure(
    message: Message, name: str, data_converter: DataConverter
) -> BaseException | None:
    if not message.HasField(name):
        return None
    return await data_converter.decode_failure(getattr(message, name))


@dataclass
class NexusOperationExecutionCancellationInfo:
    """Where a requested cancellation of a Nexus operation stands."""

    raw: CancellationInfoProto
    """The underlying protobuf cancellation info."""
    requested_time: datetime | None
    """When cancellation was requested."""
    state: NexusOperationCancellationState
    """State of the cancellation request."""
    attempt: int
    """Attempts made to deliver the cancel request to the handler."""
    last_attempt_complete_time: datetime | None
    """When the last delivery attempt finished."""
    next_attempt_schedule_time: datetime | None
    """When the next delivery attempt is scheduled."""
    last_attempt_failure: BaseException | None
    """Why the last delivery attempt failed, if it did."""
    blocked_reason: str
    """Why delivery is blocked, when the state is BLOCKED."""
    reason: str
    """The reason given with the cancellation request."""

    @classmethod
    async def _from_cancellation_info(
        cls, info: CancellationInfoProto, data_converter: DataConverter
    ) -> Self:
        return cls(
            raw=info,
            requested_time=_time(info, "requested_time"),
            state=NexusOperationCancellationState(info.state),
            attempt=info.attempt,
            last_attempt_complete_time=_time(info, "last_attempt_complete_time"),
            next_attempt_schedule_time=_time(info, "next_attempt_schedule_time"),
            last_attempt_failure=await _failure(info, "last_attempt_failure", data_converter),
            blocked_reason=info.blocked_reason,
            reason=info.reason,
        )


@dataclass
class NexusOperationExecution:
    """A standalone Nexus operation as listing returns it."""

    operation_id: str
    """ID of the operation."""
    run_id: str
    """Run ID of the operation."""
    endpoint: str
    """Endpoint name."""
    service: str
    """Service name."""
    operation: str
    """Operation name."""
    schedule_time: datetime | None
    """When the operation was scheduled."""
    close_time: datetime | None
    """When the operation closed, if it has."""
    status: NexusOperationExecutionStatus
    """Current status."""
    search_attributes: TypedSearchAttributes
    """Search attributes of the operation."""
    state_transition_count: int
    """Number of state transitions so far."""
    execution_duration: timedelta | None
    """Time from schedule to close, once closed."""
    raw_info: NexusOperationExecutionListInfo | NexusOperationExecutionInfo
    """The underlying protobuf info."""

    @classmethod
    def _from_raw_info(cls, info: NexusOperationExecutionListInfo) -> Self:
        return cls(**_common_fields(info))


class _CommonFields(TypedDict):
    operation_id: str
    run_id: str
    endpoint: str
    service: str
    operation: str
    schedule_time: datetime | None
    close_time: datetime | None
    status: NexusOperationExecutionStatus
    search_attributes: TypedSearchAttributes
    state_transition_count: int
    execution_duration: timedelta | None
    raw_info: NexusOperationExecutionListInfo | NexusOperationExecutionInfo


def _common_fields(
    info: NexusOperationExecutionListInfo | NexusOperationExecutionInfo,
) -> _CommonFields:
    """The fields listing and describing share (both protos carry them)."""
    return {
        "operation_id": info.operation_id,
        "run_id": info.run_id,
        "endpoint": info.endpoint,
        "service": info.service,
        "operation": info.operation,
        "schedule_time": _time(info, "schedule_time"),
        "close_time": _time(info, "close_time"),
        "status": NexusOperationExecutionStatus(info.status),
        "search_attributes": decode_typed_search_attributes(info.search_attributes),
        "state_transition_count": info.state_transition_count,
        "execution_duration": _duration(info, "execution_duration"),
        "raw_info": info,
    }


@dataclass
class NexusOperationExecutionDescription(NexusOperationExecution):
    """A standalone Nexus operation as ``NexusOperationHandle.describe`` returns it."""

    raw_description: NexusOperationExecutionInfo
    """The underlying protobuf description."""
    state: PendingNexusOperationExecutionState
    """Finer state while the status is RUNNING."""
    schedule_to_close_timeout: timedelta | None
    """Configured schedule-to-close timeout."""
    schedule_to_start_timeout: timedelta | None
    """Configured schedule-to-start timeout."""
    start_to_close_timeout: timedelta | None
    """Configured start-to-close timeout."""
    attempt: int
    """Current attempt number."""
    expiration_time: datetime | None
    """Schedule time plus the schedule-to-close timeout."""
    last_attempt_complete_time: datetime | None
    """When the last attempt finished."""
    next_attempt_schedule_time: datetime | None
    """When the next attempt is scheduled."""
    last_attempt_failure: BaseException | None
    """Why the last attempt failed, if it did."""
    blocked_reason: str | None
    """Why the operation is blocked, if it is."""
    request_id: str
    """Idempotency token of the start request."""
    operation_token: str | None
    """Token the handler gave an asynchronous operation when it started it."""
    identity: str
    """Identity of the client that started the operation."""
    cancellation_info: NexusOperationExecutionCancellationInfo | None
    """Where a requested cancellation stands, if one was requested."""
    _data_converter: DataConverter = field(kw_only=True, compare=False, repr=False)
    _static_summary: str | None = field(kw_only=True, default=None, compare=False, repr=False)
    _static_details: str | None = field(kw_only=True, default=None, compare=False, repr=False)
    _metadata_decoded: bool = field(kw_only=True, default=False, compare=False, repr=False)

    async def static_summary(self) -> str | None:
        """The one-line summary given at start (may be Temporal markdown), if any."""
        await self._decode_metadata()
        return self._static_summary

    async def static_details(self) -> str | None:
        """The details given at start (may be multi-line Temporal markdown), if any."""
        await self._decode_metadata()
        return self._static_details

    async def _decode_metadata(self) -> None:
        if self._metadata_decoded:
            return
        metadata = self.raw_description.user_metadata
        self._static_summary, self._static_details = await _decode_user_metadata(
            self._data_converter,
            metadata if self.raw_description.HasField("user_metadata") else None,
        )
        self._metadata_decoded = True

    @classmethod
    async def _from_execution_info(
        cls, info: NexusOperationExecutionInfo, data_converter: DataConverter
    ) -> Self:
        cancellation = (
            await NexusOperationExecutionCancellationInfo._from_cancellation_info(
                info.cancellation_info, data_converter
            )
            if info.HasField("cancellation_info")
            else None
        )
        return cls(
            **_common_fields(info),
            raw_description=info,
            state=PendingNexusOperationExecutionState(info.state),
            schedule_to_close_timeout=_duration(info, "schedule_to_close_timeout"),
            schedule_to_start_timeout=_duration(info, "schedule_to_start_timeout"),
            start_to_close_timeout=_duration(info, "start_to_close_timeout"),
            attempt=info.attempt,
            expiration_time=_time(info, "expiration_time"),
            last_attempt_complete_time=_time(info, "last_attempt_complete_time"),
            next_attempt_schedule_time=_time(info, "next_attempt_schedule_time"),
            last_attempt_failure=await _failure(info, "last_attempt_failure", data_converter),
            blocked_reason=info.blocked_reason or None,
            request_id=info.request_id,
            operation_token=info.operation_token or None,
            identity=info.identity,
            cancellation_info=cancellation,
            _data_converter=data_converter,
        )


@dataclass(frozen=True)
class NexusOperationExecutionCountAggregationGroup:
    """One group of a grouped Nexus operation count."""

    count: int
    """Operations in this group."""
    group_values: Sequence[SearchAttributeValue]
    """The values that define the group."""

    @staticmethod
    def _from_raw(
        raw: CountNexusOperationExecutionsResponse.AggregationGroup,
    ) -> NexusOperationExecutionCountAggregationGroup:
        return NexusOperationExecutionCountAggregationGroup(
            count=raw.count,
            group_values=[_decode_search_attribute_value(v) for v in raw.group_values],
        )


@dataclass
class NexusOperationExecutionCount:
    """What ``Client.count_nexus_operations`` returns."""

    count: int
    """Operations matching the query (the sum of the groups' counts with a GROUP BY)."""
    groups: Sequence[NexusOperationExecutionCountAggregationGroup]
    """Groups, when the query has a GROUP BY."""

    @staticmethod
    def _from_raw(resp: CountNexusOperationExecutionsResponse) -> NexusOperationExecutionCount:
        return NexusOperationExecutionCount(
            count=resp.count,
            groups=[NexusOperationExecutionCountAggregationGroup._from_raw(g) for g in resp.groups],
        )
