"""Payload size warnings (``PayloadLimitsConfig``): outbound payloads and memos over their
warning threshold are logged with the official ``TMPRL1103`` code and the field's path, and still
sent; measured per field as the official Core SDK measures them."""

from __future__ import annotations

import dataclasses
import logging
import uuid

import pytest

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.client import Client
from tempyral.client import PayloadLimitsConfig as ClientPayloadLimitsConfig
from tempyral.service import PayloadLimitsConfig, payload_limit_violations

KIB = 1024


def _payloads(size: int) -> common_pb2.Payloads:
    return common_pb2.Payloads(payloads=[common_pb2.Payload(data=b"x" * size)])


def test_defaults_are_the_servers_warning_sizes_and_frozen() -> None:
    config = PayloadLimitsConfig()
    assert (config.payloads_warn_size, config.memo_warn_size) == (512 * KIB, 2 * KIB)
    assert ClientPayloadLimitsConfig is PayloadLimitsConfig
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.memo_warn_size = 1  # type: ignore[misc]


def test_a_payload_over_the_threshold_is_found_with_its_path_and_size() -> None:
    request = wf.StartWorkflowExecutionRequest(input=_payloads(600 * KIB))
    (violation,) = payload_limit_violations(request, PayloadLimitsConfig())
    assert violation.path == "input"
    assert violation.size == request.input.ByteSize()
    assert violation.threshold == 512 * KIB
    assert str(violation) == (
        "[TMPRL1103] Attempted to upload payloads with size that exceeded the warning limit."
    )
    assert (
        payload_limit_violations(
            wf.StartWorkflowExecutionRequest(input=_payloads(500 * KIB)), PayloadLimitsConfig()
        )
        == []
    )


def test_a_memo_counts_against_the_memo_threshold() -> None:
    memo = common_pb2.Memo(fields={"note": common_pb2.Payload(data=b"m" * (3 * KIB))})
    (violation,) = payload_limit_violations(
        wf.StartWorkflowExecutionRequest(memo=memo), PayloadLimitsConfig()
    )
    assert (violation.path, str(violation).split()[4]) == ("memo", "memo")
    assert violation.threshold == 2 * KIB


def test_commands_deep_in_a_task_completion_are_measured() -> None:
    big = command_pb2.Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=command_pb2.ScheduleActivityTaskCommandAttributes(
            input=_payloads(200)
        ),
    )
    marker = command_pb2.Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
        record_marker_command_attributes=command_pb2.RecordMarkerCommandAttributes(
            details={"data": _payloads(150)}
        ),
    )
    request = wf.RespondWorkflowTaskCompletedRequest(commands=[marker, big])
    found = payload_limit_violations(request, PayloadLimitsConfig(payloads_warn_size=100))
    assert {v.path: v.size for v in found} == {
        # Marker details count each key with its encoded payloads, as the server does.
        "commands[0].record_marker_command_attributes.details": len("data")
        + _payloads(150).ByteSize(),
        "commands[1].schedule_activity_task_command_attributes.input": _payloads(200).ByteSize(),
    }


def test_failures_and_search_attributes_are_measured_as_the_server_does() -> None:
    failed = wf.RespondActivityTaskFailedRequest(failure=failure_pb2.Failure(message="boom" * 100))
    (violation,) = payload_limit_violations(failed, PayloadLimitsConfig(payloads_warn_size=100))
    assert (violation.path, violation.size) == ("failure", failed.failure.ByteSize())
    upsert = command_pb2.UpsertWorkflowSearchAttributesCommandAttributes(
        search_attributes=common_pb2.SearchAttributes(
            indexed_fields={"Key": common_pb2.Payload(data=b"v" * 200, metadata={"m": b"x" * 500})}
        )
    )
    (violation,) = payload_limit_violations(upsert, PayloadLimitsConfig(payloads_warn_size=100))
    assert violation.size == len("Key") + 200  # key and raw data, not the encoded payload


