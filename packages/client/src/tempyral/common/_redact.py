"""Keeping secrets out of ``repr()`` and log lines.

Secrets are API keys, private keys (PEM), bearer and other authorization metadata, proxy
passwords and task tokens. :py:func:`redacted_repr` is the ``__repr__`` of the configuration
classes that hold them (the field is shown as ``'<redacted>'``, so a reader still sees it was
set); :py:func:`redact` cleans free text (every log message and traceback tempyral hands to a
handler) in two ways:

- by value: the secrets tempyral was given or handles, remembered with
  :py:func:`remember_secret` (the client's API key, its private key's body, credential
  metadata) and :py:func:`remember_task_token` (every task token the service client receives or
  sends), are replaced wherever they appear, labelled or not: a bare key inside a server's error
  message, a token as a bytes ``repr``, in proto text, base64 or hex;
- by shape: PEM private keys, ``Bearer``/``authorization`` values, ``api_key``/``password``/
  ``token`` fields, for secrets tempyral never saw (a user's own message).

Values shorter than :py:data:`SHORTEST_SECRET` characters are not remembered: replacing every
``"abc"`` in every log line would hide more than it protects.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "SHORTEST_SECRET",
    "redact",
    "redact_metadata",
    "redacted_repr",
    "remember_secret",
    "remember_task_token",
]

REDACTED = "<redacted>"
SHORTEST_SECRET = 8
# Task tokens remembered at once: enough for every task in flight on a busy worker (a token
# seen again moves to the front), bounded so a long-running worker does not grow.
_TOKENS_KEPT = 512

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


class _KnownSecrets:
    """The secret values to replace in text, and how each can be written out.

    Thread-safe: activity threads log while the event loop's client remembers tokens. The
    renderings are rebuilt only when :py:meth:`renderings` is next asked after a change (many
    tokens arrive between two log lines), longest first so no shorter rendering cuts into a
    longer one. A token's own renderings are worked out then too, once: most tokens come and go
    without a log line (a task handled in a few milliseconds), and remembering one is on the path
    of every poll and completion.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configured: dict[str, None] = {}
        # A token's renderings, None until a rebuild of the renderings works them out.
        self._tokens: OrderedDict[bytes, tuple[str, ...] | None] = OrderedDict()
        self._renderings: tuple[str, ...] | None = ()

    def add_configured(self, texts: Iterable[str]) -> None:
        with self._lock:
            for text in texts:
                if len(text) >= SHORTEST_SECRET and text not in self._configured:
                    self._configured[text] = None
                    self._renderings = None

    def add_token(self, token: bytes) -> None:
        with self._lock:
            if token in self._tokens:
                self._tokens.move_to_end(token)
                return
            self._tokens[token] = None
            while len(self._tokens) > _TOKENS_KEPT:
                self._tokens.popitem(last=False)
            self._renderings = None

    def renderings(self) -> tuple[str, ...]:
        current = self._renderings
        if current is not None:
            return current
        with self._lock:
            found = set(self._configured)
            for token, known in list(self._tokens.items()):
                texts = known if known is not None else _token_renderings(token)
                self._tokens[token] = texts
                found.update(texts)
            current = self._renderings = tuple(sorted(found, key=len, reverse=True))
        return current


_known = _KnownSecrets()


def _text_renderings(value: str) -> list[str]:
    """``value`` as it appears in text: itself, and escaped inside a ``repr``."""
    return [value, repr(value)[1:-1]]


def _token_renderings(token: bytes) -> tuple[str, ...]:
    """How a task token can be written into a message: as a bytes ``repr`` (either quote
    style), in proto text (``str()`` of a request), base64 (JSON, the CLI) and hex."""
    from google.protobuf import text_encoding

    if len(token) < SHORTEST_SECRET:
        return ()
    b64 = base64.b64encode(token).decode("ascii")
    urlsafe = base64.urlsafe_b64encode(token).decode("ascii")
    found = {
        repr(token)[2:-1],
        repr(token + b"'")[2:-3],  # inside a repr that chose double quotes
        text_encoding.CEscape(token, False),
        text_encoding.CEscape(token, True),
        b64,
        b64.rstrip("="),
        urlsafe,
        urlsafe.rstrip("="),
        token.hex(),
    }
    return tuple(text for text in found if len(text) >= SHORTEST_SECRET)


def _private_key_renderings(pem: str) -> list[str]:
    """A PEM private key's body: each base64 line, and the lines joined (as ``repr`` of the
    bytes shows them when a message cuts the block's markers off)."""
    body = [
        line.strip()
        for line in pem.splitlines()
        if line.strip() and not line.startswith("-----") and ":" not in line
    ]
    return [*body, "".join(body), "\\n".join(body)]


def remember_secret(value: str | bytes | None) -> None:
    """Replace ``value`` wherever it appears in a log line from now on (``None``: nothing).

    For a PEM private key (``-----BEGIN ... PRIVATE KEY-----``) the body's lines are
    remembered, so a fragment of the key is caught too.
    """
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if "PRIVATE KEY-----" in text:
        _known.add_configured(_private_key_renderings(text))
    else:
        _known.add_configured(_text_renderings(text))


def remember_task_token(token: bytes) -> None:
    """Replace ``token`` (a task token tempyral handles) in log lines, however it is written.

    The most recent tokens are kept (a token in flight is seen again when its task is
    answered), so memory stays bounded on a worker that runs for months.
    """
    if token:
        _known.add_token(token)


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-shaped part replaced by ``<redacted>``."""
    for secret in _known.renderings():
        if secret in text:
            text = text.replace(secret, REDACTED)
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
