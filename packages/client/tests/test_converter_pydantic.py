"""The pydantic data converter: models and everything pydantic validates, as json/plain."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import pydantic
import pytest

from tempyral.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
    ToJsonOptions,
    pydantic_data_converter,
)
from tempyral.converter import DataConverter


class Line(pydantic.BaseModel):
    sku: str
    quantity: int = 1
    price: Decimal


class Invoice(pydantic.BaseModel):
    id: UUID
    issued: date
    due_in: timedelta
    lines: list[Line]
    paid_at: datetime | None = None


@dataclass
class Note:
    text: str


INVOICE = Invoice(
    id=UUID(int=3),
    issued=date(2024, 1, 31),
    due_in=timedelta(days=30),
    lines=[Line(sku="a", price=Decimal("1.50")), Line(sku="b", quantity=2, price=Decimal("2"))],
    paid_at=datetime(2024, 2, 1, tzinfo=timezone.utc),
)


async def test_models_round_trip_with_types_the_default_converter_lacks() -> None:
    payloads = await pydantic_data_converter.encode([INVOICE, Note("n"), {"x": 1}])

    assert {p.metadata["encoding"] for p in payloads} == {b"json/plain"}
    decoded = await pydantic_data_converter.decode(payloads, [Invoice, Note, dict[str, int]])
    assert decoded == [INVOICE, Note("n"), {"x": 1}]


async def test_other_encodings_stay_the_defaults() -> None:
    payloads = await pydantic_data_converter.encode([None, b"raw"])

    assert [p.metadata["encoding"] for p in payloads] == [b"binary/null", b"binary/plain"]


async def test_invalid_data_raises_pydantic_validation_error() -> None:
    [payload] = await pydantic_data_converter.encode([{"sku": "a", "price": "lots"}])

    with pytest.raises(pydantic.ValidationError, match="price"):
        await pydantic_data_converter.decode([payload], [Line])


def test_exclude_unset_leaves_defaults_out() -> None:
    converter = PydanticJSONPlainPayloadConverter(ToJsonOptions(exclude_unset=True))

    payload = converter.to_payload(Line(sku="a", price=Decimal(1)))

    assert payload is not None
    assert payload.data == b'{"sku":"a","price":"1"}'


def test_unhashable_type_hints_still_decode() -> None:
    converter = PydanticJSONPlainPayloadConverter()
    hint: Any = Annotated[int, pydantic.Field(gt=0), ["unhashable metadata"]]
    payload = converter.to_payload(5)
    assert payload is not None

    assert converter.from_payload(payload, hint) == 5


def test_negative_cache_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        PydanticJSONPlainPayloadConverter(max_cached_type_adapters=-1)


def test_converter_pickles_without_its_cache() -> None:
    converter = PydanticJSONPlainPayloadConverter(max_cached_type_adapters=7)
    payload = converter.to_payload(INVOICE)
    assert payload is not None
    converter.from_payload(payload, Invoice)

    restored = pickle.loads(pickle.dumps(converter))

    assert restored._type_adapter.cache_info().maxsize == 7
    assert restored.from_payload(payload, Invoice) == INVOICE


async def test_cache_size_is_configurable_through_a_subclass() -> None:
    class SmallCache(PydanticPayloadConverter):
        def __init__(self) -> None:
            super().__init__(max_cached_type_adapters=1)

    converter = DataConverter(payload_converter_class=SmallCache)

    assert await converter.decode(await converter.encode([INVOICE]), [Invoice]) == [INVOICE]
