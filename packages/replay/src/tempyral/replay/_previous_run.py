"""What the previous run of a cron workflow or schedule left to this one.

The server copies the last successful result (``last_completion_result``) and the last failure
(``continued_failure``) of a chain of runs onto each new run's start event; workflow code reads
them with ``workflow.get_last_completion_result()`` and ``workflow.get_last_failure()``.
"""

from __future__ import annotations

import warnings
from typing import Any

from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.converter import FailureConverter, PayloadConverter

__all__ = ["PreviousRun"]


class PreviousRun:
    """The last completion result and last failure carried by one run's start event."""

    __slots__ = ("_attributes", "_failure_converter", "_payload_converter")

    def __init__(
        self,
        attributes: history_pb2.WorkflowExecutionStartedEventAttributes,
        payload_converter: PayloadConverter,
        failure_converter: FailureConverter,
    ) -> None:
        self._attributes = attributes
        self._payload_converter = payload_converter
        self._failure_converter = failure_converter

    def has_completion_result(self) -> bool:
        return len(self._attributes.last_completion_result.payloads) > 0

    def completion_result(self, type_hint: type | None) -> Any | None:
        payloads = self._attributes.last_completion_result.payloads
        if not payloads:
            return None
        if len(payloads) > 1:
            # A workflow returns one value; more than one payload is not something we can pick from.
            warnings.warn(
                f"Expected single last completion result, got {len(payloads)}", stacklevel=3
            )
            return None
        hints = None if type_hint is None else [type_hint]
        return self._payload_converter.from_payloads([payloads[0]], hints)[0]

    def failure(self) -> BaseException | None:
        if not self._attributes.HasField("continued_failure"):
            return None
        return self._failure_converter.from_failure(
            self._attributes.continued_failure, self._payload_converter
        )
