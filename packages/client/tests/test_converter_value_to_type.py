"""Type-hint-driven decoding: what a workflow or activity parameter receives from JSON."""

from __future__ import annotations

import collections
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum, IntEnum
from typing import Annotated, Any, Generic, Literal, NewType, Optional, TypeVar, Union

import pydantic
import pytest
from typing_extensions import NotRequired, TypeAliasType, TypedDict

from tempyral.converter import (
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    JSONTypeConverterUnhandled,
    PayloadConverter,
    value_to_type,
)


class Color(IntEnum):
    RED = 1
    BLUE = 2


class Size(str, Enum):
    SMALL = "s"
    LARGE = "l"


class Planet(Enum):
    EARTH = (1, "blue")
    MARS = "red"


@dataclass
class Point:
    x: int
    y: int = 0


@dataclass(frozen=True)
class Labelled:
    label: str
    points: list[Point]
    computed: int = field(init=False, default=0)


T = TypeVar("T")


@dataclass
class Box(Generic[T]):
    item: T


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class Account(pydantic.BaseModel):
    owner: str
    opened: datetime


UserId = NewType("UserId", int)


def round_trip(value: Any, hint: Any) -> Any:
    """What a receiver typed ``hint`` gets for ``value`` sent through the default converter."""
    payload = PayloadConverter.default.to_payload(value)
    return PayloadConverter.default.from_payload(payload, hint)


WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (1, int),
        (1.5, float),
        ("s", str),
        (False, bool),
        (None, type(None)),
        (b"\x00\x01", bytes),
        (WHEN, datetime),
        (date(2024, 2, 29), date),
        (time(23, 59, 1, 5), time),
        (uuid.UUID(int=7), uuid.UUID),
        (Color.BLUE, Color),
        (Size.LARGE, Size),
        (Planet.MARS, Planet),
        ("b", Literal["a", "b"]),
        ([1, 2], list[int]),
        ((1, "a", 2.5), tuple[int, str, float]),
        ((1, 2, 3), tuple[int, ...]),
        ({1, 2}, set[int]),
        (frozenset({"x"}), frozenset[str]),
        (collections.deque([1]), collections.deque[int]),
        ([Point(1)], Sequence[Point]),
        ({"a": Point(1, 2)}, dict[str, Point]),
        ({"a": Color.RED}, Mapping[str, Color]),
        ({1: "x", 2: "y"}, dict[int, str]),
        ({1.5: "x"}, dict[float, str]),
        ({True: 1, False: 0}, dict[bool, int]),
        ({Color.RED: "r"}, dict[Color, str]),
        (Point(3, 4), Point),
        (Labelled("l", [Point(1), Point(2, 3)]), Labelled),
        (Box(Point(5)), Box[Point]),
        ({"title": "Alien"}, Movie),
        (UserId(5), UserId),
        # typing.Optional/Union and X | Y are different objects at runtime; both must work.
        (None, Optional[Point]),  # noqa: UP045
        (Point(1), Optional[Point]),  # noqa: UP045
        ("text", Union[int, str]),  # noqa: UP007
        (None, Point | None),
        ("text", int | str),
        (5, Annotated[int, "positive"]),
        (Account(owner="ann", opened=WHEN), Account),
        ({"any": [1, "two"]}, Any),
        ({"any": [1, "two"]}, object),
    ],
    ids=repr,
)
def test_values_come_back_as_their_type(value: Any, hint: Any) -> None:
    result = round_trip(value, hint)

    assert result == value
    assert type(result) is type(value)


def test_generic_dataclass_field_keeps_its_nested_type() -> None:
    assert round_trip(Box(Point(5)), Box[Point]).item == Point(5)
    assert round_trip(Box([Point(5)]), Box[list[Point]]).item == [Point(5)]


def test_init_false_dataclass_fields_are_restored() -> None:
    labelled = Labelled("l", [])
    object.__setattr__(labelled, "computed", 42)

    assert round_trip(labelled, Labelled).computed == 42


def test_unknown_dataclass_fields_are_ignored_and_defaults_fill_in() -> None:
    assert value_to_type(Point, {"x": 1, "extra": True}) == Point(1, 0)


