"""The ``_tracer-data`` header carries the propagator's carrier as the default payload converter
writes it (the official contrib's encoding): tempyral writes those bytes itself, faster, so every
carrier shape must come out byte for byte the same, and read back."""

from __future__ import annotations

import pytest

from tempyral.contrib.opentelemetry import TracingInterceptor
from tempyral.contrib.opentelemetry._propagation import (
    Carrier,
    carrier_from_headers,
    carrier_to_headers,
)
from tempyral.converter import PayloadConverter

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

CARRIERS: list[Carrier] = [
    {"traceparent": TRACEPARENT},
    {"traceparent": TRACEPARENT, "tracestate": "vendor=a,other=b"},
    {"tracestate": "x=1", "traceparent": TRACEPARENT, "baggage": "user=%C3%A9,team=a%20b"},
    {"traceparent": 'quotes " and \\ backslashes\tand\ncontrols'},
    {"clé": "valeur ü ☃ 𝄞"},
    {"traceparent": ["a", "b"]},
]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_header_is_what_the_default_converter_writes(carrier: Carrier) -> None:
    owner = TracingInterceptor()
    headers = carrier_to_headers(owner, carrier, {})
    expected = PayloadConverter.default.to_payloads([carrier])[0]
    assert headers["_tracer-data"].SerializeToString(deterministic=True) == (
        expected.SerializeToString(deterministic=True)
    )
    assert carrier_from_headers(owner, headers) == carrier
