"""How a trace context travels in Temporal headers: the one place that encodes and decodes it.

The official contrib puts the propagator's carrier (a ``dict[str, str]`` such as
``{"traceparent": "00-..."}``) under the header key ``_tracer-data``, encoded by the default
payload converter (JSON). Doing exactly the same here lets one trace cross official and tempyral
clients and workers in either direction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any, Protocol, TypeAlias

import opentelemetry.context
import opentelemetry.propagators.textmap
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter import PayloadConverter

__all__ = [
    "DEFAULT_HEADER_KEY",
    "Carrier",
    "HasHeaders",
    "TraceHeaders",
    "default_text_map_propagator",
]

DEFAULT_HEADER_KEY = "_tracer-data"
"""The header the official contrib uses; a different key would break cross-SDK traces."""

Carrier: TypeAlias = dict[str, opentelemetry.propagators.textmap.CarrierValT]

default_text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator = (
    CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
)
"""Default text map propagator used by :py:class:`TracingInterceptor` (W3C trace context and
baggage, as in the official contrib)."""


class TraceHeaders(Protocol):
    """What both tracing interceptors configure (subclasses may change all three)."""

    header_key: str
    text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator
    payload_converter: PayloadConverter


class HasHeaders(Protocol):
    """An interceptor input whose headers travel with the call (client or workflow side)."""

    headers: Mapping[str, Payload]


_JSON_PLAIN = b"json/plain"
# What the default JSON converter writes: compact, sorted keys, ASCII.
_encode_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


def _encode_carrier(carrier: Carrier) -> str:
    """``carrier`` as JSON, byte for byte what ``_encode_json`` writes. A carrier is nearly
    always the one ``traceparent`` string: that is written directly, without building the
    encoder ``JSONEncoder.encode`` builds on every call."""
    if len(carrier) == 1:
        ((key, value),) = carrier.items()
        if type(key) is str and type(value) is str:
            return "{" + _json_string(key) + ":" + _json_string(value) + "}"
    return _encode_json(carrier)


def carrier_from_headers(owner: TraceHeaders, headers: Mapping[str, Payload]) -> Carrier | None:
    """The carrier in ``headers``, or None when there is none (or it is empty)."""
    payload = headers.get(owner.header_key)
    if not payload:
        return None
    carrier: Any
    if (
        owner.payload_converter is PayloadConverter.default
        and payload.metadata.get("encoding") == _JSON_PLAIN
    ):
        # What the default converter would do, without its general dispatch: this runs for
        # every activity and workflow call.
        try:
            carrier = json.loads(payload.data)
        except ValueError as err:
            raise RuntimeError(f"Failed parsing the {owner.header_key} header: {err}") from err
    else:
        carrier = owner.payload_converter.from_payloads([payload])[0]
    return carrier if isinstance(carrier, dict) and carrier else None


def carrier_to_payload(owner: TraceHeaders, carrier: Carrier) -> Payload:
    """``carrier`` encoded by the owner's payload converter."""
    if owner.payload_converter is PayloadConverter.default:
        # Byte for byte what the default JSON converter writes (compact, sorted keys): a carrier
        # holds only strings, so none of the converter's type dispatch is needed.
        payload = Payload(data=_encode_carrier(carrier).encode())
        payload.metadata["encoding"] = _JSON_PLAIN
        return payload
    return owner.payload_converter.to_payloads([carrier])[0]


def carrier_to_headers(
    owner: TraceHeaders, carrier: Carrier, headers: Mapping[str, Payload]
) -> Mapping[str, Payload]:
    """``headers`` with ``carrier`` added under the header key (unchanged for an empty one)."""
    if not carrier:
        return headers
    return {**headers, owner.header_key: carrier_to_payload(owner, carrier)}


def carrier_to_nexus_headers(
    carrier: Carrier, headers: Mapping[str, str] | None
) -> Mapping[str, str] | None:
    """``headers`` of a Nexus request with ``carrier`` added: Nexus headers are strings, so each
    carrier entry is one header (a list joined by commas), as in the official contrib."""
    if not carrier:
        return headers
    merged = dict(headers or {})
    for key, value in carrier.items():
        merged[key] = ",".join(value) if isinstance(value, list) else value
    return merged


def current_carrier(
    owner: TraceHeaders, context: opentelemetry.context.Context | None = None
) -> Carrier:
    """The current (or given) OpenTelemetry context, injected into a fresh carrier."""
    carrier: Carrier = {}
    owner.text_map_propagator.inject(carrier, context)
    return carrier
