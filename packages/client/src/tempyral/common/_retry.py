"""Retry policy for workflows and activities, and its mapping to the ``RetryPolicy`` proto."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tempyral.api.common.v1.message_pb2 import RetryPolicy as RetryPolicyProto

__all__ = ["RetryPolicy"]


@dataclass
class RetryPolicy:
    """Options for retrying workflows and activities."""

    initial_interval: timedelta = timedelta(seconds=1)
    """Backoff interval for the first retry. Default 1s."""

    backoff_coefficient: float = 2.0
    """Coefficient to multiply previous backoff interval by to get new interval. Default 2.0."""

    maximum_interval: timedelta | None = None
    """Maximum backoff interval between retries. Default 100x :py:attr:`initial_interval`."""

    maximum_attempts: int = 0
    """Maximum number of attempts. If 0, the default, there is no maximum."""

    non_retryable_error_types: Sequence[str] | None = None
    """List of error types that are not retryable."""

    @staticmethod
    def from_proto(proto: RetryPolicyProto) -> RetryPolicy:
        """Create a retry policy from the proto object."""
        return RetryPolicy(
            initial_interval=proto.initial_interval.ToTimedelta(),
            backoff_coefficient=proto.backoff_coefficient,
            maximum_interval=(
                proto.maximum_interval.ToTimedelta() if proto.HasField("maximum_interval") else None
            ),
            maximum_attempts=proto.maximum_attempts,
            non_retryable_error_types=(
                list(proto.non_retryable_error_types) if proto.non_retryable_error_types else None
            ),
        )

    def apply_to_proto(self, proto: RetryPolicyProto) -> None:
        """Apply the fields in this policy to the given proto object.

        Raises:
            ValueError: The policy is invalid (for example a negative interval).
        """
        self._validate()
        proto.initial_interval.FromTimedelta(self.initial_interval)
        proto.backoff_coefficient = self.backoff_coefficient
        # The server would apply the same default; writing it keeps histories identical to the
        # official SDK's.
        proto.maximum_interval.FromTimedelta(self.maximum_interval or self.initial_interval * 100)
        proto.maximum_attempts = self.maximum_attempts
        if self.non_retryable_error_types:
            proto.non_retryable_error_types.extend(self.non_retryable_error_types)

    def _to_proto(self) -> RetryPolicyProto:
        proto = RetryPolicyProto()
        self.apply_to_proto(proto)
        return proto

    def _validate(self) -> None:
        # A policy with one attempt never retries, so its intervals do not matter.
        if self.maximum_attempts == 1:
            return
        if self.initial_interval.total_seconds() < 0:
            raise ValueError(
                f"Initial interval cannot be negative (got {self.initial_interval!r}); "
                "use a zero or positive timedelta"
            )
        if self.backoff_coefficient < 1:
            raise ValueError(
                f"Backoff coefficient cannot be less than 1 (got {self.backoff_coefficient}); "
                "use 1.0 for a constant interval"
            )
        if self.maximum_interval:
            if self.maximum_interval.total_seconds() < 0:
                raise ValueError(
                    f"Maximum interval cannot be negative (got {self.maximum_interval!r})"
                )
            if self.maximum_interval < self.initial_interval:
                raise ValueError(
                    f"Maximum interval cannot be less than initial interval "
                    f"({self.maximum_interval!r} < {self.initial_interval!r})"
                )
        if self.maximum_attempts < 0:
            raise ValueError(
                f"Maximum attempts cannot be negative (got {self.maximum_attempts}); "
                "use 0 for unlimited attempts"
            )
