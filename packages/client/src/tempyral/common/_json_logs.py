"""JSON lines for tempyral's logs: ``LoggingConfig(format=LoggingFormat.JSON)`` on a runtime.

The official SDK writes its Rust core's logs to stderr in the format of ``LoggingConfig``;
tempyral has no core, so the same setting writes what tempyral logs under the ``tempyral``
logger (``workflow.logger``, ``activity.logger`` and the worker's own diagnostics) to stderr,
one JSON object per record. The run's context is in fields of its own (``workflow_id``,
``run_id``, ``workflow_type``, ``activity_id``, ``attempt``, ``task_queue``, ``namespace``...),
and the message is the text the code logged, without the context the loggers append to it for
plain-text handlers.

One handler serves the process: a later runtime's setting replaces an earlier one's.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from tempyral.common._logging import configure_logging, forwarded_level

__all__ = ["JsonLogFormatter", "disable_json_logs", "enable_json_logs"]

# Context that workflow.logger / activity.logger put on a record, and tempyral's own bound extras.
_CONTEXT_ATTRIBUTES = ("temporal_workflow", "temporal_activity", "temporal_update")


def _context_of(record: logging.LogRecord) -> dict[str, Any]:
    context: dict[str, Any] = {}
    own = getattr(record, "tempyral", None)
    if isinstance(own, Mapping):
        context.update(own)
    for attribute in _CONTEXT_ATTRIBUTES:
        details = getattr(record, attribute, None)
        if isinstance(details, Mapping):
            context.update(details)
    return context


def _logged_text(record: logging.LogRecord) -> str:
    message = record.getMessage()
    # The loggers append " (<details>)" for plain-text handlers; here the details are fields.
    for attribute in _CONTEXT_ATTRIBUTES:
        details = getattr(record, attribute, None)
        if isinstance(details, Mapping):
            message = message.removesuffix(f" ({details})")
    return message


class JsonLogFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": _logged_text(record),
        }
        for key, value in _context_of(record).items():
            entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        # default=str: a context value JSON cannot hold (a datetime, an enum) is still shown.
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the current ``sys.stderr`` (replaced by test runners and daemons)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


_lock = threading.Lock()
_installed: list[logging.Handler] = []
# What enabling changed (the tempyral logger's level, the forwarded level), to put back after.
_saved: list[tuple[int, str | int | None]] = []


def enable_json_logs(level: int) -> logging.Handler:
    """Write ``tempyral`` records from ``level`` up to stderr as JSON (replaces a previous call).

    The ``tempyral`` logger's level is lowered to ``level`` when the application set none
    lower, so that records at that level are created at all.
    """
    handler = _StderrHandler()
    handler.setLevel(level)
    handler.setFormatter(JsonLogFormatter())
    target = logging.getLogger("tempyral")
    with _lock:
        while _installed:
            target.removeHandler(_installed.pop())
        target.addHandler(handler)
        _installed.append(handler)
        if not _saved:
            _saved.append((target.level, forwarded_level()))
        if target.getEffectiveLevel() > level:
            target.setLevel(level)
        # tempyral's own diagnostics reach standard logging from WARNING by default.
        configure_logging(level=min(level, logging.WARNING))
    return handler


def disable_json_logs(handler: logging.Handler) -> None:
    """Remove ``handler`` if it is still the installed one, and undo what enabling changed."""
    with _lock:
        if handler not in _installed:
            return
        _installed.remove(handler)
        target = logging.getLogger("tempyral")
        target.removeHandler(handler)
        if _saved:
            logger_level, forwarded = _saved.pop()
            target.setLevel(logger_level)
            configure_logging(level=forwarded)
