"""The exception classes: what users read from them and how cancellation is recognised."""

from __future__ import annotations

import asyncio

import pytest

from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    NexusOperationError,
    TemporalError,
    TerminatedError,
    WorkflowAlreadyStartedError,
    is_cancelled_exception,
)


def test_application_error_string_leads_with_its_type() -> None:
    assert (
        str(ApplicationError("card declined", type="PaymentError")) == "PaymentError: card declined"
    )
    assert str(ApplicationError("plain")) == "plain"
    assert ApplicationError("m", type="T").message == "m"


def test_application_error_defaults() -> None:
    error = ApplicationError("m")

    assert error.details == ()
    assert error.type is None
    assert not error.non_retryable
    assert error.next_retry_delay is None
    assert error.failure is None


def test_cause_is_dunder_cause() -> None:
    error = ApplicationError("outer")
    error.__cause__ = ValueError("inner")

    assert isinstance(error.cause, ValueError)


def test_every_failure_error_is_a_temporal_error() -> None:
    error = WorkflowAlreadyStartedError("wf-1", "Greet", run_id="r1")

    assert isinstance(error, FailureError)
    assert isinstance(error, TemporalError)
    assert (error.workflow_id, error.workflow_type, error.run_id) == ("wf-1", "Greet", "r1")
    assert error.first_run_id is None
    assert str(error) == "Workflow execution already started"


def _activity_error() -> ActivityError:
    return ActivityError(
        "a",
        scheduled_event_id=1,
        started_event_id=2,
        identity="i",
        activity_type="t",
        activity_id="1",
        retry_state=None,
    )


def _child_error() -> ChildWorkflowError:
    return ChildWorkflowError(
        "c",
        namespace="n",
        workflow_id="w",
        run_id="r",
        workflow_type="t",
        initiated_event_id=1,
        started_event_id=2,
        retry_state=None,
    )


def _nexus_error() -> NexusOperationError:
    return NexusOperationError(
        "n", scheduled_event_id=1, endpoint="e", service="s", operation="o", operation_token="t"
    )


@pytest.mark.parametrize("make", [_activity_error, _child_error, _nexus_error])
def test_wrapped_cancellation_counts_as_cancellation(make: type[FailureError]) -> None:
    error = make()
    assert not is_cancelled_exception(error)

    error.__cause__ = CancelledError()

    assert is_cancelled_exception(error)


def test_direct_cancellations() -> None:
    assert is_cancelled_exception(asyncio.CancelledError())
    assert is_cancelled_exception(CancelledError("stop"))
    assert not is_cancelled_exception(TerminatedError("bye"))
    assert not is_cancelled_exception(ApplicationError("cancelled", type="CancelledError"))


def test_cancelled_error_default_message_and_details() -> None:
    error = CancelledError()

    assert error.message == "Cancelled"
    assert CancelledError("m", 1, 2).details == (1, 2)