def test_datetime_parses_the_forms_other_sdks_write() -> None:
    assert value_to_type(datetime, "2024-05-06T07:08:09Z") == datetime(
        2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc
    )
    assert value_to_type(datetime, "2024-05-06T07:08:09.123456789+00:00").microsecond == 123456


def test_bytes_from_other_sdks_base64_text() -> None:
    assert value_to_type(bytes, "AAE=") == b"\x00\x01"


def test_int_hint_accepts_floats_like_the_official_sdk() -> None:
    assert value_to_type(int, 2.0) == 2


T_bound = TypeVar("T_bound", bound=Point)


def test_type_var_uses_its_bound() -> None:
    assert value_to_type(T_bound, {"x": 1}) == Point(1)  # type: ignore[misc]


def test_type_alias_is_unwrapped() -> None:
    # What ``type Points = list[tuple[int, int]]`` creates on Python 3.12+.
    points = TypeAliasType("Points", list[tuple[int, int]])

    assert value_to_type(points, [[1, 2]]) == [(1, 2)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hint", "value", "message"),
    [
        (int, "1", "Expected value to be int|float"),
        (str, 1, "Expected value to be str"),
        (bool, 1, "Expected value to be bool"),
        (type(None), 0, "Expected None"),
        (datetime, "yesterday", "Failed parsing datetime string: yesterday"),
        (date, 5, "Expected date or ISO8601 string"),
        (bytes, "not base64!", "Expected bytes as a base64 string"),
        (Color, "RED", "not an integer"),
        (Size, 1, "not a string"),
        (Color, 9, "Cannot convert to enum"),
        (Literal["a"], "z", "not in literal values"),
        (Point, [1, 2], "Cannot convert to dataclass"),
        (list[int], "123", "Expected list[int]"),
        (list[int], {"a": 1}, "Expected list[int]"),
        (tuple[int], [1, 2], "only expecting 1 values"),
        (dict[str, int], [1], "Expected dict[str, int]"),
        (Union[int, Point], "x", "Failed converting to"),  # noqa: UP007
        (int | Point, "x", "Failed converting to"),
        (Account, "ann", "not dict"),
        (complex, 1, "Unserializable type during conversion"),
    ],
    ids=repr,
)
def test_mismatches_raise_type_error_naming_the_problem(
    hint: Any, value: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        value_to_type(hint, value)


def test_nested_failure_says_where() -> None:
    with pytest.raises(TypeError, match="Failed converting field points") as info:
        value_to_type(Labelled, {"label": "l", "points": [{"x": "bad"}]})

    assert "index 0" in str(info.value.__cause__)


def test_missing_required_dataclass_field_fails() -> None:
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
        value_to_type(Point, {"y": 1})


def test_bad_mapping_key_names_the_key() -> None:
    with pytest.raises(TypeError, match="Failed converting key 'x' to type <class 'int'>"):
        value_to_type(dict[int, str], {"x": "y"})


def test_pydantic_validation_errors_reach_the_caller() -> None:
    with pytest.raises(pydantic.ValidationError):
        value_to_type(Account, {"owner": "ann", "opened": "not a date"})


class _Celsius:
    def __init__(self, degrees: float) -> None:
        self.degrees = degrees


class _CelsiusConverter(JSONTypeConverter):
    def to_typed_value(self, hint: type, value: Any) -> Any | None | JSONTypeConverterUnhandled:
        if hint is _Celsius:
            return _Celsius(float(value))
        return JSONTypeConverter.Unhandled


def test_custom_type_converters_apply_at_every_level() -> None:
    converter = JSONPlainPayloadConverter(custom_type_converters=[_CelsiusConverter()])
    payload = converter.to_payload({"monday": 21.5})
    assert payload is not None

    decoded = converter.from_payload(payload, dict[str, _Celsius])

    assert decoded["monday"].degrees == 21.5


@pytest.mark.parametrize("text", [b"1e99999", b"-1e99999", b"NaN"])
def test_a_json_number_too_big_for_an_int_is_a_type_error(text: bytes) -> None:
    # Found by tools/reliability/fuzz.py: it was an OverflowError (or ValueError for NaN).
    from tempyral.api.common.v1.message_pb2 import Payload
    from tempyral.converter import DataConverter

    payload = Payload(data=text, metadata={"encoding": b"json/plain"})
    with pytest.raises(TypeError, match="to int"):
        DataConverter.default.payload_converter.from_payloads([payload], [int])
