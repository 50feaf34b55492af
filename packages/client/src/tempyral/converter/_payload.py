"""Payload converters: Python values to ``Payload`` protos and back, one encoding at a time.

A :py:class:`CompositePayloadConverter` holds one :py:class:`EncodingPayloadConverter` per
encoding. Encoding tries them in order and the first that accepts the value wins; decoding picks
the converter named by the payload's ``encoding`` metadata. The default order, shared by all
Temporal SDKs, is ``binary/null``, ``binary/plain``, ``json/protobuf``, ``binary/protobuf``,
``json/plain`` (JSON last because it accepts almost anything).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from itertools import zip_longest
from typing import Any, ClassVar, TypeVar, overload

from typing_extensions import Self

from tempyral.api.common.v1.message_pb2 import Payload, Payloads
from tempyral.common import RawValue
from tempyral.converter._context import SerializationContext, WithSerializationContext

__all__ = [
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "CompositePayloadConverter",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "PayloadConverter",
]

_AnyType = TypeVar("_AnyType")


class PayloadConverter(ABC):
    """Base payload converter to/from multiple payloads/values."""

    default: ClassVar[PayloadConverter]
    """Default payload converter."""

    @abstractmethod
    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values into payloads.

        Implementers are expected to return the payload of a
        :py:class:`tempyral.common.RawValue` as is.

        Args:
            values: Values to be converted.

        Returns:
            Converted payloads: at least one, and no more than values given.

        Raises:
            Exception: Any issue during conversion.
        """

    @abstractmethod
    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        """Decode payloads into values.

        Implementers are expected to treat a type hint of :py:class:`tempyral.common.RawValue`
        as a request for the payload itself.

        Args:
            payloads: Payloads to convert to Python values.
            type_hints: Types that are expected, if any. When present it has the same length
                as ``payloads`` (``object`` where there is nothing to say).

        Returns:
            Python values: at least one.

        Raises:
            Exception: Any issue during conversion.
        """

    def to_payloads_wrapper(self, values: Sequence[Any]) -> Payloads:
        """:py:meth:`to_payloads` for the ``Payloads`` wrapper."""
        return Payloads(payloads=self.to_payloads(values))

    def from_payloads_wrapper(self, payloads: Payloads | None) -> list[Any]:
        """:py:meth:`from_payloads` for the ``Payloads`` wrapper."""
        if not payloads or not payloads.payloads:
            return []
        return self.from_payloads(payloads.payloads)

    def to_payload(self, value: Any) -> Payload:
        """Convert a single value to a payload."""
        return self.to_payloads([value])[0]

    @overload
    def from_payload(self, payload: Payload) -> Any: ...

    @overload
    def from_payload(self, payload: Payload, type_hint: type[_AnyType]) -> _AnyType: ...

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """Convert a single payload to a value, optionally of the given type."""
        return self.from_payloads([payload], [type_hint] if type_hint else None)[0]


class EncodingPayloadConverter(ABC):
    """Converter to/from one payload of one encoding, for use in a
    :py:class:`CompositePayloadConverter`.
    """

    @property
    @abstractmethod
    def encoding(self) -> str:
        """Encoding for the payload this converter works with."""

    @abstractmethod
    def to_payload(self, value: Any) -> Payload | None:
        """Encode a single value to a payload, or ``None`` if this converter does not take it.

        Raises:
            TypeError: Value is not the expected type.
            ValueError: Value is of the expected type but otherwise incorrect.
            RuntimeError: General error during encoding.
        """

    @abstractmethod
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """Decode a single payload of this converter's encoding, or raise.

        Raises:
            RuntimeError: General error during decoding.
        """


class _UnknownEncodingError(KeyError):
    """A payload names an encoding no converter handles (a ``KeyError``, as in the official
    SDK, with a readable message instead of a quoted key).
    """

    def __str__(self) -> str:
        return str(self.args[0])


