"""``ReplaySafeLoggerProvider``: OpenTelemetry log records from workflow code, once per run.

Like :py:class:`~tempyral.contrib.opentelemetry.ReplaySafeMeterProvider` for metrics: the
provider wraps another and hands out loggers that drop what workflow code emits while it
replays history, so a record is emitted by the first execution only (and by queries and update
validators, which are live). The logs bridge API lives in ``opentelemetry._logs``: OpenTelemetry
Python has no public module for it yet, so that is the path everyone imports.
"""

from __future__ import annotations

from typing import Any

from opentelemetry._logs import Logger, LoggerProvider
from opentelemetry.util.types import Attributes
from tempyral.contrib.opentelemetry._id_generator import (
    replaying_workflow_history,
    unguarded,
)

__all__ = ["ReplaySafeLoggerProvider"]


class _ReplaySafeLogger(Logger):
    def __init__(
        self,
        logger: Logger,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
    ) -> None:
        super().__init__(name, version=version, schema_url=schema_url)
        self._logger = logger

    def __getattr__(self, name: str) -> object:
        return getattr(self._logger, name)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        # Forwarded as given: emit takes a LogRecord up to opentelemetry-api 1.37 and keyword
        # fields from 1.38, and the wrapped logger comes from the same installed API.
        if replaying_workflow_history():
            return
        with unguarded():
            self._logger.emit(*args, **kwargs)

    def enabled(self, *args: Any, **kwargs: Any) -> bool:
        # Callers skip building records when this is False, so it agrees with emit on replay.
        if replaying_workflow_history():
            return False
        enabled = getattr(self._logger, "enabled", None)
        # Loggers before opentelemetry-api 1.45 have no enabled(): their callers always emit.
        if enabled is None:
            return True
        with unguarded():
            return bool(enabled(*args, **kwargs))


class ReplaySafeLoggerProvider(LoggerProvider):
    """Wraps a ``LoggerProvider`` so workflow code's log records are not emitted again on replay.

    ``Logger.emit()`` called from workflow code while it replays history is dropped (and
    ``Logger.enabled()`` says False); outside workflows, in queries and update validators, and
    on a workflow task's retry, records are emitted. Set it as the global provider once::

        opentelemetry._logs.set_logger_provider(ReplaySafeLoggerProvider(logger_provider))
    """

    def __init__(self, logger_provider: LoggerProvider) -> None:
        """Initialize the provider.

        Args:
            logger_provider: The provider whose loggers are wrapped.
        """
        self._logger_provider = logger_provider

    def __getattr__(self, name: str) -> Any:
        """The wrapped provider's other attributes (``shutdown``, ``force_flush``...)."""
        return getattr(self._logger_provider, name)

    def get_logger(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> Logger:
        """A replay-safe logger over the wrapped provider's.

        Args:
            name: The instrumenting module's name.
            version: The instrumenting library's version.
            schema_url: The schema URL of the logger's telemetry.
            attributes: The logger's instrumentation scope attributes.
        """
        inner = self._logger_provider.get_logger(name, version, schema_url, attributes)
        return _ReplaySafeLogger(inner, name, version=version, schema_url=schema_url)
