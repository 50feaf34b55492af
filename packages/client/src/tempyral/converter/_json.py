"""The ``json/plain`` payload converter and its extension points.

Encoding goes through :py:class:`AdvancedJSONEncoder` (dataclasses, pydantic models, enums,
UUIDs, date-times, any iterable); decoding rebuilds the type-hinted value with
:py:func:`tempyral.converter.value_to_type`. Output bytes equal the official SDK's: compact
separators and sorted keys.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter._payload import EncodingPayloadConverter
from tempyral.converter._value_to_type import JSONTypeConverter, value_to_type

__all__ = ["AdvancedJSONEncoder", "JSONPlainPayloadConverter"]


class AdvancedJSONEncoder(json.JSONEncoder):
    """JSON encoder for dataclasses, pydantic models, enums, UUIDs, date-times and iterables.

    Objects with a ``dict()`` method (pydantic v1) are encoded through it. Iterables other than
    lists (sets, tuples, ``bytes``) become lists, as in the official SDK.
    """

    def default(self, o: Any) -> Any:
        """Override JSON encoding default; see :py:meth:`json.JSONEncoder.default`."""
        for accepts, encode in _ENCODINGS:
            if accepts(o):
                return encode(o)
        return super().default(o)


def _dump_method(o: Any) -> Callable[[], Any] | None:
    # pydantic v2's model_dump() is what its deprecated dict() calls, minus the warning.
    for name in ("model_dump", "dict"):
        method = getattr(o, name, None)
        if callable(method):
            dump: Callable[[], Any] = method
            return dump
    return None


def _dump(o: Any) -> Any:
    dump = _dump_method(o)
    assert dump is not None
    return dump()


# Tried in order, the official SDK's first. int and str enums never reach the encoder's
# default() (json writes them natively); other enums go by value.
_ENCODINGS: tuple[tuple[Callable[[Any], bool], Callable[[Any], Any]], ...] = (
    (lambda o: isinstance(o, (datetime, date, time)), lambda o: o.isoformat()),
    (lambda o: dataclasses.is_dataclass(o) and not isinstance(o, type), dataclasses.asdict),
    (lambda o: _dump_method(o) is not None, _dump),
    (lambda o: isinstance(o, Enum), lambda o: o.value),
    (lambda o: not isinstance(o, list) and isinstance(o, collections.abc.Iterable), list),
    (lambda o: isinstance(o, uuid.UUID), str),
)


class JSONPlainPayloadConverter(EncodingPayloadConverter):
    """Converter for ``json/plain`` payloads supporting common Python values.

    Encodes what :py:func:`json.dumps` accepts plus what :py:class:`AdvancedJSONEncoder` adds;
    decodes to the type hint with :py:func:`tempyral.converter.value_to_type`.
    """

    _encoder: type[json.JSONEncoder] | None
    _decoder: type[json.JSONDecoder] | None
    _encoding: str

    def __init__(
        self,
        *,
        encoder: type[json.JSONEncoder] | None = AdvancedJSONEncoder,
        decoder: type[json.JSONDecoder] | None = None,
        encoding: str = "json/plain",
        custom_type_converters: Sequence[JSONTypeConverter] = (),
    ) -> None:
        """Initialize a JSON data converter.

        Args:
            encoder: Custom encoder class to use.
            decoder: Custom decoder class to use.
            encoding: Encoding name to use.
            custom_type_converters: Converters tried, in order, when decoding to a type hint.
        """
        super().__init__()
        self._encoder = encoder
        self._decoder = decoder
        self._encoding = encoding
        self._custom_type_converters = custom_type_converters

    @property
    def encoding(self) -> str:
        """See base class."""
        return self._encoding

    def to_payload(self, value: Any) -> Payload | None:
        """See base class. JSON errors (``TypeError``, ``ValueError``) reach the caller."""
        data = json.dumps(value, cls=self._encoder, separators=(",", ":"), sort_keys=True)
        return Payload(metadata={"encoding": self._encoding.encode()}, data=data.encode())

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class."""
        try:
            obj = json.loads(payload.data, cls=self._decoder)
        except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
            raise RuntimeError(f"Failed parsing JSON: {err}") from err
        if type_hint:
            obj = value_to_type(type_hint, obj, self._custom_type_converters)
        return obj
