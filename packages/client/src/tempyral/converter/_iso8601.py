"""ISO 8601 date-time parsing that accepts what other SDKs and the server write.

Go and Java write ``Z`` for UTC and up to nine fraction digits; Python 3.10's
``datetime.fromisoformat`` accepts neither, so on 3.10 the text is normalized first.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime

__all__ = ["parse_iso_datetime"]

_FRACTION = re.compile(r"(\.\d+)")


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time; ``ValueError`` if it is not one."""
    if sys.version_info >= (3, 11):
        return datetime.fromisoformat(text)
    return datetime.fromisoformat(_normalize_for_py310(text))


def _normalize_for_py310(text: str) -> str:
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat on 3.10 takes exactly 3 or 6 fraction digits.
    return _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], text, count=1)
