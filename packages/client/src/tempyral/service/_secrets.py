"""What the service client tells the log redaction about: its credentials and the task tokens.

A task token is a credential for one task: whoever holds it can complete, fail or heartbeat
the task. It arrives in poll responses (also nested: a workflow task's eager activities, an
eagerly started workflow's first task) and leaves in the requests that answer tasks, or that
complete an activity asynchronously by its token. Every call passes through
``ServiceClient._rpc_call``, which hands its request and response to :py:func:`remember_tokens`,
so the redaction of log lines (``tempyral.common._redact``) knows each token the process
handles, wherever it was seen first.

Which fields hold tokens is found once per message type, from its descriptor, so a call whose
messages carry none costs one dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from tempyral.common._redact import (
    REDACTED,
    redact_metadata,
    remember_secret,
    remember_task_token,
)
from tempyral.service._config import ConnectConfig

__all__ = ["remember_credentials", "remember_metadata", "remember_tokens"]

# message full name -> the fields to descend into (or the token field itself) on the way to a
# task token; an empty tuple: no token below this message.
_PATHS: dict[str, tuple[FieldDescriptor, ...]] = {}


def _fields_leading_to_tokens(descriptor: Descriptor, visiting: set[str]) -> bool:
    """Fill ``_PATHS`` for ``descriptor``; whether a task token can be found below it."""
    name = descriptor.full_name
    known = _PATHS.get(name)
    if known is not None:
        return bool(known)
    if name in visiting:  # a recursive type (a Failure's cause): seen on the way already
        return False
    visiting.add(name)
    leading: list[FieldDescriptor] = []
    for field in descriptor.fields:
        nested = field.message_type
        is_token = field.name == "task_token" and field.type == FieldDescriptor.TYPE_BYTES
        if is_token or (
            nested is not None
            and not nested.GetOptions().map_entry
            and _fields_leading_to_tokens(nested, visiting)
        ):
            leading.append(field)
    visiting.discard(name)
    _PATHS[name] = tuple(leading)
    return bool(leading)


def _tokens(message: Message) -> Iterator[bytes]:
    # The C (upb) descriptor type in the stubs is another class with the same interface.
    descriptor = cast(Descriptor, message.DESCRIPTOR)
    fields = _PATHS.get(descriptor.full_name)
    if fields is None:
        _fields_leading_to_tokens(descriptor, set())
        fields = _PATHS[descriptor.full_name]
    for field in fields:
        if field.type == FieldDescriptor.TYPE_BYTES:
            yield getattr(message, field.name)
        elif _is_repeated(field):
            for item in getattr(message, field.name):
                yield from _tokens(item)
        elif message.HasField(field.name):
            yield from _tokens(getattr(message, field.name))


def _is_repeated(field: Any) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 6; ``label`` went in 7
    if isinstance(repeated, bool):
        return repeated
    return bool(field.label == 3)  # FieldDescriptor.LABEL_REPEATED, for protobuf < 6


def remember_tokens(message: Message) -> None:
    """Tell the log redaction about every task token in ``message``."""
    for token in _tokens(message):
        remember_task_token(token)


def remember_metadata(metadata: Mapping[str, str | bytes]) -> None:
    """Tell the log redaction about the credential values in gRPC ``metadata``."""
    hidden = redact_metadata(metadata)
    for key, value in metadata.items():
        if hidden[key] == REDACTED:
            remember_secret(value)
            if isinstance(value, str) and " " in value:  # "Bearer <key>": the key alone too
                remember_secret(value.split(" ", 1)[1])


def remember_credentials(config: ConnectConfig) -> None:
    """Tell the log redaction about ``config``'s API key, private key and credential metadata."""
    remember_secret(config.api_key)
    tls = config.tls
    if not isinstance(tls, bool) and tls is not None:
        remember_secret(tls.client_private_key)
    remember_metadata(config.rpc_metadata)
