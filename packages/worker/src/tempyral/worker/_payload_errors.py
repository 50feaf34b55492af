"""The namespace's payload error limits, enforced before a task's completion is sent.

The server rejects a completion whose payloads exceed the namespace's blob size limit (or whose
memo exceeds its memo size limit), and the task then times out and is retried to no end. As the
official Core SDK does, a worker reads those limits from ``DescribeNamespace`` when it starts
(unless ``disable_payload_error_limit``) and measures each completion first
(``tempyral.service.payload_limit_violations``): a workflow task whose commands are too large
fails with cause ``PAYLOADS_TOO_LARGE``, and an activity whose result (or heartbeat details) is
too large fails (a retryable ``PayloadsTooLarge`` application failure) instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from tempyral.exceptions import ApplicationError
from tempyral.service import PayloadLimitsConfig, PayloadLimitViolation, payload_limit_violations

__all__ = ["PAYLOADS_TOO_LARGE", "PayloadErrorLimits", "PayloadsTooLargeError"]

PAYLOADS_TOO_LARGE = "PayloadsTooLarge"
_NO_WARNINGS = PayloadLimitsConfig(payloads_warn_size=0, memo_warn_size=0)  # the client warns


@dataclass
class PayloadErrorLimits:
    """The namespace's limits, in bytes (0: none); set when the worker starts."""

    blob: int = 0
    memo: int = 0

    def violation(self, request: Message) -> PayloadLimitViolation | None:
        """The first field of ``request`` over an error limit, if any."""
        if not self.blob and not self.memo:
            return None
        found = payload_limit_violations(
            request, _NO_WARNINGS, payloads_error_size=self.blob, memo_error_size=self.memo
        )
        return next((v for v in found if v.error), None)


class PayloadsTooLargeError(ApplicationError):
    """A completion over the namespace's payload error limit, failed by the worker instead of
    being sent (retryable: a fixed and redeployed worker can complete the next attempt)."""

    def __init__(self, violation: PayloadLimitViolation) -> None:
        super().__init__(
            f"{violation} (field {violation.path}: {violation.size} bytes, limit "
            f"{violation.threshold} bytes)",
            type=PAYLOADS_TOO_LARGE,
        )
        self.violation = violation