def test_a_field_one_byte_over_is_caught_in_a_request_barely_larger() -> None:
    # The request is a few bytes larger than its one field: a field just over the threshold
    # is reported, one exactly at it is not (requests within every threshold are not walked).
    failed = wf.RespondActivityTaskFailedRequest(failure=failure_pb2.Failure(message="x" * 300))
    size = failed.failure.ByteSize()
    assert size < failed.ByteSize() <= size + 3
    just_under = PayloadLimitsConfig(payloads_warn_size=size - 1, memo_warn_size=10 * size)
    (violation,) = payload_limit_violations(failed, just_under)
    assert (violation.path, violation.size) == ("failure", size)
    assert payload_limit_violations(failed, PayloadLimitsConfig(size, size)) == []


def test_zero_disables_a_threshold() -> None:
    request = wf.StartWorkflowExecutionRequest(
        input=_payloads(600 * KIB),
        memo=common_pb2.Memo(fields={"n": common_pb2.Payload(data=b"m" * (3 * KIB))}),
    )
    only_memo = PayloadLimitsConfig(payloads_warn_size=0)
    assert [v.path for v in payload_limit_violations(request, only_memo)] == ["memo"]
    assert payload_limit_violations(request, PayloadLimitsConfig(0, 0)) == []


async def test_a_client_warns_and_still_sends(
    tempyral_target: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = await Client.connect(
        tempyral_target, payload_limits=PayloadLimitsConfig(payloads_warn_size=10 * KIB)
    )
    workflow_id = f"big-{uuid.uuid4()}"
    with caplog.at_level(logging.WARNING):
        handle = await client.start_workflow(
            "NoSuchWorkflow", "x" * (20 * KIB), id=workflow_id, task_queue="nobody-polls"
        )
    warnings = [r for r in caplog.records if "TMPRL1103" in r.getMessage()]
    assert len(warnings) == 1
    assert "field input" in warnings[0].getMessage()
    assert warnings[0].name.startswith("tempyral.service")
    described = await handle.describe()  # sent all the same
    assert described.id == workflow_id
    await handle.terminate()


async def test_a_small_request_logs_nothing(
    tempyral_target: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = await Client.connect(tempyral_target)
    with caplog.at_level(logging.WARNING):
        handle = await client.start_workflow(
            "NoSuchWorkflow", "small", id=f"small-{uuid.uuid4()}", task_queue="nobody-polls"
        )
    assert not [r for r in caplog.records if "TMPRL1103" in r.getMessage()]
    await handle.terminate()


async def test_log_protos_logs_requests_and_responses_at_debug(
    tempyral_target: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempyral.service

    client = await Client.connect(tempyral_target)
    monkeypatch.setattr(tempyral.service, "LOG_PROTOS", True)
    with caplog.at_level(logging.DEBUG, logger="tempyral.service"):
        await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    lines = [r.getMessage() for r in caplog.records if r.name == "tempyral.service"]
    assert any(line.startswith("Service workflow request to get_system_info") for line in lines)
    assert any(line.startswith("Service workflow response from get_system_info") for line in lines)
    monkeypatch.setattr(tempyral.service, "LOG_PROTOS", False)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tempyral.service"):
        await client.workflow_service.get_system_info(wf.GetSystemInfoRequest())
    assert not [r for r in caplog.records if r.name == "tempyral.service"]
    assert tempyral.service.logger is logging.getLogger("tempyral.service")


def test_an_error_threshold_outranks_the_warning_and_spares_failures() -> None:
    request = wf.RespondActivityTaskCompletedRequest(result=_payloads(3000))
    config = PayloadLimitsConfig(payloads_warn_size=1000)
    (violation,) = payload_limit_violations(request, config, payloads_error_size=2000)
    assert violation.error
    assert violation.threshold == 2000
    assert str(violation).endswith("exceeded the error limit.")
    (warned,) = payload_limit_violations(request, config, payloads_error_size=5000)
    assert not warned.error
    # A failure is never refused (the worker must be able to report it): warned only.
    failed = wf.RespondActivityTaskFailedRequest(failure=failure_pb2.Failure(message="x" * 3000))
    (failure_violation,) = payload_limit_violations(failed, config, payloads_error_size=2000)
    assert not failure_violation.error
