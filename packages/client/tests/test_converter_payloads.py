"""The default payload converter: encodings, their order, protobuf messages and bad input."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import struct_pb2

from tempyral.api.common.v1.message_pb2 import Payload, Payloads, WorkflowExecution
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common import RawValue
from tempyral.converter import (
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadConverter,
    SerializationContext,
    TransferTypeConverter,
    WithSerializationContext,
    WorkflowSerializationContext,
    transfer_type_convertible,
)

converter = PayloadConverter.default


def _encoding(payload: Payload) -> bytes:
    return payload.metadata["encoding"]


def test_default_converter_tries_encodings_in_the_official_order() -> None:
    encodings = [c.encoding for c in DefaultPayloadConverter().converters.values()]

    assert encodings == [
        "binary/null",
        "binary/plain",
        "json/protobuf",
        "binary/protobuf",
        "json/plain",
    ]


@pytest.mark.parametrize(
    ("value", "encoding", "data"),
    [
        (None, b"binary/null", b""),
        (b"\x00\x01", b"binary/plain", b"\x00\x01"),
        ("text", b"json/plain", b'"text"'),
        ({"b": 1, "a": [1, 2.5, None]}, b"json/plain", b'{"a":[1,2.5,null],"b":1}'),
        (True, b"json/plain", b"true"),
    ],
)
def test_values_get_the_encoding_and_bytes_other_sdks_expect(
    value: Any, encoding: bytes, data: bytes
) -> None:
    payload = converter.to_payload(value)

    assert _encoding(payload) == encoding
    assert payload.data == data
    assert converter.from_payload(payload) == value


def test_protobuf_messages_are_json_protobuf_with_their_message_type() -> None:
    message = WorkflowExecution(workflow_id="wf", run_id="run")

    payload = converter.to_payload(message)

    assert _encoding(payload) == b"json/protobuf"
    assert payload.metadata["messageType"] == b"temporal.api.common.v1.WorkflowExecution"
    assert json.loads(payload.data) == {"workflowId": "wf", "runId": "run"}
    assert converter.from_payload(payload) == message
    assert converter.from_payload(payload, WorkflowExecution) == message


def test_binary_protobuf_round_trips() -> None:
    message = WorkflowExecution(workflow_id="wf")
    payload = BinaryProtoPayloadConverter().to_payload(message)
    assert payload is not None

    assert _encoding(payload) == b"binary/protobuf"
    assert payload.data == message.SerializeToString()
    assert converter.from_payload(payload) == message


def test_google_protobuf_message_from_the_default_pool_round_trips() -> None:
    struct = struct_pb2.Struct()
    struct.update({"a": 1, "nested": {"b": [True, "x"]}})

    decoded = converter.from_payload(converter.to_payload(struct))

    assert type(decoded) is struct_pb2.Struct
    assert decoded == struct


def test_messages_with_well_known_type_fields_round_trip_in_the_private_pool() -> None:
    failure = Failure(message="m")
    failure.application_failure_info.next_retry_delay.FromSeconds(3)

    payload = converter.to_payload(failure)

    assert json.loads(payload.data)["applicationFailureInfo"] == {"nextRetryDelay": "3s"}
    assert converter.from_payload(payload) == failure


def test_temporal_message_module_is_imported_on_demand() -> None:
    # A fresh interpreter: nothing has imported the schedule protos yet.
    script = textwrap.dedent(
        """
        import sys
        from tempyral.api.common.v1.message_pb2 import Payload
        from tempyral.converter import PayloadConverter
        assert "tempyral.api.schedule.v1.message_pb2" not in sys.modules
        payload = Payload(
            metadata={"encoding": b"json/protobuf",
                      "messageType": b"temporal.api.schedule.v1.ScheduleSpec"},
            data=b'{"cronString": ["0 * * * *"]}',
        )
        value = PayloadConverter.default.from_payload(payload)
        print(type(value).__module__, list(value.cron_string))
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "tempyral.api.schedule.v1.message_pb2",
        "['0",
        "*",
        "*",
        "*",
        "*']",
    ]


def test_unknown_protobuf_type_says_what_to_import() -> None:
    payload = Payload(
        metadata={"encoding": b"binary/protobuf", "messageType": b"acme.v1.Missing"}, data=b""
    )

    with pytest.raises(RuntimeError, match="could not be converted") as info:
        converter.from_payload(payload)

    assert "Unknown Protobuf type acme.v1.Missing" in str(info.value)
    assert "Import the _pb2 module" in str(info.value)


def test_raw_value_passes_through_both_ways() -> None:
    raw = Payload(metadata={"encoding": b"my/own"}, data=b"opaque")

    [payload] = converter.to_payloads([RawValue(raw)])
    [value] = converter.from_payloads([raw], [RawValue])

    assert payload == raw
    assert value == RawValue(raw)


def test_non_serializable_value_names_index_type_and_remedy() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError) as info:
        converter.to_payloads(["fine", Opaque()])

    message = str(info.value)
    assert "Value at index 1" in message
    assert "Opaque" in message
    assert "not JSON serializable" in message
    assert "configure a DataConverter" in message
    assert isinstance(info.value.__cause__, TypeError)


