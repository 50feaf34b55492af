"""The cheap reference checks every decode runs agree with the external storage proto.

``tempyral.converter._storage_reference`` spells the reference's message type out so that it
does not import the proto module; a renamed or moved proto would otherwise go unnoticed and
references would decode as ordinary JSON payloads.
"""

from __future__ import annotations

from tempyral.api.sdk.v1.external_storage_pb2 import ExternalStorageReference
from tempyral.converter import DataConverter
from tempyral.converter._storage_reference import REFERENCE_MESSAGE_TYPE, is_reference_payload


def test_the_spelled_out_message_type_is_the_protos() -> None:
    assert ExternalStorageReference.DESCRIPTOR.full_name.encode() == REFERENCE_MESSAGE_TYPE


def test_a_reference_the_default_converter_writes_is_recognised() -> None:
    reference = ExternalStorageReference(driver_name="d", claim_data={"k": "v"})
    payload = DataConverter.default.payload_converter.to_payloads([reference])[0]
    assert is_reference_payload(payload)
    plain = DataConverter.default.payload_converter.to_payloads([{"driver_name": "d"}])[0]
    assert not is_reference_payload(plain)
