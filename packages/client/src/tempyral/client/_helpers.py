"""Small conversions every client module uses: headers, user metadata, arguments, timestamps,
memos."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Memo, Payload
from tempyral.api.dependencies.google.protobuf.timestamp_pb2 import Timestamp
from tempyral.api.sdk.v1.user_metadata_pb2 import UserMetadata
from tempyral.common import _apply_headers as _copy_headers
from tempyral.common import _arg_unset
from tempyral.converter import DataConverter

__all__ = [
    "NO_METADATA",
    "_MemoMixin",
    "_apply_headers",
    "_decode_user_metadata",
    "_encode_args",
    "_encode_user_metadata",
    "_utc",
]

NO_METADATA: Mapping[str, str | bytes] = MappingProxyType({})
"""Default of every ``rpc_metadata`` parameter: no per-call headers (and not mutable)."""


async def _apply_headers(
    source: Mapping[str, Payload] | None,
    dest: MutableMapping[str, Payload],
    encode_headers: bool,
    data_converter: DataConverter,
) -> None:
    """Copy headers into a request, through the payload codec when ``encode_headers``.

    Headers are already payloads (interceptors put them there); the codec only runs when the
    client was created with ``header_codec_behavior=HeaderCodecBehavior.CODEC``.
    """
    if source is None:
        return
    if not encode_headers:
        _copy_headers(source, dest)
        return
    for key, payload in source.items():
        dest[key].CopyFrom(await data_converter._transform_outbound_payload(payload))


async def _encode_args(converter: DataConverter, args: Sequence[Any], what: str) -> list[Payload]:
    """Encode call arguments, saying which call's arguments failed to convert.

    Raises:
        TypeError: An argument cannot be converted by the data converter (the converter's own
            error, which names the value and what it supports, is the cause).
    """
    try:
        return await converter.encode(args)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Cannot convert the arguments of {what}: {err}") from err


async def _encode_user_metadata(
    converter: DataConverter,
    summary: str | Payload | None,
    details: str | Payload | None,
) -> UserMetadata | None:
    """Summary and details as ``UserMetadata`` (None when neither is set)."""
    if summary is None and details is None:
        return None
    metadata = UserMetadata()
    if summary is not None:
        metadata.summary.CopyFrom(
            summary if isinstance(summary, Payload) else (await converter.encode([summary]))[0]
        )
    if details is not None:
        metadata.details.CopyFrom(
            details if isinstance(details, Payload) else (await converter.encode([details]))[0]
        )
    return metadata


async def _decode_user_metadata(
    converter: DataConverter, metadata: UserMetadata | None
) -> tuple[str | None, str | None]:
    """``(summary, details)`` of user metadata, None for what is missing."""
    if metadata is None:
        return None, None
    summary = (
        (await converter.decode([metadata.summary]))[0] if metadata.HasField("summary") else None
    )
    details = (
        (await converter.decode([metadata.details]))[0] if metadata.HasField("details") else None
    )
    return summary, details


def _utc(timestamp: Timestamp) -> datetime:
    """A timestamp as an aware UTC datetime."""
    return timestamp.ToDatetime().replace(tzinfo=timezone.utc)


class _MemoMixin:
    """``memo()`` and ``memo_value()`` of what describing and listing return."""

    if TYPE_CHECKING:

        @property
        def data_converter(self) -> DataConverter: ...

    def _memo_proto(self) -> Memo:
        raise NotImplementedError

    async def memo(self) -> Mapping[str, Any]:
        """All memo values, converted without type hints (a dataclass comes back as a dict)."""
        return await self.data_converter._decode_memo(self._memo_proto())

    async def memo_value(
        self, key: str, default: Any = _arg_unset, *, type_hint: type | None = None
    ) -> Any:
        """One memo value, converted with ``type_hint`` if given.

        Raises:
            KeyError: The key is not in the memo and no default was given.
        """
        return await self.data_converter._decode_memo_field(
            self._memo_proto(), key, default, type_hint
        )
