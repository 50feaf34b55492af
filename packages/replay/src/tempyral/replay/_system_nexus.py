"""Payloads of the server's system Nexus operation behind ``workflow.signal_with_start_workflow``.

The operation's input is a ``SignalWithStartWorkflowExecutionRequest`` and its result a
``SignalWithStartWorkflowExecutionResponse``, each one ``binary/protobuf`` payload; the input is
marked as a system payload (``__temporal_system_payload``). The values inside the request (the
workflow's and the signal's arguments, memo, headers, summary) are converted by the workflow's
own payload converter, field by field as the official SDK's generated model does, so the
command's bytes are the official SDK's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.api.workflowservice.v1 import request_response_pb2 as service_pb2
from tempyral.converter import (
    BinaryProtoPayloadConverter,
    PayloadConverter,
    encode_search_attributes,
)
from tempyral.workflow._children import _workflow_name_and_result
from tempyral.workflow._definition import _SignalDefinition
from tempyral.workflow._signal_with_start import (
    SignalWithStartWorkflowRequest,
    SignalWithStartWorkflowResponse,
)

__all__ = ["request_payload", "response_value"]

_SYSTEM_PAYLOAD_KEY = "__temporal_system_payload"
_BINARY = BinaryProtoPayloadConverter()


def request_payload(
    request: SignalWithStartWorkflowRequest, converter: PayloadConverter
) -> common_pb2.Payload:
    """The operation's input payload for ``request``."""
    message = service_pb2.SignalWithStartWorkflowExecutionRequest()
    message.workflow_type.name = _workflow_name_and_result(request.workflow)[0]
    if request.args is not None:
        message.input.CopyFrom(_payloads(request.args, converter))
    message.workflow_id = request.id
    message.task_queue.name = request.task_queue
    message.signal_name = _SignalDefinition.must_name_from_fn_or_str(request.signal)
    if request.signal_args is not None:
        message.signal_input.CopyFrom(_payloads(request.signal_args, converter))
    _write_start_options(request, message)
    if request.memo is not None:
        message.memo.SetInParent()
        for key, value in request.memo.items():
            message.memo.fields[key].CopyFrom(_payload(value, converter))
    if request.search_attributes is not None:
        message.search_attributes.SetInParent()
        encode_search_attributes(request.search_attributes, message.search_attributes)
    if request.user_metadata is not None:
        metadata = message.user_metadata
        metadata.SetInParent()
        if request.user_metadata.static_summary is not None:
            metadata.summary.CopyFrom(_payload(request.user_metadata.static_summary, converter))
        if request.user_metadata.static_details is not None:
            metadata.details.CopyFrom(_payload(request.user_metadata.static_details, converter))
    message.namespace = request.namespace
    if request.headers is not None:
        message.header.SetInParent()
        for key, value in request.headers.items():
            message.header.fields[key].CopyFrom(_payload(value, converter))
    payload = _BINARY.to_payload(message)
    assert payload is not None  # a protobuf message always converts
    payload.metadata[_SYSTEM_PAYLOAD_KEY] = b"true"
    return payload


def _write_start_options(
    request: SignalWithStartWorkflowRequest,
    message: service_pb2.SignalWithStartWorkflowExecutionRequest,
) -> None:
    """Timeouts, policies, priority and delay: the options that need no payload converter."""
    for duration, value in (
        (message.workflow_execution_timeout, request.execution_timeout),
        (message.workflow_run_timeout, request.run_timeout),
        (message.workflow_task_timeout, request.task_timeout),
        (message.workflow_start_delay, request.start_delay),
    ):
        if value is not None:
            duration.FromTimedelta(value)
    message.workflow_id_reuse_policy = cast(
        "workflow_enums.WorkflowIdReusePolicy", int(request.id_reuse_policy)
    )
    if request.id_conflict_policy is not None:
        message.workflow_id_conflict_policy = cast(
            "workflow_enums.WorkflowIdConflictPolicy", int(request.id_conflict_policy)
        )
    if request.retry_policy is not None:
        request.retry_policy.apply_to_proto(message.retry_policy)
    if request.cron_schedule is not None:
        message.cron_schedule = request.cron_schedule
    if request.priority is not None:
        message.priority.CopyFrom(request.priority._to_proto())
    if request.versioning_override is not None:
        message.versioning_override.CopyFrom(request.versioning_override._to_proto())


def response_value(payload: common_pb2.Payload) -> SignalWithStartWorkflowResponse:
    """The operation's result: which run was signalled, and whether this request started it."""
    message = _BINARY.from_payload(payload, service_pb2.SignalWithStartWorkflowExecutionResponse)
    return SignalWithStartWorkflowResponse(
        run_id=message.run_id or None, started=message.started or None
    )


def _payloads(values: Sequence[Any], converter: PayloadConverter) -> common_pb2.Payloads:
    return common_pb2.Payloads(payloads=converter.to_payloads(list(values)))


def _payload(value: Any, converter: PayloadConverter) -> common_pb2.Payload:
    if isinstance(value, common_pb2.Payload):  # headers set by interceptors are payloads already
        copy = common_pb2.Payload()
        copy.CopyFrom(value)
        return copy
    return converter.to_payloads([value])[0]
