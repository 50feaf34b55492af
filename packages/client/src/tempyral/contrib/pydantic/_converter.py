"""A ``json/plain`` converter that serializes and validates with pydantic v2."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

try:
    from pydantic_core import SchemaSerializer, to_json
    from pydantic_core.core_schema import any_schema

    from pydantic import TypeAdapter
except ImportError as missing:
    raise ImportError(
        "tempyral.contrib.pydantic needs pydantic v2, which tempyral-client installs only with "
        "its pydantic extra: pip install 'tempyral-client[pydantic]'"
    ) from missing

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)

__all__ = [
    "PydanticJSONPlainPayloadConverter",
    "PydanticPayloadConverter",
    "ToJsonOptions",
    "pydantic_data_converter",
]


@dataclass
class ToJsonOptions:
    """Options for converting to JSON with pydantic."""

    exclude_unset: bool = False


class PydanticJSONPlainPayloadConverter(EncodingPayloadConverter):
    """``json/plain`` converter for everything pydantic can serialize and validate.

    Besides pydantic models and what :py:func:`json.dumps` takes, that is dataclasses,
    ``datetime`` types, sets, UUIDs and custom types built from them. Pickling keeps the cache
    size limit but not the cached type adapters.
    """

    def __init__(
        self,
        to_json_options: ToJsonOptions | None = None,
        *,
        max_cached_type_adapters: int | None = 1024,
    ) -> None:
        """Create a new payload converter.

        Args:
            to_json_options: Options for serializing values to JSON.
            max_cached_type_adapters: Maximum number of type adapters kept (least recently used
                evicted first); ``None`` for unbounded, zero to disable caching.
        """
        if max_cached_type_adapters is not None and max_cached_type_adapters < 0:
            raise ValueError(
                f"max_cached_type_adapters cannot be negative (got {max_cached_type_adapters}); "
                "use 0 to disable the cache or None for no limit"
            )
        self._schema_serializer = SchemaSerializer(any_schema())
        self._to_json_options = to_json_options
        self._type_adapter = self._new_type_adapter_cache(max_cached_type_adapters)

    @staticmethod
    def _new_type_adapter_cache(maxsize: int | None) -> functools._lru_cache_wrapper[Any]:
        return functools.lru_cache(maxsize=maxsize)(TypeAdapter)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the type adapter cache, whose wrapper does not pickle."""
        state = self.__dict__.copy()
        state["_type_adapter"] = self._type_adapter.cache_info().maxsize
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore state with an empty type adapter cache."""
        self.__dict__.update(state)
        self._type_adapter = self._new_type_adapter_cache(state["_type_adapter"])

    @property
    def encoding(self) -> str:
        """See base class."""
        return "json/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """See base class; serializes with ``pydantic_core.to_json``."""
        data = (
            self._schema_serializer.to_json(
                value, exclude_unset=self._to_json_options.exclude_unset
            )
            if self._to_json_options
            else to_json(value)
        )
        return Payload(metadata={"encoding": self.encoding.encode()}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class; validates with ``TypeAdapter(type_hint).validate_json``."""
        hint: Any = type_hint if type_hint is not None else Any
        try:
            adapter: TypeAdapter[Any] = self._type_adapter(hint)
        except TypeError:
            # An unhashable hint cannot be cached; any other TypeError is the adapter's own.
            try:
                hash(hint)
            except TypeError:
                adapter = TypeAdapter(hint)
            else:
                raise
        return adapter.validate_json(payload.data)


class PydanticPayloadConverter(CompositePayloadConverter):
    """The default payload converter with JSON handled by
    :py:class:`PydanticJSONPlainPayloadConverter`.
    """

    def __init__(
        self,
        to_json_options: ToJsonOptions | None = None,
        *,
        max_cached_type_adapters: int | None = 1024,
    ) -> None:
        """Initialize object.

        To configure it through a :py:class:`tempyral.converter.DataConverter`, use a subclass
        with a nullary constructor as the ``payload_converter_class``.

        Args:
            to_json_options: Options for serializing values to JSON.
            max_cached_type_adapters: See :py:class:`PydanticJSONPlainPayloadConverter`.
        """
        json_converter = PydanticJSONPlainPayloadConverter(
            to_json_options, max_cached_type_adapters=max_cached_type_adapters
        )
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


pydantic_data_converter = DataConverter(payload_converter_class=PydanticPayloadConverter)
"""Data converter for everything pydantic can serialize and validate.

Pass it as the ``data_converter`` of :py:class:`tempyral.client.Client`.
"""
