"""``DataConverter``: the payload converter, payload codec and failure converter together.

Encoding runs the payload converter then the codec; decoding runs the codec then the payload
converter. Failures are converted and then have every payload inside them run through the codec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from typing_extensions import Self

from tempyral.api.common.v1.message_pb2 import Memo, Payload, Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common._helpers import _arg_unset
from tempyral.converter._codec import PayloadCodec, _apply_to_failure_payloads
from tempyral.converter._context import SerializationContext, WithSerializationContext
from tempyral.converter._failure import DefaultFailureConverter, FailureConverter
from tempyral.converter._payload import DefaultPayloadConverter, PayloadConverter
from tempyral.converter._transfer import _TransferTypePayloadConverter

__all__ = ["DataConverter", "default"]

# The official SDK's external storage (experimental) writes payloads that only point at the
# data; tempyral cannot fetch them, so it says so instead of failing with "unknown encoding".
_EXTERNAL_REFERENCE_ENCODING = b"json/external-storage-reference"
_EXTERNAL_REFERENCE_MARKER = "__temporal_external_storage_reference"
_EXTERNAL_REFERENCE_MESSAGE_TYPE = b"temporal.api.sdk.v1.ExternalStorageReference"


@dataclass(frozen=True)
class DataConverter(WithSerializationContext):
    """Converts and encodes payloads to/from Python values.

    Combines a :py:class:`PayloadConverter`, which converts values, with an optional
    :py:class:`PayloadCodec`, which encodes bytes, and a :py:class:`FailureConverter`.
    """

    payload_converter_class: type[PayloadConverter] = DefaultPayloadConverter
    """Class to instantiate for payload conversion (with a nullary constructor)."""

    payload_codec: PayloadCodec | None = None
    """Optional codec for encoding payload bytes."""

    failure_converter_class: type[FailureConverter] = DefaultFailureConverter
    """Class to instantiate for failure conversion."""

    payload_converter: PayloadConverter = dataclasses.field(init=False)
    """Payload converter created from :py:attr:`payload_converter_class`, wrapped with transfer
    type conversion.
    """

    failure_converter: FailureConverter = dataclasses.field(init=False)
    """Failure converter created from :py:attr:`failure_converter_class`."""

    default: ClassVar[DataConverter]
    """Singleton default data converter."""

    def __post_init__(self) -> None:
        """Instantiate the payload and failure converters."""
        payload_converter = _TransferTypePayloadConverter.wrap(self.payload_converter_class())
        object.__setattr__(self, "payload_converter", payload_converter)
        object.__setattr__(self, "failure_converter", self.failure_converter_class())

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Convert values to payloads, then encode them with the codec.

        Returns:
            Payloads: at least one, and no more than values given.
        """
        return await self._encode_payload_sequence(self.payload_converter.to_payloads(values))

    async def decode(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        """Decode payloads with the codec, then convert them to values of the type hints."""
        decoded = await self._decode_payload_sequence(payloads)
        return self.payload_converter.from_payloads(decoded, type_hints)

    async def encode_wrapper(self, values: Sequence[Any]) -> Payloads:
        """:py:meth:`encode` for the ``Payloads`` wrapper."""
        return Payloads(payloads=await self.encode(values))

    async def decode_wrapper(
        self, payloads: Payloads | None, type_hints: list[type] | None = None
    ) -> list[Any]:
        """:py:meth:`decode` for the ``Payloads`` wrapper."""
        if not payloads or not payloads.payloads:
            return []
        return await self.decode(payloads.payloads, type_hints)

    async def encode_failure(self, exception: BaseException, failure: Failure) -> None:
        """Convert the exception into ``failure``, then encode the payloads inside it."""
        self.failure_converter.to_failure(exception, self.payload_converter, failure)
        if self.payload_codec:
            await _apply_to_failure_payloads(failure, self._transform_outbound_payloads)

    async def decode_failure(self, failure: Failure) -> BaseException:
        """Decode the payloads inside ``failure`` (in place), then convert it to an exception."""
        await _apply_to_failure_payloads(failure, self._transform_inbound_payloads)
        return self.failure_converter.from_failure(failure, self.payload_converter)

    def with_context(self, context: SerializationContext) -> Self:
        """This converter with the context given to every component that takes one."""
        components = {
            "payload_converter": self.payload_converter,
            "payload_codec": self.payload_codec,
            "failure_converter": self.failure_converter,
        }
        with_context = {
            name: (
                component.with_context(context)
                if isinstance(component, WithSerializationContext)
                else component
            )
            for name, component in components.items()
        }
        if all(with_context[name] is components[name] for name in components):
            return self
        cloned = dataclasses.replace(self)
        for name, component in with_context.items():
            object.__setattr__(cloned, name, component)
        return cloned

    # --- helpers the client and workers of this package use, as in the official SDK ---------

    def _with_contexts(
        self, serialization_ctx: SerializationContext, store_ctx: object = None
    ) -> DataConverter:
        """:py:meth:`with_context`; the store context is for external storage, unsupported."""
        return self.with_context(serialization_ctx)

    async def _encode_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Codec-encode already converted payloads."""
        if self.payload_codec:
            return await self.payload_codec.encode(payloads)
        return list(payloads)

    async def _decode_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Codec-decode payloads without converting them."""
        _reject_external_references(payloads)
        if self.payload_codec:
            return await self.payload_codec.decode(payloads)
        return list(payloads)

    async def _transform_outbound_payload(self, payload: Payload) -> Payload:
        """Codec-encode one already converted payload (a header, a memo value)."""
        if self.payload_codec:
            payload = (await self.payload_codec.encode([payload]))[0]
        return payload

    async def _transform_inbound_payload(self, payload: Payload) -> Payload:
        """Codec-decode one payload without converting it."""
        _reject_external_references([payload])
        if self.payload_codec:
            payload = (await self.payload_codec.decode([payload]))[0]
        return payload

    async def _transform_outbound_payloads(self, payloads: Payloads) -> None:
        if self.payload_codec:
            await self.payload_codec.encode_wrapper(payloads)

    async def _transform_inbound_payloads(self, payloads: Payloads) -> None:
        _reject_external_references(payloads.payloads)
        if self.payload_codec:
            await self.payload_codec.decode_wrapper(payloads)

    async def _encode_memo(self, source: Mapping[str, Any]) -> Memo:
        memo = Memo()
        await self._encode_memo_existing(source, memo)
        return memo

    async def _encode_memo_existing(self, source: Mapping[str, Any], memo: Memo) -> None:
        for key, value in source.items():
            payload = value if isinstance(value, Payload) else (await self.encode([value]))[0]
            memo.fields[key].CopyFrom(payload)

    async def _decode_memo(self, source: Memo) -> Mapping[str, Any]:
        return {key: (await self.decode([value]))[0] for key, value in source.fields.items()}

    async def _decode_memo_field(
        self, source: Memo, key: str, default: Any, type_hint: type | None
    ) -> Any:
        payload = source.fields.get(key)
        if not payload:
            if default is _arg_unset:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        return (await self.decode([payload], [type_hint] if type_hint else None))[0]


def _reject_external_references(payloads: Sequence[Payload]) -> None:
    for payload in payloads:
        encoding = payload.metadata.get("encoding")
        if (
            encoding == _EXTERNAL_REFERENCE_ENCODING
            or payload.metadata.get(_EXTERNAL_REFERENCE_MARKER) == b"true"
            or (
                encoding == b"json/protobuf"
                and payload.metadata.get("messageType") == _EXTERNAL_REFERENCE_MESSAGE_TYPE
            )
        ):
            raise RuntimeError(
                "[TMPRL1105] Detected externally stored payload(s), but tempyral does not "
                "support external storage: the sender's data converter stored the payload "
                "outside the history. Read it with an SDK configured with the same external "
                "storage, or have the sender keep payloads inline."
            )


def default() -> DataConverter:
    """Default data converter.

    .. deprecated::
        Use :py:attr:`DataConverter.default` instead.
    """
    return DataConverter.default
