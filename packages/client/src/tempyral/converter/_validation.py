"""The error a payload validator raises, in the reserved form other SDKs recognise."""

from __future__ import annotations

from typing import Any

from tempyral.exceptions import ApplicationError

__all__ = ["create_payload_validation_error"]


def create_payload_validation_error(details: Any) -> ApplicationError:
    """A non-retryable ``ApplicationError`` of the reserved type ``PayloadValidationError``.

    Args:
        details: Structured details describing the validation failure, or ``None`` for none.
    """
    error_details: tuple[Any, ...] = () if details is None else (details,)
    return ApplicationError(
        "Payload validation failed",
        *error_details,
        type="PayloadValidationError",
        non_retryable=True,
    )