class CompositePayloadConverter(PayloadConverter, WithSerializationContext):
    """Payload converter that delegates to encoding payload converters, tried in order.

    Attributes:
        converters: Encoding payload converters by encoding (as bytes), in order.
    """

    converters: Mapping[bytes, EncodingPayloadConverter]

    def __init__(self, *converters: EncodingPayloadConverter) -> None:
        """Initialize with the encoding payload converters to delegate to, in order."""
        self._set_converters(*converters)

    def _set_converters(self, *converters: EncodingPayloadConverter) -> None:
        self.converters = {c.encoding.encode(): c for c in converters}

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode each value with the first converter that accepts it.

        Raises:
            TypeError: A value is of a type no converter can encode.
            ValueError: A converter accepted the value's type but not the value.
            RuntimeError: No converter accepted the value.
        """
        # Serially, in case a stateful converter relies on the previous values.
        return [self._value_to_payload(index, value) for index, value in enumerate(values)]

    def _value_to_payload(self, index: int, value: Any) -> Payload:
        if isinstance(value, RawValue):
            return value.payload
        for converter in self.converters.values():
            try:
                payload = converter.to_payload(value)
            except (TypeError, ValueError) as err:
                error_type = TypeError if isinstance(err, TypeError) else ValueError
                raise error_type(
                    f"Value at index {index} of type {_type_name(value)} cannot be converted to "
                    f"a {converter.encoding} payload: {err}. Pass a value the data converter "
                    "supports (None, bytes, a protobuf message, or JSON data: dict, list, str, "
                    "int, float, bool, dataclass, pydantic model, enum, UUID, datetime), or "
                    "configure a DataConverter whose payload converter handles this type."
                ) from err
            if payload is not None:
                return payload
        encodings = ", ".join(c.encoding for c in self.converters.values())
        raise RuntimeError(
            f"Value at index {index} of type {_type_name(value)} has no known converter: none "
            f"of the encodings {encodings} accepted it. Add an EncodingPayloadConverter for "
            "this type to the payload converter."
        )

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        """Decode each payload with the converter of its ``encoding`` metadata.

        Raises:
            KeyError: A payload's encoding has no converter.
            TypeError: A payload's value does not fit its type hint.
            RuntimeError: A payload could not be decoded.
        """
        values = []
        for index, (payload, type_hint) in enumerate(zip_longest(payloads, type_hints or [])):
            values.append(self._payload_to_value(index, payload, type_hint))
        return values

    def _payload_to_value(self, index: int, payload: Payload, type_hint: type | None) -> Any:
        if type_hint is RawValue:
            return RawValue(payload)
        encoding = payload.metadata.get("encoding")
        converter = self.converters.get(encoding) if encoding is not None else None
        if converter is None:
            raise _UnknownEncodingError(self._unknown_encoding_message(index, encoding))
        try:
            return converter.from_payload(payload, type_hint)
        except RuntimeError as err:
            raise RuntimeError(
                f"Payload at index {index} with encoding {converter.encoding} could not be "
                f"converted: {err}"
            ) from err
        except TypeError as err:
            raise TypeError(
                f"Payload at index {index} with encoding {converter.encoding} could not be "
                f"converted to {_hint_name(type_hint)}: {err}. Check that the type hint matches "
                "what the sender wrote."
            ) from err

    def _unknown_encoding_message(self, index: int, encoding: bytes | None) -> str:
        known = ", ".join(c.encoding for c in self.converters.values())
        what = (
            "has no 'encoding' metadata"
            if encoding is None
            else f"has encoding {encoding.decode(errors='replace')!r}, which no converter handles"
        )
        return (
            f"Unknown payload encoding: payload at index {index} {what} (known: {known}). "
            "It was written by a payload converter or codec this data converter lacks; "
            "configure the same DataConverter (payload converter and payload codec) as the "
            "sender, or take the value as tempyral.common.RawValue."
        )

    def with_context(self, context: SerializationContext) -> Self:
        """A copy whose component converters have the context, or ``self`` if none uses it."""
        converters = self.get_converters_with_context(context)
        if converters is None:
            return self
        # As in the official SDK, subclasses must have a nullary constructor.
        new_instance = type(self)()
        new_instance._set_converters(*converters)
        return new_instance

    def get_converters_with_context(
        self, context: SerializationContext
    ) -> list[EncodingPayloadConverter] | None:
        """Component converters with the context set, or ``None`` if none uses context."""
        if not self._any_converter_takes_context:
            return None
        converters: list[EncodingPayloadConverter] = []
        changed = False
        for converter in self.converters.values():
            if isinstance(converter, WithSerializationContext):
                with_context = converter.with_context(context)
                changed |= with_context is not converter
                converters.append(with_context)
            else:
                converters.append(converter)
        return converters if changed else None

    @functools.cached_property
    def _any_converter_takes_context(self) -> bool:
        return any(isinstance(c, WithSerializationContext) for c in self.converters.values())


class DefaultPayloadConverter(CompositePayloadConverter):
    """Default payload converter, compatible with the other Temporal SDKs.

    Handles ``None``, ``bytes``, protobuf messages and JSON-able values (see
    :py:class:`tempyral.converter.JSONPlainPayloadConverter`).
    """

    default_encoding_payload_converters: tuple[EncodingPayloadConverter, ...]
    """The encoding payload converters of the default payload converter, in order."""

    def __init__(self) -> None:
        """Create a default payload converter."""
        super().__init__(*DefaultPayloadConverter.default_encoding_payload_converters)


class BinaryNullPayloadConverter(EncodingPayloadConverter):
    """Converter for ``binary/null`` payloads, the encoding of ``None``."""

    @property
    def encoding(self) -> str:
        """See base class."""
        return "binary/null"

    def to_payload(self, value: Any) -> Payload | None:
        """See base class."""
        if value is None:
            return Payload(metadata={"encoding": self.encoding.encode()})
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class."""
        if payload.data:
            raise RuntimeError(
                f"Expected empty data set for binary/null, got {len(payload.data)} bytes"
            )
        return None


class BinaryPlainPayloadConverter(EncodingPayloadConverter):
    """Converter for ``binary/plain`` payloads, the encoding of ``bytes``."""

    @property
    def encoding(self) -> str:
        """See base class."""
        return "binary/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """See base class."""
        if isinstance(value, bytes):
            return Payload(metadata={"encoding": self.encoding.encode()}, data=value)
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class."""
        return payload.data


def _type_name(value: object) -> str:
    cls = type(value)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _hint_name(hint: object) -> str:
    if isinstance(hint, type):
        return hint.__qualname__
    return repr(hint)
