"""``activity.logger``: a standard-library logger adapter that adds the running activity's details.

Activity code logs through :py:mod:`logging`, as with the official SDK, so its records reach the
application's handlers. (The worker's own diagnostics go through loguru and stay silent until the
application calls ``logger.enable("tempyral")``.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from tempyral.activity._context import _current_context

__all__ = ["LoggerAdapter", "logger"]


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Adapter that adds details about the running activity to each record.

    Attributes:
        activity_info_on_message: Append a dict of some activity info to each message.
            Default True.
        activity_info_on_extra: Put that dict in ``extra`` as ``temporal_activity``, so it is
            on the ``LogRecord``. Default True.
        full_activity_info_on_extra: Put the whole :py:class:`Info` in ``extra`` as
            ``activity_info``. Default False.
    """

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        """Create the logger adapter."""
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True
        self.full_activity_info_on_extra = False

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Add the activity details to the message and ``extra``."""
        if not (
            self.activity_info_on_message
            or self.activity_info_on_extra
            or self.full_activity_info_on_extra
        ):
            return msg, kwargs
        context = _current_context.get(None)
        if context is None:
            return msg, kwargs
        if self.activity_info_on_message:
            msg = f"{msg} ({context.logger_details})"
        if self.activity_info_on_extra or self.full_activity_info_on_extra:
            # A copy: the caller's extra dict must not change under it.
            extra = dict(kwargs.get("extra") or {})
            if self.activity_info_on_extra:
                extra["temporal_activity"] = context.logger_details
            if self.full_activity_info_on_extra:
                extra["activity_info"] = context.info()
            kwargs["extra"] = extra
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """Underlying logger, for adding handlers and formatters."""
        return cast(logging.Logger, self.logger)


logger = LoggerAdapter(logging.getLogger("tempyral.activity"), None)
"""Logger that will have contextual activity details embedded."""
