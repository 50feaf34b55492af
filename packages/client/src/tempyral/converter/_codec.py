"""Payload codecs (compression, encryption, ...) and where payloads hide inside a failure.

A codec transforms payload bytes after the payload converter ran (encode) and before it runs
(decode). Failures carry payloads in several places (details, heartbeat details, encoded
attributes, and the same again down the cause chain); :py:func:`_apply_to_failure_payloads`
visits each of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence

from tempyral.api.common.v1.message_pb2 import Payload, Payloads
from tempyral.api.failure.v1.message_pb2 import Failure

__all__ = ["PayloadCodec"]


class PayloadCodec(ABC):
    """Codec for encoding/decoding payloads to/from bytes, commonly for compression or
    encryption.
    """

    @abstractmethod
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encode the given payloads (without mutating them).

        Returns:
            Encoded payloads: at least one, and no more than given.
        """

    @abstractmethod
    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decode the given payloads (without mutating them).

        Returns:
            Decoded payloads: at least one, and no more than given.
        """

    async def encode_wrapper(self, payloads: Payloads) -> None:
        """:py:meth:`encode` for the ``Payloads`` wrapper, replacing its payloads in place."""
        new_payloads = await self.encode(payloads.payloads)
        del payloads.payloads[:]
        payloads.payloads.extend(new_payloads)

    async def decode_wrapper(self, payloads: Payloads) -> None:
        """:py:meth:`decode` for the ``Payloads`` wrapper, replacing its payloads in place."""
        new_payloads = await self.decode(payloads.payloads)
        del payloads.payloads[:]
        payloads.payloads.extend(new_payloads)

    async def encode_failure(self, failure: Failure) -> None:
        """Encode every payload of a failure and its causes, in place.

        A helper, not meant to be overridden: not every failure is encoded through it.
        """
        await _apply_to_failure_payloads(failure, self.encode_wrapper)

    async def decode_failure(self, failure: Failure) -> None:
        """Decode every payload of a failure and its causes, in place.

        A helper, not meant to be overridden: not every failure is decoded through it.
        """
        await _apply_to_failure_payloads(failure, self.decode_wrapper)


async def _apply_to_failure_payloads(
    failure: Failure, transform: Callable[[Payloads], Awaitable[None]]
) -> None:
    """Run ``transform`` over each ``Payloads`` inside the failure and its cause chain."""
    if failure.HasField("encoded_attributes"):
        wrapper = Payloads(payloads=[failure.encoded_attributes])
        await transform(wrapper)
        failure.encoded_attributes.CopyFrom(wrapper.payloads[0])
    details = _failure_details(failure)
    if details is not None:
        await transform(details)
    if failure.HasField("cause"):
        await _apply_to_failure_payloads(failure.cause, transform)


def _failure_details(failure: Failure) -> Payloads | None:
    info = failure.WhichOneof("failure_info")
    if info == "application_failure_info":
        app = failure.application_failure_info
        return app.details if app.HasField("details") else None
    if info == "timeout_failure_info":
        timeout = failure.timeout_failure_info
        return (
            timeout.last_heartbeat_details if timeout.HasField("last_heartbeat_details") else None
        )
    if info == "canceled_failure_info":
        canceled = failure.canceled_failure_info
        return canceled.details if canceled.HasField("details") else None
    if info == "reset_workflow_failure_info":
        reset = failure.reset_workflow_failure_info
        return reset.last_heartbeat_details if reset.HasField("last_heartbeat_details") else None
    return None
