"""Protobuf messages as payloads: ``json/protobuf`` and ``binary/protobuf``.

Both put the message's full name in the ``messageType`` metadata. Decoding needs the message
class: the type hint when it is that message's class, otherwise a lookup by name, like the
official SDK's symbol database lookup, in two pools: protobuf's default pool (user messages,
``google.protobuf`` types, the official SDK's ``temporal.api`` when it is imported) and
tempyral's private pool (``tempyral.api``), which is preferred for ``temporal.api.*`` names.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import DecodeError, Message

from tempyral.api._pool import POOL as _TEMPYRAL_POOL
from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter._payload import EncodingPayloadConverter

__all__ = ["BinaryProtoPayloadConverter", "JSONProtoPayloadConverter"]

_TEMPORAL_API_PREFIX = "temporal.api."


def _is_message(value: Any) -> bool:
    return isinstance(value, Message) and value.DESCRIPTOR is not None


def _message_type_metadata(payload: Payload) -> str:
    return payload.metadata.get("messageType", b"<unknown>").decode(errors="replace")


def _message_class(message_type: str, type_hint: type | None) -> type[Message]:
    """The class to decode a ``messageType`` into; ``RuntimeError`` when none is loaded."""
    if (
        isinstance(type_hint, type)
        and issubclass(type_hint, Message)
        and getattr(type_hint, "DESCRIPTOR", None) is not None
        and type_hint.DESCRIPTOR.full_name == message_type
    ):
        return type_hint
    pools: list[DescriptorPool] = [descriptor_pool.Default(), _TEMPYRAL_POOL]
    if message_type.startswith(_TEMPORAL_API_PREFIX):
        pools.reverse()
    for pool in pools:
        cls = _find_in_pool(pool, message_type)
        if cls is not None:
            return cls
    raise RuntimeError(
        f"Unknown Protobuf type {message_type}: no message of that name is loaded in "
        "protobuf's default descriptor pool or in tempyral.api. Import the _pb2 module that "
        "defines it before decoding, or decode with the message class as the type hint."
    )


def _find_in_pool(pool: DescriptorPool, message_type: str) -> type[Message] | None:
    try:
        descriptor = pool.FindMessageTypeByName(message_type)
    except KeyError:
        if pool is not _TEMPYRAL_POOL or not _import_tempyral_api_package(message_type):
            return None
        try:
            descriptor = pool.FindMessageTypeByName(message_type)
        except KeyError:
            return None
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls


def _import_tempyral_api_package(message_type: str) -> bool:
    """Import the ``tempyral.api`` modules of a ``temporal.api.<pkg>.v1.Name`` message.

    ``tempyral.api`` modules register in the private pool only when imported, so a payload can
    name a message whose module nobody imported yet. Returns whether anything was imported.
    """
    if not message_type.startswith(_TEMPORAL_API_PREFIX):
        return False
    # The proto package is the lowercase prefix: temporal.api.common.v1.Link.WorkflowEvent.
    package_parts: list[str] = []
    for part in message_type.split(".")[2:]:
        if not part or not part[0].islower():
            break
        package_parts.append(part)
    package_name = ".".join(["tempyral", "api", *package_parts])
    try:
        package = importlib.import_module(package_name)
    except ImportError:
        return False
    imported = False
    for module in pkgutil.iter_modules(getattr(package, "__path__", [])):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"{package_name}.{module.name}")
            imported = True
    return imported


class JSONProtoPayloadConverter(EncodingPayloadConverter):
    """Converter for ``json/protobuf`` payloads supporting protobuf message values."""

    def __init__(self, ignore_unknown_fields: bool = False) -> None:
        """Initialize a JSON proto converter.

        Args:
            ignore_unknown_fields: Whether decoding ignores unknown fields instead of failing.
        """
        super().__init__()
        self._ignore_unknown_fields = ignore_unknown_fields

    @property
    def encoding(self) -> str:
        """See base class."""
        return "json/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        """See base class."""
        if not _is_message(value):
            return None
        # Imported by the first protobuf message converted: most programs convert none.
        from google.protobuf import json_format

        # Through a dict, because MessageToJson has no compact form; compact and sorted keys
        # give the same bytes as the official SDK.
        as_dict = json_format.MessageToDict(value, descriptor_pool=value.DESCRIPTOR.file.pool)
        return Payload(
            metadata={
                "encoding": self.encoding.encode(),
                "messageType": value.DESCRIPTOR.full_name.encode(),
            },
            data=json.dumps(as_dict, separators=(",", ":"), sort_keys=True).encode(),
        )

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class."""
        message_class = _message_class(_message_type_metadata(payload), type_hint)
        message = message_class()
        # upb's pool type differs from the pure-Python one the stubs name; both work.
        pool: Any = message.DESCRIPTOR.file.pool
        from google.protobuf import json_format

        try:
            return json_format.Parse(
                payload.data,
                message,
                ignore_unknown_fields=self._ignore_unknown_fields,
                descriptor_pool=pool,
            )
        except json_format.ParseError as err:
            raise RuntimeError(
                f"Failed parsing JSON of {message.DESCRIPTOR.full_name}: {err}"
            ) from err


class BinaryProtoPayloadConverter(EncodingPayloadConverter):
    """Converter for ``binary/protobuf`` payloads supporting protobuf message values."""

    @property
    def encoding(self) -> str:
        """See base class."""
        return "binary/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        """See base class."""
        if not _is_message(value):
            return None
        return Payload(
            metadata={
                "encoding": self.encoding.encode(),
                "messageType": value.DESCRIPTOR.full_name.encode(),
            },
            data=value.SerializeToString(),
        )

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """See base class."""
        message = _message_class(_message_type_metadata(payload), type_hint)()
        try:
            message.ParseFromString(payload.data)
        except DecodeError as err:
            raise RuntimeError(
                f"Failed parsing binary {message.DESCRIPTOR.full_name}: {err}"
            ) from err
        return message
