"""Typed search attributes: keys, collections, updates and their payload encoding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest

from tempyral.api.common.v1.message_pb2 import Payload, SearchAttributes
from tempyral.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from tempyral.converter import (
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attribute_values,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)

NAME = SearchAttributeKey.for_keyword("CustomerName")
AGE = SearchAttributeKey.for_int("Age")
TAGS = SearchAttributeKey.for_keyword_list("Tags")
WHEN = SearchAttributeKey.for_datetime("SignedUp")
SCORE = SearchAttributeKey.for_float("Score")
SIGNED_UP = datetime(2024, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-5)))


def test_keys_know_their_index_and_value_types() -> None:
    assert TAGS.indexed_value_type is SearchAttributeIndexedValueType.KEYWORD_LIST
    assert TAGS.value_type == Sequence[str]
    assert TAGS.origin_value_type is Sequence
    assert (
        SearchAttributeKey.for_text("T").indexed_value_type is SearchAttributeIndexedValueType.TEXT
    )
    assert SearchAttributeKey.for_bool("B").value_type is bool
    # Same name and type are the same key.
    assert SearchAttributeKey.for_int("Age") == AGE
    assert SearchAttributeKey.for_float("Age") != AGE


def test_collection_is_sorted_and_looks_up_by_key() -> None:
    attributes = TypedSearchAttributes(
        [SearchAttributePair(NAME, "ann"), SearchAttributePair(AGE, 30)]
    )

    assert [pair.key.name for pair in attributes] == ["Age", "CustomerName"]
    assert attributes[AGE] == 30
    assert attributes.get(SCORE) is None
    assert attributes.get(SCORE, 0.5) == 0.5
    assert AGE in attributes
    assert SearchAttributeKey.for_float("Age") not in attributes
    assert len(attributes) == 2
    with pytest.raises(KeyError):
        attributes[SCORE]


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="Duplicate search attribute entries found for key Age"):
        TypedSearchAttributes([SearchAttributePair(AGE, 1), SearchAttributePair(AGE, 2)])


def test_updated_replaces_by_name_and_adds_new() -> None:
    attributes = TypedSearchAttributes([SearchAttributePair(AGE, 1)])

    updated = attributes.updated(SearchAttributePair(AGE, 2), SearchAttributePair(NAME, "x"))

    assert updated[AGE] == 2
    assert updated[NAME] == "x"
    assert attributes[AGE] == 1
    assert TypedSearchAttributes.empty.search_attributes == []


def test_value_set_and_unset_make_updates() -> None:
    assert (AGE.value_set(3).key, AGE.value_set(3).value) == (AGE, 3)
    assert AGE.value_unset().value is None


def test_typed_values_carry_their_index_type_in_metadata() -> None:
    payload = encode_typed_search_attribute_value(WHEN, SIGNED_UP)

    assert payload.metadata["type"] == b"Datetime"
    assert payload.metadata["encoding"] == b"json/plain"
    assert json.loads(payload.data) == "2024-03-04T05:06:07-05:00"


def test_unset_value_has_no_type_so_the_server_removes_it() -> None:
    payload = encode_typed_search_attribute_value(AGE, None)

    assert dict(payload.metadata) == {"encoding": b"binary/null"}


def test_typed_attributes_round_trip_through_the_proto() -> None:
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(NAME, "ann"),
            SearchAttributePair(AGE, 30),
            SearchAttributePair(TAGS, ["a", "b"]),
            SearchAttributePair(WHEN, SIGNED_UP),
            SearchAttributePair(SCORE, 2.0),
            SearchAttributePair(SearchAttributeKey.for_bool("Vip"), True),
        ]
    )
    proto = SearchAttributes()

    encode_search_attributes(attributes, proto)

    assert decode_typed_search_attributes(proto) == attributes


@pytest.mark.parametrize(
    ("key", "value", "error", "message"),
    [
        (AGE, "thirty", TypeError, "not suitable for search attribute 'Age'"),
        (WHEN, datetime(2024, 1, 1), ValueError, "Timezone must be present"),
        (TAGS, ["a", 1], TypeError, "All values of a keyword list must be strings"),
    ],
)
def test_bad_values_are_rejected(key: object, value: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        encode_typed_search_attribute_value(key, value)  # type: ignore[arg-type]


def test_decoding_skips_untyped_and_unknown_values() -> None:
    proto = SearchAttributes()
    proto.indexed_fields["NoType"].CopyFrom(
        Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    )
    proto.indexed_fields["Strange"].CopyFrom(
        Payload(metadata={"encoding": b"json/plain", "type": b"Geo"}, data=b'"x"')
    )
    proto.indexed_fields["Mismatch"].CopyFrom(
        Payload(metadata={"encoding": b"json/plain", "type": b"Int"}, data=b'"x"')
    )
    proto.indexed_fields["Legacy"].CopyFrom(
        Payload(
            metadata={"encoding": b"json/plain", "type": b"INDEXED_VALUE_TYPE_KEYWORD"},
            data=b'["one"]',
        )
    )

    decoded = decode_typed_search_attributes(proto)

    assert [(pair.key, pair.value) for pair in decoded] == [
        (SearchAttributeKey.for_keyword("Legacy"), "one")
    ]


def test_whole_number_double_from_visibility_is_a_float() -> None:
    proto = SearchAttributes()
    proto.indexed_fields["Score"].CopyFrom(
        Payload(metadata={"encoding": b"json/plain", "type": b"Double"}, data=b"3")
    )

    value = decode_typed_search_attributes(proto)[SCORE]

    assert value == 3.0
    assert type(value) is float


def test_deprecated_untyped_form_round_trips() -> None:
    proto = SearchAttributes()

    encode_search_attributes({"Tags": ["a", "b"], "When": [SIGNED_UP]}, proto)

    # As in the official SDK, the untyped form writes no type, so a date-time reads back as text
    # until the server (which knows the index type) adds one.
    assert decode_search_attributes(proto) == {
        "Tags": ["a", "b"],
        "When": ["2024-03-04T05:06:07-05:00"],
    }
    proto.indexed_fields["When"].metadata["type"] = b"Datetime"
    assert decode_search_attributes(proto)["When"] == [SIGNED_UP]


def test_deprecated_untyped_values_must_share_a_type() -> None:
    with pytest.raises(TypeError, match="must have the same type"):
        encode_search_attribute_values(["a", 1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be lists"):
        encode_search_attribute_values("a")  # type: ignore[arg-type]
