"""The json/plain converter: its encoder, custom encoders and decoders, and its exact bytes."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pydantic
import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)


def encode(value: Any) -> bytes:
    return json.dumps(value, cls=AdvancedJSONEncoder, separators=(",", ":")).encode()


class Shape(Enum):
    SQUARE = "square"
    CIRCLE = 2


@dataclasses.dataclass
class Item:
    name: str
    when: datetime


class Model(pydantic.BaseModel):
    name: str
    created: datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), b'"2024-01-02T03:04:05+00:00"'),
        (date(2024, 1, 2), b'"2024-01-02"'),
        (time(3, 4, 5), b'"03:04:05"'),
        (UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
        ({3, 1, 2}, b"[1,2,3]"),
        ((1, 2), b"[1,2]"),
        (b"hi", b"[104,105]"),
        (Shape.SQUARE, b'"square"'),
        (Shape.CIRCLE, b"2"),
        (
            Item("pen", datetime(2024, 1, 2, tzinfo=timezone.utc)),
            b'{"name":"pen","when":"2024-01-02T00:00:00+00:00"}',
        ),
        (
            Model(name="m", created=datetime(2024, 1, 2, tzinfo=timezone.utc)),
            b'{"name":"m","created":"2024-01-02T00:00:00+00:00"}',
        ),
    ],
    ids=repr,
)
def test_advanced_encoder_writes_what_the_official_sdk_writes(value: Any, expected: bytes) -> None:
    assert encode(value) == expected


def test_pydantic_v1_style_dict_method_is_used() -> None:
    class LegacyModel:
        def dict(self) -> dict[str, int]:
            return {"legacy": 1}

    assert encode(LegacyModel()) == b'{"legacy":1}'


def test_output_is_compact_with_sorted_keys() -> None:
    payload = JSONPlainPayloadConverter().to_payload({"b": 1, "a": {"d": 2, "c": [1, 2]}})
    assert payload is not None

    assert payload.data == b'{"a":{"c":[1,2],"d":2},"b":1}'


class DecimalEncoder(AdvancedJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {"__decimal__": str(o)}
        return super().default(o)


class DecimalDecoder(json.JSONDecoder):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(object_hook=self._object_hook, **kwargs)

    @staticmethod
    def _object_hook(obj: dict[str, Any]) -> Any:
        if "__decimal__" in obj:
            return Decimal(obj["__decimal__"])
        return obj


class DecimalPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(
            *(
                JSONPlainPayloadConverter(encoder=DecimalEncoder, decoder=DecimalDecoder)
                if isinstance(c, JSONPlainPayloadConverter)
                else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


async def test_custom_encoder_and_decoder_replace_the_json_converter() -> None:
    converter = DataConverter(payload_converter_class=DecimalPayloadConverter)

    payloads = await converter.encode([{"price": Decimal("9.99")}])

    assert payloads[0].data == b'{"price":{"__decimal__":"9.99"}}'
    assert await converter.decode(payloads) == [{"price": Decimal("9.99")}]


def test_default_converter_rejects_what_only_a_custom_encoder_handles() -> None:
    with pytest.raises(TypeError, match="Decimal is not JSON serializable"):
        DataConverter.default.payload_converter.to_payload(Decimal("1"))


def test_custom_encoding_name_is_written_and_read() -> None:
    converter = CompositePayloadConverter(JSONPlainPayloadConverter(encoding="json/custom"))

    payload = converter.to_payload([1])

    assert payload.metadata["encoding"] == b"json/custom"
    assert converter.from_payload(payload) == [1]


def test_non_utf8_json_is_a_parse_error() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b"\xff\xfe")

    with pytest.raises(RuntimeError, match="Failed parsing JSON"):
        JSONPlainPayloadConverter().from_payload(payload)
