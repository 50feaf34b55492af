"""Payload codecs: every payload a user sends or receives goes through them, failures included."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pytest

from tempyral.api.common.v1.message_pb2 import Payload, Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from tempyral.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)

ENCODED = b"binary/b64"


class Base64Codec(PayloadCodec):
    """Wraps each whole payload in base64, so an un-decoded payload is obvious."""

    def __init__(self) -> None:
        self.encoded = 0
        self.decoded = 0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.encoded += len(payloads)
        return [
            Payload(metadata={"encoding": ENCODED}, data=base64.b64encode(p.SerializeToString()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.decoded += len(payloads)
        return [Payload.FromString(base64.b64decode(p.data)) for p in payloads]


def _all_payloads(failure: Failure) -> list[Payload]:
    found: list[Payload] = []
    if failure.HasField("encoded_attributes"):
        found.append(failure.encoded_attributes)
    for wrapper in (
        failure.application_failure_info.details,
        failure.timeout_failure_info.last_heartbeat_details,
        failure.canceled_failure_info.details,
        failure.reset_workflow_failure_info.last_heartbeat_details,
    ):
        found.extend(wrapper.payloads)
    if failure.HasField("cause"):
        found.extend(_all_payloads(failure.cause))
    return found


async def test_values_are_encoded_after_conversion_and_decoded_before() -> None:
    codec = Base64Codec()
    converter = DataConverter(payload_codec=codec)

    payloads = await converter.encode(["a", {"b": 2}])

    assert [p.metadata["encoding"] for p in payloads] == [ENCODED, ENCODED]
    assert await converter.decode(payloads, [str, dict]) == ["a", {"b": 2}]
    assert (codec.encoded, codec.decoded) == (2, 2)


async def test_wrapper_methods_use_the_codec() -> None:
    converter = DataConverter(payload_codec=Base64Codec())

    wrapped = await converter.encode_wrapper([1, 2])

    assert isinstance(wrapped, Payloads)
    assert {p.metadata["encoding"] for p in wrapped.payloads} == {ENCODED}
    assert await converter.decode_wrapper(wrapped) == [1, 2]
    assert await converter.decode_wrapper(None) == []


def _nested_error() -> BaseException:
    timeout = TimeoutError("hb", type=TimeoutType.HEARTBEAT, last_heartbeat_details=[{"step": 2}])
    cancelled = CancelledError("stop", "why")
    cancelled.__cause__ = timeout
    application = ApplicationError("app", {"detail": 1}, type="T")
    application.__cause__ = cancelled
    activity = ActivityError(
        "act",
        scheduled_event_id=1,
        started_event_id=2,
        identity="i",
        activity_type="t",
        activity_id="a",
        retry_state=None,
    )
    activity.__cause__ = application
    return activity


async def test_every_payload_in_a_failure_chain_is_encoded_and_decoded() -> None:
    codec = Base64Codec()
    converter = DataConverter(
        payload_codec=codec, failure_converter_class=DefaultFailureConverterWithEncodedAttributes
    )
    failure = Failure()

    await converter.encode_failure(_nested_error(), failure)

    payloads = _all_payloads(failure)
    # Encoded attributes at four levels, plus details, reason and heartbeat details.
    assert len(payloads) == 7
    assert {p.metadata["encoding"] for p in payloads} == {ENCODED}
    assert failure.message == "Encoded failure"

    error = await converter.decode_failure(failure)

    assert isinstance(error, ActivityError)
    assert error.message == "act"
    application = error.cause
    assert isinstance(application, ApplicationError)
    assert application.details == ({"detail": 1},)
    cancelled = application.cause
    assert isinstance(cancelled, CancelledError)
    assert cancelled.details == ("why",)
    timeout = cancelled.cause
    assert isinstance(timeout, TimeoutError)
    assert timeout.last_heartbeat_details == [{"step": 2}]


async def test_codec_failure_helpers_round_trip_in_place() -> None:
    codec = Base64Codec()
    failure = Failure()
    DataConverter.default.failure_converter.to_failure(
        _nested_error(), DataConverter.default.payload_converter, failure
    )
    original = Failure()
    original.CopyFrom(failure)

    await codec.encode_failure(failure)
    assert {p.metadata["encoding"] for p in _all_payloads(failure)} == {ENCODED}
    await codec.decode_failure(failure)

    assert failure == original


async def test_reset_workflow_heartbeat_details_are_encoded() -> None:
    failure = Failure(message="reset")
    failure.reset_workflow_failure_info.last_heartbeat_details.payloads.add(data=b"1")

    await Base64Codec().encode_failure(failure)

    assert (
        failure.reset_workflow_failure_info.last_heartbeat_details.payloads[0].metadata["encoding"]
        == ENCODED
    )


async def test_header_payloads_go_through_the_codec() -> None:
    converter = DataConverter(payload_codec=Base64Codec())
    header = converter.payload_converter.to_payload({"trace-id": "abc"})

    encoded = await converter._transform_outbound_payload(header)

    assert encoded.metadata["encoding"] == ENCODED
    assert await converter._transform_inbound_payload(encoded) == header


async def test_memo_values_are_converted_and_encoded() -> None:
    converter = DataConverter(payload_codec=Base64Codec())

    memo = await converter._encode_memo({"owner": "ann", "raw": Payload(data=b"as is")})

    assert memo.fields["owner"].metadata["encoding"] == ENCODED
    assert memo.fields["raw"].data == b"as is"
    assert await converter._decode_memo_field(memo, "owner", None, str) == "ann"
    assert await converter._decode_memo_field(memo, "missing", "fallback", None) == "fallback"


class KeyedCodec(PayloadCodec, WithSerializationContext):
    """Prefixes data with the workflow ID, like a per-workflow encryption key would."""

    def __init__(self, key: str = "") -> None:
        self.key = key

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata=p.metadata, data=self.key.encode() + b":" + p.data) for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        prefix = self.key.encode() + b":"
        assert all(p.data.startswith(prefix) for p in payloads), "decoded with the wrong key"
        return [Payload(metadata=p.metadata, data=p.data[len(prefix) :]) for p in payloads]

    def with_context(self, context: SerializationContext) -> KeyedCodec:
        assert isinstance(context, WorkflowSerializationContext)
        return KeyedCodec(context.workflow_id)


async def test_codec_receives_the_serialization_context() -> None:
    converter = DataConverter(payload_codec=KeyedCodec()).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="wf-9")
    )

    [payload] = await converter.encode(["secret"])

    assert payload.data == b'wf-9:"secret"'
    assert await converter.decode([payload]) == ["secret"]
    # The helper the client uses, which also takes an (unsupported) storage context.
    other = DataConverter(payload_codec=KeyedCodec())._with_contexts(
        WorkflowSerializationContext(namespace="default", workflow_id="wf-9"), None
    )
    assert await other.encode(["secret"]) == [payload]


@pytest.mark.parametrize(
    "metadata",
    [
        {"encoding": b"json/external-storage-reference"},
        {"encoding": b"binary/b64", "__temporal_external_storage_reference": b"true"},
    ],
)
async def test_externally_stored_payloads_are_reported_not_misread(metadata: Any) -> None:
    payload = Payload(metadata=metadata, data=b"{}")

    with pytest.raises(RuntimeError, match=r"TMPRL1105.*has no external_storage"):
        await DataConverter(payload_codec=Base64Codec()).decode([payload])
