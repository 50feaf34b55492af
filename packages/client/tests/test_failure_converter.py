"""Exceptions to Failure protos and back: what another worker or client sees of an error."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.enums.v1 import common_pb2, workflow_pb2
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.converter import (
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    FailureConverter,
    PayloadConverter,
)
from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    ApplicationErrorCategory,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    NexusOperationError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)

converter = FailureConverter.default
# A Nexus handler's failure is nexusrpc.HandlerError where nexusrpc is installed (as upstream).
_HANDLER_ERROR: type = (
    importlib.import_module("nexusrpc").HandlerError
    if importlib.util.find_spec("nexusrpc") is not None
    else FailureError
)
payloads = PayloadConverter.default


def to_failure(error: BaseException, failure_converter: FailureConverter = converter) -> Failure:
    failure = Failure()
    failure_converter.to_failure(error, payloads, failure)
    return failure


def from_failure(failure: Failure, failure_converter: FailureConverter = converter) -> Any:
    return failure_converter.from_failure(failure, payloads)


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_application_error_maps_every_field() -> None:
    error = ApplicationError(
        "boom",
        {"k": 1},
        [2],
        type="PaymentDeclined",
        non_retryable=True,
        next_retry_delay=timedelta(seconds=4),
        category=ApplicationErrorCategory.BENIGN,
    )

    failure = to_failure(error)

    info = failure.application_failure_info
    assert failure.message == "boom"
    assert info.type == "PaymentDeclined"
    assert info.non_retryable
    assert info.next_retry_delay.ToTimedelta() == timedelta(seconds=4)
    assert info.category == common_pb2.APPLICATION_ERROR_CATEGORY_BENIGN
    assert [p.data for p in info.details.payloads] == [b'{"k":1}', b"[2]"]

    back = from_failure(failure)
    assert isinstance(back, ApplicationError)
    assert (back.message, back.type, back.non_retryable) == ("boom", "PaymentDeclined", True)
    assert back.details == ({"k": 1}, [2])
    assert back.next_retry_delay == timedelta(seconds=4)
    assert back.category is ApplicationErrorCategory.BENIGN
    assert str(back) == "PaymentDeclined: boom"
    assert back.failure == failure


def test_other_exceptions_become_application_errors_named_by_class() -> None:
    failure = to_failure(raised(KeyError("missing")))

    assert failure.application_failure_info.type == "KeyError"
    assert failure.message == "'missing'"
    assert "raise error" in failure.stack_trace

    back = from_failure(failure)
    assert isinstance(back, ApplicationError)
    assert back.type == "KeyError"
    assert not back.non_retryable


def test_cause_travels_and_comes_back_as_dunder_cause() -> None:
    try:
        try:
            raise ValueError("disk full")
        except ValueError as inner:
            raise ApplicationError("save failed") from inner
    except ApplicationError as outer:
        error = outer

    failure = to_failure(error)

    assert failure.cause.message == "disk full"
    assert failure.cause.application_failure_info.type == "ValueError"
    assert 'raise ValueError("disk full")' in failure.cause.stack_trace
    back = from_failure(failure)
    assert isinstance(back.__cause__, ApplicationError)
    assert back.cause.message == "disk full"


def test_implicit_context_is_the_cause_unless_suppressed() -> None:
    def fail(suppress: bool) -> BaseException:
        try:
            try:
                raise ValueError("first")
            except ValueError:
                if suppress:
                    raise ApplicationError("second") from None
                raise ApplicationError("second")  # noqa: B904 - the implicit context is the test
        except ApplicationError as error:
            return error

    assert to_failure(fail(suppress=False)).cause.message == "first"
    assert not to_failure(fail(suppress=True)).HasField("cause")


@pytest.mark.parametrize(
    ("error", "info_field", "check"),
    [
        (
            TimeoutError("t", type=TimeoutType.SCHEDULE_TO_START, last_heartbeat_details=[1]),
            "timeout_failure_info",
            lambda f, e: (
                f.timeout_failure_info.timeout_type == workflow_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START
                and e.type is TimeoutType.SCHEDULE_TO_START
                and list(e.last_heartbeat_details) == [1]
            ),
        ),
        (
            CancelledError("c", "d1"),
            "canceled_failure_info",
            lambda f, e: e.details == ("d1",) and e.message == "c",
        ),
        (TerminatedError("x"), "terminated_failure_info", lambda f, e: e.message == "x"),
        (
            ServerError("s", non_retryable=True),
            "server_failure_info",
            lambda f, e: f.server_failure_info.non_retryable and e.non_retryable,
        ),
        (
            ActivityError(
                "a",
                scheduled_event_id=3,
                started_event_id=4,
                identity="me",
                activity_type="charge",
                activity_id="7",
                retry_state=RetryState.TIMEOUT,
            ),
            "activity_failure_info",
            lambda f, e: (
                f.activity_failure_info.activity_type.name == "charge"
                and (e.scheduled_event_id, e.started_event_id, e.activity_id) == (3, 4, "7")
                and e.identity == "me"
                and e.retry_state is RetryState.TIMEOUT
            ),
        ),
        (
            ChildWorkflowError(
                "c",
                namespace="ns",
                workflow_id="w",
                run_id="r",
                workflow_type="Child",
                initiated_event_id=5,
                started_event_id=6,
                retry_state=None,
            ),
            "child_workflow_execution_failure_info",
            lambda f, e: (
                f.child_workflow_execution_failure_info.workflow_execution.run_id == "r"
                and (e.namespace, e.workflow_id, e.workflow_type) == ("ns", "w", "Child")
                and (e.initiated_event_id, e.started_event_id) == (5, 6)
                and e.retry_state is None
            ),
        ),
        (
            NexusOperationError(
                "n",
                scheduled_event_id=8,
                endpoint="e",
                service="s",
                operation="o",
                operation_token="t",
            ),
            "nexus_operation_execution_failure_info",
            lambda f, e: (e.endpoint, e.service, e.operation, e.operation_token)
            == ("e", "s", "o", "t")
            and e.scheduled_event_id == 8,
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_each_failure_error_has_its_failure_info(
    error: FailureError, info_field: str, check: Any
) -> None:
    failure = to_failure(error)
    back = from_failure(failure)

    assert failure.WhichOneof("failure_info") == info_field
    assert type(back) is type(error)
    assert check(failure, back)


@pytest.mark.parametrize(
    ("info_field", "expected_type", "default_message"),
    [
        ("application_failure_info", ApplicationError, "Application error"),
        ("timeout_failure_info", TimeoutError, "Timeout"),
        ("canceled_failure_info", CancelledError, "Cancelled"),
        ("terminated_failure_info", TerminatedError, "Terminated"),
        ("server_failure_info", ServerError, "Server error"),
        ("activity_failure_info", ActivityError, "Activity error"),
        ("child_workflow_execution_failure_info", ChildWorkflowError, "Child workflow error"),
        ("nexus_operation_execution_failure_info", NexusOperationError, "Nexus operation error"),
        ("nexus_handler_failure_info", _HANDLER_ERROR, "Nexus handler error"),
        ("reset_workflow_failure_info", FailureError, "Failure error"),
    ],
)
def test_empty_messages_get_the_official_defaults(
    info_field: str, expected_type: type, default_message: str
) -> None:
    failure = Failure()
    getattr(failure, info_field).SetInParent()

    back = from_failure(failure)

    assert type(back) is expected_type
    assert back.message == default_message


def test_failure_without_info_is_a_generic_failure_error() -> None:
    back = from_failure(Failure(message="odd"))

    assert type(back) is FailureError
    assert back.message == "odd"


def test_unknown_enum_values_from_a_newer_server_do_not_break_decoding() -> None:
    failure = Failure(message="m")
    failure.activity_failure_info.retry_state = 99  # type: ignore[assignment]
    failure.cause.application_failure_info.category = 42  # type: ignore[assignment]

    back = from_failure(failure)

    assert back.retry_state is None
    assert back.cause.category is ApplicationErrorCategory.UNSPECIFIED


def test_decoded_error_is_sent_on_unchanged() -> None:
    original = to_failure(raised(ApplicationError("child failed", type="X")))
    # Not how tempyral would write it, so a re-encoding would show.
    original.application_failure_info.details.payloads.add(
        metadata={"encoding": b"json/plain"}, data=b'{ "spaced" : 1 }'
    )

    resent = to_failure(from_failure(original))

    assert resent == original


def test_encoded_attributes_hide_message_and_stack_trace() -> None:
    with_attributes = DefaultFailureConverterWithEncodedAttributes()

    failure = to_failure(raised(ApplicationError("secret", type="T")), with_attributes)

    assert failure.message == "Encoded failure"
    assert failure.stack_trace == ""
    attributes = payloads.from_payload(failure.encoded_attributes)
    assert attributes["message"] == "secret"
    assert "raise error" in attributes["stack_trace"]
    back = from_failure(failure, with_attributes)
    assert back.message == "secret"
    assert back.type == "T"
    assert "raise error" in back.failure.stack_trace


def test_encode_common_attributes_flag_matches_the_subclass() -> None:
    flagged = to_failure(
        ApplicationError("m"), DefaultFailureConverter(encode_common_attributes=True)
    )

    assert flagged == to_failure(
        ApplicationError("m"), DefaultFailureConverterWithEncodedAttributes()
    )


def test_undecodable_encoded_attributes_keep_the_placeholder_message() -> None:
    failure = Failure(message="Encoded failure")
    failure.application_failure_info.SetInParent()
    failure.encoded_attributes.CopyFrom(Payload(metadata={"encoding": b"binary/unknown"}))

    back = from_failure(failure)

    assert back.message == "Encoded failure"
    assert failure.HasField("encoded_attributes"), "the input failure is left as it was"


async def test_data_converter_encode_failure_and_decode_failure() -> None:
    failure = Failure()

    await DataConverter.default.encode_failure(ValueError("bad input"), failure)
    error = await DataConverter.default.decode_failure(failure)

    assert isinstance(error, ApplicationError)
    assert error.type == "ValueError"
    assert error.message == "bad input"


_OFFICIAL_HANDLER_ERROR = """
import json, os, sys
import temporalio.api.failure.v1 as failure_pb
import temporalio.converter as c
error = c.DefaultFailureConverter().from_failure(
    failure_pb.Failure.FromString(bytes.fromhex(sys.argv[1])), c.PayloadConverter.default
)
original = error.original_failure
print(json.dumps([
    type(error).__name__, error.message, error.type.name, error.retryable_override,
    error.stack_trace, original.message, original.metadata, original.details,
    type(error.__cause__).__name__,
]), flush=True)
os._exit(0)
"""


@pytest.mark.skipif(
    importlib.util.find_spec("temporalio") is None or _HANDLER_ERROR is FailureError,
    reason="compares with the official SDK, which needs nexusrpc (installed with it)",
)
@pytest.mark.parametrize("behavior", [0, 1, 2])
def test_a_nexus_handler_failure_decodes_as_the_official_sdk_decodes_it(behavior: int) -> None:
    """What a workflow sees as the cause of a failed Nexus operation when the handler refused
    it: the same ``nexusrpc.HandlerError`` (type, retry override, message, stack trace, and the
    failure it came from) as under the official SDK."""
    failure = Failure(message="golden is not a valid request", stack_trace="at handler()")
    failure.nexus_handler_failure_info.type = "BAD_REQUEST"
    failure.nexus_handler_failure_info.retry_behavior = behavior  # type: ignore[assignment]
    failure.cause.message = "the input"
    failure.cause.application_failure_info.type = "ValueError"
    official = subprocess.run(
        [sys.executable, "-c", _OFFICIAL_HANDLER_ERROR, failure.SerializeToString().hex()],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    error = from_failure(failure)
    original = error.original_failure
    ours = [
        type(error).__name__,
        error.message,
        error.type.name,
        error.retryable_override,
        error.stack_trace,
        original.message,
        original.metadata,
        original.details,
        type(error.__cause__).__name__,
    ]
    assert ours == json.loads(official.stdout.splitlines()[-1])
