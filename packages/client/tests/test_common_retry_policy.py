"""RetryPolicy: defaults, validation and its proto form."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tempyral.api.common.v1.message_pb2 import RetryPolicy as RetryPolicyProto
from tempyral.common import RetryPolicy


def test_defaults_write_the_server_defaults_explicitly() -> None:
    proto = RetryPolicyProto()

    RetryPolicy().apply_to_proto(proto)

    assert proto.initial_interval.ToTimedelta() == timedelta(seconds=1)
    assert proto.backoff_coefficient == 2.0
    assert proto.maximum_interval.ToTimedelta() == timedelta(seconds=100)
    assert proto.maximum_attempts == 0
    assert list(proto.non_retryable_error_types) == []


def test_round_trip_through_the_proto() -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(milliseconds=250),
        backoff_coefficient=1.5,
        maximum_interval=timedelta(minutes=2),
        maximum_attempts=5,
        non_retryable_error_types=["Fatal", "Invalid"],
    )
    proto = RetryPolicyProto()
    policy.apply_to_proto(proto)

    assert RetryPolicy.from_proto(proto) == policy
    assert policy._to_proto() == proto


def test_from_proto_leaves_unset_fields_unset() -> None:
    policy = RetryPolicy.from_proto(RetryPolicyProto(maximum_attempts=3))

    assert policy.maximum_interval is None
    assert policy.non_retryable_error_types is None
    assert policy.maximum_attempts == 3


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            RetryPolicy(initial_interval=timedelta(seconds=-1)),
            "Initial interval cannot be negative",
        ),
        (RetryPolicy(backoff_coefficient=0.5), "Backoff coefficient cannot be less than 1"),
        (
            RetryPolicy(maximum_interval=timedelta(seconds=-2)),
            "Maximum interval cannot be negative",
        ),
        (
            RetryPolicy(
                initial_interval=timedelta(seconds=5), maximum_interval=timedelta(seconds=1)
            ),
            "Maximum interval cannot be less than initial interval",
        ),
        (RetryPolicy(maximum_attempts=-1), "Maximum attempts cannot be negative"),
    ],
)
def test_invalid_policies_are_rejected_before_sending(policy: RetryPolicy, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        policy.apply_to_proto(RetryPolicyProto())


def test_a_single_attempt_skips_interval_validation() -> None:
    proto = RetryPolicyProto()

    RetryPolicy(maximum_attempts=1, backoff_coefficient=0).apply_to_proto(proto)

    assert proto.maximum_attempts == 1
