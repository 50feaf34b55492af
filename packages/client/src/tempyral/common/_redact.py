"""Keeping secrets out of ``repr()`` and log lines.

Secrets are API keys, private keys (PEM), bearer and other authorization metadata, proxy
passwords and task tokens. :py:func:`redacted_repr` is the ``__repr__`` of the configuration
classes that hold them (the field is shown as ``'<redacted>'``, so a reader still sees it was
set); :py:func:`redact` cleans free text (every log message and traceback tempyral hands to a
handler), catching the secret shapes that can end up in messages: PEM private keys,
``Bearer``/``authorization`` values, ``api_key``/``password``/``token`` fields, and task tokens
in proto text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "redact", "redact_metadata", "redacted_repr"]

REDACTED = "<redacted>"

# Metadata keys whose values are credentials (lower case, as gRPC sends them).
_SECRET_METADATA = ("authorization", "api-key", "x-api-key", "cookie", "proxy-authorization")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END \1-----|$)", re.DOTALL),
        rf"-----BEGIN \1----- {REDACTED} -----END \1-----",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (
        # key=value, key: value, "key": "value", key='value' for secret-looking keys.
        re.compile(
            r"""(?ix)
            (?P<key>["']?\b[\w-]*(?:api[_-]?key|authorization|password|passwd|secret|
                task[_-]?token|private[_-]?key)["']?)
            (?P<sep>\s*[:=]\s*)
            (?P<value>b?"(?:[^"\\]|\\.)*"|b?'(?:[^'\\]|\\.)*'|[^\s,;)}\]]+)
            """
        ),
        rf"\g<key>\g<sep>'{REDACTED}'",
    ),
)


def redact(text: str) -> str:
    """``text`` with every secret-shaped part replaced by ``<redacted>``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """gRPC metadata with credential values replaced (keys compared case-insensitively)."""
    return {
        key: REDACTED if key.lower() in _SECRET_METADATA else value
        for key, value in metadata.items()
    }


def redacted_repr(obj: Any, secrets: Iterable[str], metadata: Iterable[str] = ()) -> str:
    """A dataclass's repr with the ``secrets`` fields (when set) shown as ``'<redacted>'``.

    ``metadata`` names mapping fields whose credential entries are redacted.
    """
    hidden, maps = set(secrets), set(metadata)
    parts = []
    for item in dataclasses.fields(obj):
        if not item.repr:
            continue
        value = getattr(obj, item.name)
        if item.name in hidden and value is not None:
            shown = repr(REDACTED)
        elif item.name in maps and isinstance(value, Mapping):
            shown = repr(redact_metadata(value))
        else:
            shown = repr(value)
        parts.append(f"{item.name}={shown}")
    return f"{type(obj).__qualname__}({', '.join(parts)})"
