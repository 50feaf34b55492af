"""The local activity marker as the official SDKs write it, and what the engine reads back.

A local activity's outcome is recorded with a ``RecordMarker`` command named
``core_local_activity``. Its ``details`` hold ``data`` (one ``json/plain`` payload: sequence
number, attempt, activity id and type, completion time, backoff, original schedule time) and, on
success, ``result`` (the result payload); a failure goes in the marker's ``failure`` field.
:py:class:`LocalActivityResolution` is one outcome, produced by the worker or read from a marker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay._errors import CorruptHistoryError

__all__ = [
    "LOCAL_ACTIVITY_MARKER",
    "LocalActivityMarkerData",
    "LocalActivityRequest",
    "LocalActivityResolution",
    "marker_command",
    "read_marker",
]

LOCAL_ACTIVITY_MARKER = "core_local_activity"
_NS = 1_000_000_000

Status = Literal["completed", "failed", "timed_out", "cancelled"]


@dataclass(frozen=True)
class LocalActivityMarkerData:
    """The ``data`` detail of a marker (times in nanoseconds since the epoch)."""

    seq: int
    attempt: int
    activity_id: str
    activity_type: str
    complete_time_ns: int | None
    backoff_ns: int | None
    original_schedule_time_ns: int | None
    activation_index: int = 0

    def to_payload(self) -> common_pb2.Payload:
        data = {
            "seq": self.seq,
            "attempt": self.attempt,
            "activity_id": self.activity_id,
            "activity_type": self.activity_type,
            "complete_time": _timestamp(self.complete_time_ns),
            "backoff": _timestamp(self.backoff_ns),
            "original_schedule_time": _timestamp(self.original_schedule_time_ns),
            "activation_index": self.activation_index,
        }
        return common_pb2.Payload(
            metadata={"encoding": b"json/plain"},
            data=json.dumps(data, separators=(",", ":")).encode(),
        )

    @classmethod
    def from_payload(cls, payload: common_pb2.Payload) -> LocalActivityMarkerData:
        data = json.loads(payload.data)
        return cls(
            seq=int(data["seq"]),
            attempt=int(data.get("attempt") or 0),
            activity_id=str(data.get("activity_id") or ""),
            activity_type=str(data.get("activity_type") or ""),
            complete_time_ns=_nanos(data.get("complete_time")),
            backoff_ns=_nanos(data.get("backoff")),
            original_schedule_time_ns=_nanos(data.get("original_schedule_time")),
            activation_index=int(data.get("activation_index") or 0),
        )


@dataclass(frozen=True)
class LocalActivityResolution:
    """One outcome of a local activity: run by the worker, or read from its marker.

    ``backoff_ns`` set means "failed, retry after this long with a timer" (the local retry
    threshold was exceeded): the workflow sleeps, then schedules attempt ``attempt + 1``.
    ``runtime_ns`` is how long the attempts ran (workflow time moves on by that much).
    """

    seq: int
    status: Status
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None
    attempt: int = 1
    backoff_ns: int | None = None
    original_schedule_time_ns: int | None = None
    runtime_ns: int = 0
    complete_time_ns: int | None = None  # known for resolutions read from a marker


def marker_command(
    data: LocalActivityMarkerData,
    resolution: LocalActivityResolution,
    user_metadata: Any = None,
    event_group_markers: Sequence[Any] = (),
) -> command_pb2.Command:
    attrs = command_pb2.RecordMarkerCommandAttributes(marker_name=LOCAL_ACTIVITY_MARKER)
    attrs.details["data"].payloads.append(data.to_payload())
    if resolution.status == "completed" and resolution.result is not None:
        attrs.details["result"].payloads.append(resolution.result)
    if resolution.status != "completed" and resolution.failure is not None:
        attrs.failure.CopyFrom(resolution.failure)
    command = command_pb2.Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER, record_marker_command_attributes=attrs
    )
    if user_metadata is not None:
        command.user_metadata.CopyFrom(user_metadata)
    command.event_group_markers.extend(event_group_markers)
    return command


def read_marker(
    event: history_pb2.HistoryEvent,
) -> tuple[LocalActivityMarkerData, LocalActivityResolution]:
    """The data and the outcome a local activity marker event records."""
    attrs = event.marker_recorded_event_attributes
    data_payloads = attrs.details["data"].payloads if "data" in attrs.details else []
    if not data_payloads:
        raise CorruptHistoryError("a local activity marker without its data detail", event=event)
    try:
        data = LocalActivityMarkerData.from_payload(data_payloads[0])
    except (ValueError, KeyError, TypeError) as err:
        raise CorruptHistoryError(
            f"a local activity marker with unreadable data: {err}", event=event
        ) from err
    status: Status = "completed"
    failure: failure_pb2.Failure | None = None
    if attrs.HasField("failure"):
        failure = attrs.failure
        which = failure.WhichOneof("failure_info")
        if which == "canceled_failure_info":
            status = "cancelled"
        elif which == "timeout_failure_info":
            status = "timed_out"
        else:
            status = "failed"
    result_payloads = attrs.details["result"].payloads if "result" in attrs.details else []
    resolution = LocalActivityResolution(
        seq=data.seq,
        status=status,
        result=result_payloads[0] if result_payloads else None,
        failure=failure,
        attempt=data.attempt,
        backoff_ns=data.backoff_ns,
        original_schedule_time_ns=data.original_schedule_time_ns,
        complete_time_ns=data.complete_time_ns,
    )
    return data, resolution


def _timestamp(nanos: int | None) -> dict[str, int] | None:
    if nanos is None:
        return None
    return {"seconds": nanos // _NS, "nanos": nanos % _NS}


def _nanos(value: Any) -> int | None:
    if not value:
        return None
    return int(value.get("seconds", 0)) * _NS + int(value.get("nanos", 0))


@dataclass(frozen=True)
class LocalActivityRequest:
    """What the worker needs to run one local activity (durations in nanoseconds).

    ``attempt`` is 0 for a first schedule and the attempt to run next after a timer backoff;
    ``original_schedule_time_ns`` is kept across those backoffs (schedule-to-close counts from it).
    """

    seq: int
    activity_id: str
    activity_type: str
    arguments: tuple[common_pb2.Payload, ...] = ()
    headers: tuple[tuple[str, common_pb2.Payload], ...] = ()
    schedule_to_close_ns: int | None = None
    schedule_to_start_ns: int | None = None
    start_to_close_ns: int | None = None
    retry_policy: common_pb2.RetryPolicy | None = None
    local_retry_threshold_ns: int | None = None
    attempt: int = 0
    original_schedule_time_ns: int | None = None
    user_metadata: Any = None
    event_group_markers: tuple[Any, ...] = ()
    """Of the scope the code scheduled it in: the marker command carries them."""