def test_circular_value_is_a_value_error_with_context() -> None:
    looped: list[Any] = []
    looped.append(looped)

    with pytest.raises(ValueError, match="Value at index 0 of type list") as info:
        converter.to_payload(looped)

    assert "Circular reference" in str(info.value)


def test_unknown_encoding_names_it_and_what_to_do() -> None:
    payload = Payload(metadata={"encoding": b"binary/encrypted"}, data=b"\x01")

    with pytest.raises(KeyError) as info:
        converter.from_payloads([payload])

    message = str(info.value)
    assert "'binary/encrypted'" in message
    assert "json/plain" in message
    assert "payload codec" in message
    assert "RawValue" in message


def test_payload_without_encoding_metadata_is_reported() -> None:
    with pytest.raises(KeyError, match="has no 'encoding' metadata"):
        converter.from_payload(Payload(data=b"1"))


def test_value_not_matching_type_hint_names_index_and_type() -> None:
    payloads = converter.to_payloads([1, "not a number"])

    with pytest.raises(
        TypeError, match=r"index 1 with encoding json/plain could not be converted to int"
    ):
        converter.from_payloads(payloads, [int, int])


def test_malformed_json_is_a_runtime_error() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b"{nope")

    with pytest.raises(RuntimeError, match="Failed parsing JSON"):
        converter.from_payload(payload)


def test_binary_null_with_data_is_rejected() -> None:
    payload = Payload(metadata={"encoding": b"binary/null"}, data=b"x")

    with pytest.raises(RuntimeError, match="Expected empty data set for binary/null"):
        converter.from_payload(payload)


class _Upper(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return "text/upper"

    def to_payload(self, value: Any) -> Payload | None:
        if isinstance(value, str):
            return Payload(metadata={"encoding": b"text/upper"}, data=value.upper().encode())
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        return payload.data.decode().lower()


def test_composite_uses_the_first_converter_that_accepts() -> None:
    composite = CompositePayloadConverter(_Upper(), JSONPlainPayloadConverter())

    payloads = composite.to_payloads(["abc", 5])

    assert [_encoding(p) for p in payloads] == [b"text/upper", b"json/plain"]
    assert composite.from_payloads(payloads) == ["abc", 5]


def test_wrapper_helpers_handle_payloads_messages() -> None:
    wrapped = converter.to_payloads_wrapper(["a", None])

    assert isinstance(wrapped, Payloads)
    assert converter.from_payloads_wrapper(wrapped) == ["a", None]
    assert converter.from_payloads_wrapper(None) == []


def test_data_converter_default_shares_payload_converter() -> None:
    assert PayloadConverter.default is DataConverter.default.payload_converter
    # The transfer type wrapper still exposes the composite's converters.
    converters: Any = PayloadConverter.default
    assert b"json/plain" in converters.converters


def test_data_converter_pickles_for_process_pools() -> None:
    restored = pickle.loads(pickle.dumps(DataConverter.default))

    assert restored.payload_converter.to_payloads([{"a": 1}]) == converter.to_payloads([{"a": 1}])


@dataclass
class Money:
    cents: int


class MoneyAsText(TransferTypeConverter[Money, str]):
    transfer_type = str

    def to_transfer_type(self, value: Money) -> str:
        return f"{value.cents / 100:.2f}"

    def from_transfer_type(self, value: str, type_hint: type[Money]) -> Money:
        return type_hint(round(float(value) * 100))


transfer_type_convertible(MoneyAsText)(Money)


async def test_transfer_type_values_travel_as_their_transfer_type() -> None:
    [payload] = await DataConverter.default.encode([Money(1250)])

    assert payload.data == b'"12.50"'
    assert await DataConverter.default.decode([payload], [Money]) == [Money(1250)]


def test_transfer_type_converter_can_be_attached_once() -> None:
    with pytest.raises(TypeError, match="already has a transfer type converter"):
        transfer_type_convertible(MoneyAsText)(Money)


class _Tagging(EncodingPayloadConverter, WithSerializationContext):
    def __init__(self, workflow_id: str = "") -> None:
        self.workflow_id = workflow_id

    @property
    def encoding(self) -> str:
        return "json/tagged"

    def to_payload(self, value: Any) -> Payload | None:
        return Payload(metadata={"encoding": b"json/tagged"}, data=self.workflow_id.encode())

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        return payload.data.decode()

    def with_context(self, context: SerializationContext) -> _Tagging:
        assert isinstance(context, WorkflowSerializationContext)
        return _Tagging(context.workflow_id)


class _TaggingConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(_Tagging())


def test_serialization_context_reaches_the_encoding_converters() -> None:
    data_converter = DataConverter(payload_converter_class=_TaggingConverter)
    context = WorkflowSerializationContext(namespace="default", workflow_id="wf-7")

    with_context = data_converter.with_context(context)

    assert with_context.payload_converter.to_payload("x").data == b"wf-7"
    assert data_converter.payload_converter.to_payload("x").data == b""


def test_with_context_is_identity_when_nothing_uses_context() -> None:
    context = WorkflowSerializationContext(namespace="default", workflow_id="wf")

    assert DataConverter.default.with_context(context) is DataConverter.default
