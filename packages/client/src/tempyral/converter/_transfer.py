"""Transfer types: classes that travel as another type (experimental in the official SDK).

A class decorated with :py:func:`transfer_type_convertible` is converted to its transfer type
before the payload converter runs, and rebuilt from it after decoding. The data converter wraps
every payload converter so this works whatever converter the user chose.
"""

from __future__ import annotations

import typing
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from typing_extensions import Self

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter._context import SerializationContext, WithSerializationContext
from tempyral.converter._payload import PayloadConverter

__all__ = ["TransferTypeConverter", "transfer_type_convertible"]

ValueT = TypeVar("ValueT")
TransferTypeT = TypeVar("TransferTypeT")

# The attribute name the official SDK uses, so a class decorated for both SDKs agrees.
_CONVERTER_ATTRIBUTE = "__temporal_transfer_type_converter"


class TransferTypeConverter(Generic[ValueT, TransferTypeT], ABC):
    """Converter between a user-facing value and the value that travels in its place.

    .. warning::
        This API is experimental and subject to change.
    """

    transfer_type: type[TransferTypeT] | None = None
    """Type hint for decoding the transfer value, if any."""

    @abstractmethod
    def to_transfer_type(self, value: ValueT) -> TransferTypeT:
        """Convert a user-facing value to its transfer type value."""

    @abstractmethod
    def from_transfer_type(self, value: TransferTypeT, type_hint: type[ValueT]) -> ValueT:
        """Convert a transfer type value to the requested user-facing type (``type_hint``,
        generic arguments included).
        """


class _TransferTypeConvertibleDecorator(Generic[ValueT, TransferTypeT]):
    def __init__(self, converter_type: type[TransferTypeConverter[ValueT, TransferTypeT]]) -> None:
        self._converter_type = converter_type

    def __call__(self, cls: type[ValueT]) -> type[ValueT]:
        if hasattr(cls, _CONVERTER_ATTRIBUTE):
            raise TypeError(
                f"{cls.__qualname__} already has a transfer type converter; decorate it once"
            )
        setattr(cls, _CONVERTER_ATTRIBUTE, self._converter_type())
        return cls


def transfer_type_convertible(
    converter_type: type[TransferTypeConverter[ValueT, TransferTypeT]],
) -> _TransferTypeConvertibleDecorator[ValueT, TransferTypeT]:
    """Class decorator: values of the class travel through the given converter.

    .. warning::
        This API is experimental and subject to change.
    """
    return _TransferTypeConvertibleDecorator(converter_type)


def _transfer_type_converter(value_type: object) -> TransferTypeConverter[Any, Any] | None:
    converter = getattr(value_type, _CONVERTER_ATTRIBUTE, None)
    return converter if isinstance(converter, TransferTypeConverter) else None


class _TransferTypePayloadConverter(PayloadConverter, WithSerializationContext):
    """Wraps a payload converter with transfer type conversion on both sides."""

    def __init__(self, inner: PayloadConverter) -> None:
        self._inner = inner

    @staticmethod
    def wrap(payload_converter: PayloadConverter) -> PayloadConverter:
        if isinstance(payload_converter, _TransferTypePayloadConverter):
            return payload_converter
        return _TransferTypePayloadConverter(payload_converter)

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        transfer_values = []
        for value in values:
            converter = _transfer_type_converter(type(value))
            transfer_values.append(converter.to_transfer_type(value) if converter else value)
        return self._inner.to_payloads(transfer_values)

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        if type_hints is None:
            return self._inner.from_payloads(payloads, None)
        converters = [_transfer_type_converter(hint) for hint in type_hints]
        inner_hints = [
            converter.transfer_type if converter is not None else hint
            for converter, hint in zip(converters, type_hints, strict=True)
        ]
        values = self._inner.from_payloads(payloads, typing.cast("list[type]", inner_hints))
        return [
            converter.from_transfer_type(value, hint) if converter is not None else value
            for value, converter, hint in zip(values, converters, type_hints, strict=False)
        ]

    def with_context(self, context: SerializationContext) -> Self:
        if not isinstance(self._inner, WithSerializationContext):
            return self
        inner = self._inner.with_context(context)
        return self if inner is self._inner else type(self)(inner)

    def __getattr__(self, name: str) -> Any:
        # Attributes of the wrapped converter (``converters`` of a composite, ...) stay reachable
        # through DataConverter.payload_converter. Guarded for unpickling, before _inner exists.
        if name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)
