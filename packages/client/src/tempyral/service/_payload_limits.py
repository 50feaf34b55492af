"""Payload size warnings: outbound payloads and memos measured as the server measures them.

The server rejects a request whose payloads exceed the namespace's blob size limit, or whose memo
exceeds its memo size limit, and warns (in its own logs) above lower thresholds. The official
SDKs check the same fields before sending, so that the user sees the warning in *their* logs:
:py:class:`PayloadLimitsConfig` sets the thresholds (the server's default warning sizes), and
every request a client sends is measured here, field by field, with the official Core SDK's
classification (which fields count against which limit, and how each is measured). A field over
its threshold is logged with the ``TMPRL1103`` code and still sent.

Each request type's walk is planned once from its descriptor: only the fields that can lead to
a classified payload field are visited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from tempyral.common._logging import logger

__all__ = [
    "PayloadLimitViolation",
    "PayloadLimitsConfig",
    "log_violation",
    "payload_limit_violations",
    "warn_about_payload_sizes",
]


@dataclass(frozen=True)
class PayloadLimitsConfig:
    """Warning thresholds for outbound payload/memo sizes."""

    # The server's ``limit.blobSize.warn`` (512 KiB) and ``limit.memoSize.warn`` (2 KiB) defaults:
    # the client warns at the sizes the server would.
    payloads_warn_size: int = 512 * 1024
    """Warning threshold, in bytes, for the size of an outbound payload-bearing field. Set to 0 to
    disable."""

    memo_warn_size: int = 2 * 1024
    """Warning threshold, in bytes, for outbound memo size. Set to 0 to disable."""


class _Limit(enum.Enum):
    BLOB = "payloads"
    MEMO = "memo"


_API = "temporal.api."
# The fields the server size-checks, by limit (the official Core SDK's classification).
_BLOB_FIELDS = frozenset(
    _API + name
    for name in (
        "command.v1.CompleteWorkflowExecutionCommandAttributes.result",
        "command.v1.ContinueAsNewWorkflowExecutionCommandAttributes.input",
        "command.v1.FailWorkflowExecutionCommandAttributes.failure",
        "command.v1.ModifyWorkflowPropertiesCommandAttributes.upserted_memo",
        "command.v1.RecordMarkerCommandAttributes.details",
        "command.v1.ScheduleActivityTaskCommandAttributes.input",
        "command.v1.ScheduleNexusOperationCommandAttributes.input",
        "command.v1.SignalExternalWorkflowExecutionCommandAttributes.input",
        "command.v1.StartChildWorkflowExecutionCommandAttributes.input",
        "command.v1.UpsertWorkflowSearchAttributesCommandAttributes.search_attributes",
        "common.v1.Callback.NexusHandler.source_context",
        "protocol.v1.Message.body",
        "query.v1.WorkflowQuery.query_args",
        "workflow.v1.NewWorkflowExecutionInfo.input",
        "workflowservice.v1.RecordActivityTaskHeartbeatByIdRequest.details",
        "workflowservice.v1.RecordActivityTaskHeartbeatRequest.details",
        "workflowservice.v1.RespondActivityTaskCanceledByIdRequest.details",
        "workflowservice.v1.RespondActivityTaskCanceledRequest.details",
        "workflowservice.v1.RespondActivityTaskCompletedByIdRequest.result",
        "workflowservice.v1.RespondActivityTaskCompletedRequest.result",
        "workflowservice.v1.SignalWithStartWorkflowExecutionRequest.input",
        "workflowservice.v1.SignalWithStartWorkflowExecutionRequest.signal_input",
        "workflowservice.v1.SignalWorkflowExecutionRequest.input",
        "workflowservice.v1.StartActivityExecutionRequest.input",
        "workflowservice.v1.StartNexusOperationExecutionRequest.input",
        "workflowservice.v1.StartWorkflowExecutionRequest.input",
    )
)
# Failure responses and query answers: warned about, never refused by the worker.
_WARN_ONLY_FIELDS = frozenset(
    _API + name
    for name in (
        "workflowservice.v1.RespondActivityTaskFailedByIdRequest.failure",
        "workflowservice.v1.RespondActivityTaskFailedByIdRequest.last_heartbeat_details",
        "workflowservice.v1.RespondActivityTaskFailedRequest.failure",
        "workflowservice.v1.RespondActivityTaskFailedRequest.last_heartbeat_details",
        "workflowservice.v1.RespondNexusTaskFailedRequest.failure",
        "workflowservice.v1.RespondWorkflowTaskFailedRequest.failure",
        "query.v1.WorkflowQueryResult.answer",
        "workflowservice.v1.RespondQueryTaskCompletedRequest.query_result",
    )
)
_MEMO_FIELDS = frozenset(
    _API + name
    for name in (
        "command.v1.ContinueAsNewWorkflowExecutionCommandAttributes.memo",
        "command.v1.StartChildWorkflowExecutionCommandAttributes.memo",
        "workflow.v1.NewWorkflowExecutionInfo.memo",
        "workflowservice.v1.SignalWithStartWorkflowExecutionRequest.memo",
        "workflowservice.v1.StartWorkflowExecutionRequest.memo",
    )
)


@dataclass(frozen=True)
class PayloadLimitViolation:
    """A field over a threshold: where (proto field names from the request), which limit, how
    big, the threshold, and whether it is the error threshold (the request must not be sent)."""

    path: str
    limit: _Limit
    size: int
    threshold: int
    error: bool = False

    def __str__(self) -> str:
        return (
            f"[TMPRL1103] Attempted to upload {self.limit.value} with size that exceeded the "
            f"{'error' if self.error else 'warning'} limit."
        )


def _data_sum(entries: Any) -> int:
    # The server counts a key's bytes plus its payload's raw data (not the encoded payload).
    return sum(len(key.encode()) + len(value.data) for key, value in entries.items())


def _size(field: FieldDescriptor, limit: _Limit, value: Any) -> int:
    """The field's size as the server measures it for ``limit``."""
    entry = _map_value(field)
    if entry is not None:  # map<string, Payloads> (marker details) or map<string, Payload>
        if entry.full_name == "temporal.api.common.v1.Payloads":
            return sum(len(key.encode()) + item.ByteSize() for key, item in value.items())
        return _data_sum(value)
    if _is_repeated(field):
        return sum(item.ByteSize() for item in value)
    type_name = field.message_type.full_name if field.message_type is not None else ""
    if type_name == "temporal.api.common.v1.Memo" and limit is _Limit.BLOB:
        return _data_sum(value.fields)
    if type_name == "temporal.api.common.v1.SearchAttributes":
        return _data_sum(value.indexed_fields)
    size: int = value.ByteSize()  # Payloads, Payload, Memo, Failure, Any: the encoded message
    return size


