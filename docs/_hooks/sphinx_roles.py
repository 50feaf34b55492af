"""MkDocs hook: render the Sphinx roles our docstrings use (:py:class:`X`) as plain code.

The docstrings are written for editors and IDEs that understand Sphinx roles; in the rendered API
reference the role prefix would show as literal text before the code span.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE_BEFORE_CODE = re.compile(r":py:(?:class|meth|func|attr|data|mod|exc|obj):(?=<code>)")


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE_BEFORE_CODE.sub("", html)
