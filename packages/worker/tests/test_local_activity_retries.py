"""When the worker retries a failed local activity attempt, and after how long: the retry policy's
backoff (the official defaults when a field is unset), ``maximum_attempts``, non-retryable
failures and error types, the delay an ``ApplicationError`` asks for, and schedule-to-close."""

from __future__ import annotations

import time

from tempyral.api.common.v1.message_pb2 import RetryPolicy
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure, TimeoutFailureInfo
from tempyral.worker._local_activities import _next_backoff_ns

S = 1_000_000_000


def app_failure(**info: object) -> Failure:
    return Failure(message="boom", application_failure_info=ApplicationFailureInfo(**info))


def test_the_default_policy_doubles_from_one_second_up_to_a_hundred() -> None:
    policy = RetryPolicy()
    backoffs = [_next_backoff_ns(policy, n, app_failure(), None) for n in (1, 2, 3, 8, 20)]
    assert backoffs == [1 * S, 2 * S, 4 * S, 100 * S, 100 * S]


def test_the_policy_sets_interval_coefficient_and_cap() -> None:
    policy = RetryPolicy(backoff_coefficient=3.0)
    policy.initial_interval.FromMilliseconds(100)
    policy.maximum_interval.FromMilliseconds(500)
    backoffs = [_next_backoff_ns(policy, n, app_failure(), None) for n in (1, 2, 3)]
    assert backoffs == [S // 10, 3 * S // 10, S // 2]


def test_no_retry_after_the_last_attempt_or_for_non_retryable_failures() -> None:
    assert _next_backoff_ns(RetryPolicy(maximum_attempts=3), 3, app_failure(), None) is None
    assert _next_backoff_ns(RetryPolicy(maximum_attempts=3), 2, app_failure(), None) == 2 * S
    assert _next_backoff_ns(RetryPolicy(), 1, app_failure(non_retryable=True), None) is None
    typed = RetryPolicy(non_retryable_error_types=["Broken"])
    assert _next_backoff_ns(typed, 1, app_failure(type="Broken"), None) is None
    assert _next_backoff_ns(typed, 1, app_failure(type="Other"), None) == S


def test_a_timed_out_attempt_is_retried() -> None:
    timeout = Failure(message="Activity timed out", timeout_failure_info=TimeoutFailureInfo())
    assert _next_backoff_ns(RetryPolicy(), 1, timeout, None) == S


def test_the_delay_the_activity_asks_for_wins() -> None:
    failure = app_failure()
    failure.application_failure_info.next_retry_delay.FromSeconds(7)
    assert _next_backoff_ns(RetryPolicy(), 1, failure, None) == 7 * S


def test_no_retry_that_could_not_start_before_schedule_to_close() -> None:
    soon = time.time_ns() + S // 2
    assert _next_backoff_ns(RetryPolicy(), 1, app_failure(), soon) is None
    later = time.time_ns() + 60 * S
    assert _next_backoff_ns(RetryPolicy(), 1, app_failure(), later) == S
