"""The loguru logger tempyral writes through, silent until the application opts in.

Libraries using loguru disable their own name at import so that nothing is printed unless the
application asks for it with ``logger.enable("tempyral")``. This module is the one place that
does it: it is imported once per process (by ``tempyral.service`` and ``tempyral.envconfig``), so
an application that enabled ``tempyral`` before importing a later tempyral module is not silenced
again.
"""

from __future__ import annotations

from loguru import logger

logger.disable("tempyral")

__all__ = ["logger"]
