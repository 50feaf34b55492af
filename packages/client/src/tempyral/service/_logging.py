"""The logger the service layer writes through (tempyral's own: see ``tempyral.common``)."""

from __future__ import annotations

from tempyral.common._logging import logger

__all__ = ["logger"]
