"""Recognising external storage reference payloads without loading external storage itself.

Every decode asks whether a payload is a reference (to fail clearly when no storage is
configured), so these checks live apart from ``_external_storage``: its classes and the
``ExternalStorageReference`` proto load only when a converter has storage to use.
"""

from __future__ import annotations

from tempyral.api.common.v1.message_pb2 import Payload

__all__ = [
    "LEGACY_REFERENCE_ENCODING",
    "REFERENCE_MARKER_KEY",
    "REFERENCE_MESSAGE_TYPE",
    "has_reference_marker",
    "is_reference_payload",
    "unmarked_copy",
]

# The full name of ``temporal.api.sdk.v1.ExternalStorageReference``, spelled out so that this
# check does not import the proto module (a test compares it with the proto's descriptor).
REFERENCE_MESSAGE_TYPE = b"temporal.api.sdk.v1.ExternalStorageReference"
LEGACY_REFERENCE_ENCODING = b"json/external-storage-reference"
# Set on a reference the codec encoded: its encoding is then the codec's, not ours.
REFERENCE_MARKER_KEY = "__temporal_external_storage_reference"


def is_reference_payload(payload: Payload) -> bool:
    """Whether ``payload`` is a (not codec-encoded) external storage reference."""
    encoding = payload.metadata.get("encoding")
    return encoding == LEGACY_REFERENCE_ENCODING or (
        encoding == b"json/protobuf"
        and payload.metadata.get("messageType") == REFERENCE_MESSAGE_TYPE
    )


def has_reference_marker(payload: Payload) -> bool:
    """Whether ``payload`` is marked as a codec-encoded external storage reference."""
    return payload.metadata.get(REFERENCE_MARKER_KEY) == b"true"


def unmarked_copy(payload: Payload) -> Payload:
    """A marked reference as the codec wrote it (marker and size records removed)."""
    copy = Payload()
    copy.CopyFrom(payload)
    del copy.metadata[REFERENCE_MARKER_KEY]
    del copy.external_payloads[:]
    return copy