def _is_repeated(field: Any) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 6; ``label`` went in 7
    if repeated is not None:
        return bool(repeated)
    return bool(field.label == 3)  # FieldDescriptor.LABEL_REPEATED


def _map_value(field: FieldDescriptor) -> Descriptor | None:
    """The value type of a map field of messages; None for other fields."""
    entry = field.message_type
    if entry is None or not entry.GetOptions().map_entry:
        return None
    value: Descriptor | None = entry.fields_by_name["value"].message_type
    return value


@dataclass(frozen=True)
class _Step:
    field: FieldDescriptor
    limit: _Limit | None  # None: a message (or map of messages) to walk into
    may_error: bool = True


def _limit_of(field: FieldDescriptor) -> _Limit | None:
    if field.full_name in _BLOB_FIELDS or field.full_name in _WARN_ONLY_FIELDS:
        return _Limit.BLOB
    if field.full_name in _MEMO_FIELDS:
        return _Limit.MEMO
    return None


def _inner(field: FieldDescriptor) -> Descriptor | None:
    """The message type a walk enters through ``field`` (a map's value type for maps)."""
    if field.message_type is None:
        return None
    return _map_value(field) if field.message_type.GetOptions().map_entry else field.message_type


_REACHES: set[str] = set()  # message types known to lead to a classified field


