"""Search attribute values as payloads, in the server's format.

A typed value is a ``json/plain`` payload with ``type`` metadata naming its index type
(``Keyword``, ``Datetime``, ...); date-times travel as ISO 8601 text with a timezone. Unset
values are ``binary/null`` payloads without ``type``, which the server reads as "remove".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.common.v1.message_pb2 import SearchAttributes as SearchAttributesProto
from tempyral.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeValue,
    SearchAttributeValues,
    TypedSearchAttributes,
)
from tempyral.converter._data import DataConverter
from tempyral.converter._iso8601 import parse_iso_datetime

__all__ = [
    "decode_search_attributes",
    "decode_typed_search_attributes",
    "encode_search_attribute_values",
    "encode_search_attributes",
    "encode_typed_search_attribute_value",
]

_TIMEZONE_REQUIRED = (
    "Timezone must be present on all search attribute dates; use an aware datetime such as "
    "datetime.now(timezone.utc)"
)


def encode_search_attributes(
    attributes: SearchAttributes | TypedSearchAttributes, api: SearchAttributesProto
) -> None:
    """Write search attributes into an API message.

    Args:
        attributes: Search attributes to convert (the dictionary form is deprecated).
        api: API message to set converted attributes on.
    """
    if isinstance(attributes, TypedSearchAttributes):
        for key, value in attributes:
            api.indexed_fields[key.name].CopyFrom(encode_typed_search_attribute_value(key, value))
        return
    for name, values in (attributes or {}).items():
        api.indexed_fields[name].CopyFrom(encode_search_attribute_values(values))


def encode_typed_search_attribute_value(
    key: SearchAttributeKey[Any], value: SearchAttributeValue | None
) -> Payload:
    """Convert a typed search attribute value into a payload with ``type`` metadata.

    Raises:
        TypeError: The value does not fit the key's type.
        ValueError: A date-time has no timezone.
    """
    converter = DataConverter.default.payload_converter
    # The server removes an attribute set to null only if the payload has no type metadata.
    if value is None:
        return converter.to_payload(None)
    if not isinstance(value, key.origin_value_type):
        raise TypeError(
            f"Value of type {type(value).__name__} not suitable for search attribute "
            f"{key.name!r} of indexed value type {key.indexed_value_type.name}"
        )
    encoded: Any = value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(_TIMEZONE_REQUIRED)
        encoded = value.isoformat()
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if not all(isinstance(item, str) for item in value):
            raise TypeError("All values of a keyword list must be strings")
        encoded = list(value)
    payload = converter.to_payload(encoded)
    payload.metadata["type"] = key._metadata_type.encode()
    return payload


def encode_search_attribute_values(vals: SearchAttributeValues) -> Payload:
    """Convert the values of one untyped search attribute into a payload.

    .. deprecated::
        Use typed search attributes instead.
    """
    if not isinstance(vals, list):
        raise TypeError(f"Search attribute values must be lists, got {type(vals).__name__}")
    value_type: type | None = None
    safe_values: list[Any] = []
    for value in vals:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(_TIMEZONE_REQUIRED)
            safe_values.append(value.isoformat())
            continue
        if not isinstance(value, (str, int, float, bool)):
            raise TypeError(
                f"Search attribute value of type {type(value).__name__} not one of str, int, "
                "float, bool, or datetime"
            )
        if value_type and type(value) is not value_type:
            raise TypeError("Search attribute values must have the same type for the same key")
        value_type = type(value)
        safe_values.append(value)
    return DataConverter.default.payload_converter.to_payloads([safe_values])[0]


def _encode_maybe_typed_search_attributes(
    non_typed_attributes: SearchAttributes | None,
    typed_attributes: TypedSearchAttributes | None,
    api: SearchAttributesProto,
) -> None:
    if non_typed_attributes:
        if typed_attributes and typed_attributes.search_attributes:
            raise ValueError(
                "Cannot provide both deprecated search attributes and typed search attributes; "
                "pass only TypedSearchAttributes"
            )
        encode_search_attributes(non_typed_attributes, api)
    elif typed_attributes and typed_attributes.search_attributes:
        encode_search_attributes(typed_attributes, api)


def decode_search_attributes(api: SearchAttributesProto) -> SearchAttributes:
    """Decode an API message into untyped search attribute values (a new mapping each time).

    .. deprecated::
        Use typed search attributes instead.
    """
    converter = DataConverter.default.payload_converter
    result: dict[str, Any] = {}
    for name, payload in api.indexed_fields.items():
        value = converter.from_payloads([payload])[0]
        values = value if isinstance(value, list) else [value]
        if payload.metadata.get("type") == b"Datetime":
            values = [parse_iso_datetime(item) for item in values]
        result[name] = values
    return result


def decode_typed_search_attributes(api: SearchAttributesProto) -> TypedSearchAttributes:
    """Decode an API message into typed search attributes (a new object each time).

    Values without ``type`` metadata, of an unknown type, or not matching their type are
    skipped, as the official SDK does.
    """
    pairs: list[SearchAttributePair[Any]] = []
    for name, payload in api.indexed_fields.items():
        metadata_type = payload.metadata.get("type")
        key = (
            SearchAttributeKey._from_metadata_type(name, metadata_type.decode())
            if metadata_type
            else None
        )
        if key is None:
            continue
        value = _typed_value(key, DataConverter.default.payload_converter.from_payload(payload))
        if value is not None and isinstance(value, key.origin_value_type):
            pairs.append(SearchAttributePair(key, value))
    return TypedSearchAttributes(pairs)


def _typed_value(key: SearchAttributeKey[Any], value: Any) -> Any:
    index_type = key.indexed_value_type
    # Single values sometimes arrive as one-item lists.
    if index_type != SearchAttributeIndexedValueType.KEYWORD_LIST and isinstance(value, list):
        if len(value) != 1:
            return None
        value = value[0]
    if index_type == SearchAttributeIndexedValueType.DATETIME:
        return parse_iso_datetime(value)
    # Visibility returns a whole-number Double as a JSON integer.
    if index_type == SearchAttributeIndexedValueType.DOUBLE and type(value) is int:
        return float(value)
    return value


def _decode_search_attribute_value(payload: Payload) -> SearchAttributeValue:
    value: Any = DataConverter.default.payload_converter.from_payload(payload)
    if isinstance(value, str) and payload.metadata.get("type") == b"Datetime":
        value = parse_iso_datetime(value)
    decoded: SearchAttributeValue = value
    return decoded