def _reaches_a_limit(descriptor: Descriptor, visiting: frozenset[str] = frozenset()) -> bool:
    name = descriptor.full_name
    if name in _REACHES:
        return True
    if name in visiting or not name.startswith(_API):
        return False
    visiting = visiting | {name}
    for field in descriptor.fields:
        inner = _inner(field)
        if _limit_of(field) is not None or (
            inner is not None and _reaches_a_limit(inner, visiting)
        ):
            _REACHES.add(name)
            return True
    return False


@cache
def _plan(descriptor: Descriptor) -> tuple[_Step, ...]:
    steps = []
    for field in descriptor.fields:
        limit = _limit_of(field)
        inner = _inner(field)
        if limit is not None:
            steps.append(_Step(field, limit, field.full_name not in _WARN_ONLY_FIELDS))
        elif inner is not None and _reaches_a_limit(inner):
            steps.append(_Step(field, None))
    return tuple(steps)


@dataclass(frozen=True)
class _Thresholds:
    warn: dict[_Limit, int]
    error: dict[_Limit, int]


def payload_limit_violations(
    request: Message,
    config: PayloadLimitsConfig,
    *,
    payloads_error_size: int = 0,
    memo_error_size: int = 0,
) -> list[PayloadLimitViolation]:
    """The fields of ``request`` over a threshold: over its error threshold (``*_error_size``,
    0 for none; failures and query answers never count against it), else over its warning one.

    A worker passes the namespace's error limits, so that it fails a task whose completion the
    server would reject instead of sending it.
    """
    sizes = (config.payloads_warn_size, config.memo_warn_size, payloads_error_size, memo_error_size)
    smallest = min((size for size in sizes if size), default=0)
    # No field is measured larger than the whole encoded request: a request within the smallest
    # threshold (a poll, most completions) needs no walk.
    if not smallest or request.ByteSize() <= smallest:
        return []
    thresholds = _Thresholds(
        warn={_Limit.BLOB: config.payloads_warn_size, _Limit.MEMO: config.memo_warn_size},
        error={_Limit.BLOB: payloads_error_size, _Limit.MEMO: memo_error_size},
    )
    found: list[PayloadLimitViolation] = []
    _walk(request, "", thresholds, found)
    return found


def _walk(
    message: Message, prefix: str, thresholds: _Thresholds, found: list[PayloadLimitViolation]
) -> None:
    for step in _plan(message.DESCRIPTOR):
        field = step.field
        name = prefix + field.name
        value: Any = getattr(message, field.name)
        repeated = _is_repeated(field)
        if not repeated and not message.HasField(field.name):
            continue
        if step.limit is not None:
            warn = thresholds.warn[step.limit]
            error = thresholds.error[step.limit] if step.may_error else 0
            if not warn and not error:
                continue
            size = _size(field, step.limit, value)
            if error and size > error:
                found.append(PayloadLimitViolation(name, step.limit, size, error, error=True))
            elif warn and size > warn:
                found.append(PayloadLimitViolation(name, step.limit, size, warn))
        elif _map_value(field) is not None:
            for key, item in value.items():
                _walk(item, f"{name}[{key}].", thresholds, found)
        elif repeated:
            for index, item in enumerate(value):
                _walk(item, f"{name}[{index}].", thresholds, found)
        else:
            _walk(value, name + ".", thresholds, found)


def warn_about_payload_sizes(request: Message, config: PayloadLimitsConfig) -> None:
    """Log each field of ``request`` over its warning threshold; the request is still sent."""
    for violation in payload_limit_violations(request, config):
        log_violation(violation)


def log_violation(violation: PayloadLimitViolation) -> None:
    """Log a violation (an error one at ERROR level) with its field, size and threshold."""
    logger.log(
        "ERROR" if violation.error else "WARNING",
        "{} (field {}: {} bytes, limit {} bytes)",
        violation,
        violation.path,
        violation.size,
        violation.threshold,
    )
