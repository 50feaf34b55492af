"""tempyral's own diagnostics: a loguru logger whose warnings reach standard ``logging``.

Every tempyral module logs through :py:data:`logger`, a loguru logger with handlers of its own
(not loguru's global ones), so that the library neither prints through loguru's default stderr
handler nor depends on the order in which the application configures things. Its records go to:

- standard :py:mod:`logging`, under the emitting module's name (``tempyral.worker._poller``,
  ...), from ``WARNING`` up by default, as the official SDK's warnings do: a handler the
  application configured (before or after importing tempyral) hears task failures, deadlocks,
  nondeterminism, poll failures and shutdown problems. :py:func:`configure_logging` changes the
  level or turns this off;
- loguru's global logger, for applications that use loguru and call ``logger.enable("tempyral")``
  (before or after importing tempyral: the import no longer silences an enabled ``tempyral``).

Nothing tempyral logs renders local variables of a traceback (loguru's ``diagnose``): tracebacks
are formatted by :py:mod:`traceback`, and every message and traceback passes through
:py:func:`~tempyral.common._redact.redact` first.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, cast

import loguru
from loguru import _logger as _loguru_impl

from tempyral.common._redact import redact

if TYPE_CHECKING:
    from loguru import Logger, Message, Record

__all__ = ["configure_logging", "logger"]

# The LogRecord attributes standard logging reserves; loguru's extra keys must not collide.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_PREFIX = "tempyral."

logger: Logger = cast(
    "Logger",
    _loguru_impl.Logger(  # type: ignore[no-untyped-call]
        core=_loguru_impl.Core(),  # type: ignore[no-untyped-call]
        exception=None,
        depth=0,
        record=False,
        lazy=False,
        colors=False,
        raw=False,
        capture=True,
        patchers=[],
        extra={},
    ),
)
"""tempyral's loguru logger (its own handlers: see the module docstring)."""


def _formatted_exception(record: Record) -> str | None:
    exception = record["exception"]
    if exception is None or exception.type is None:
        return None
    lines = traceback.format_exception(exception.type, exception.value, exception.traceback)
    return redact("".join(lines).rstrip("\n"))


def _to_stdlib(message: Message) -> None:
    record = message.record
    target = logging.getLogger(record["name"] or "tempyral")
    level = record["level"].no
    if not target.isEnabledFor(level):
        return
    exception = record["exception"]
    exc_info = (
        (exception.type, exception.value, exception.traceback)
        if exception is not None and exception.type is not None and exception.value is not None
        else None
    )
    extra = {key: value for key, value in record["extra"].items() if key not in _RESERVED}
    extra["tempyral"] = dict(record["extra"])
    std = target.makeRecord(
        target.name,
        level,
        str(record["file"].path),
        record["line"],
        redact(record["message"]),
        (),
        exc_info,
        record["function"],
        extra,
    )
    # Formatters reuse exc_text when it is set: the traceback is shown redacted, never re-rendered.
    std.exc_text = _formatted_exception(record)
    target.handle(std)


def _to_global_loguru(message: Message) -> None:
    record = message.record
    core = getattr(loguru.logger, "_core", None)
    # What loguru's global logger would drop anyway (no handler at this level, or "tempyral"
    # not enabled: its cached answer for this module, which logs below) is not redacted and
    # copied first: most records end here, one per workflow task and more.
    if core is not None and (
        record["level"].no < core.min_level or core.enabled.get(__name__) is False
    ):
        return
    text = redact(record["message"])
    formatted = _formatted_exception(record)
    if formatted is not None:
        text = f"{text}\n{formatted}"
    exception = record["exception"]
    # The exception without its traceback: a global handler with diagnose=True has no frames to
    # show the variables of; the stack is in the message, formatted above.
    error = (
        (exception.type, exception.value, None)
        if exception is not None and exception.type is not None
        else None
    )
    original = {
        key: record[key]
        for key in ("name", "function", "line", "file", "module", "extra", "elapsed")
    }

    def patch(target: Record) -> None:
        target.update(original)  # type: ignore[typeddict-item]

    loguru.logger.patch(patch).opt(exception=error).log(record["level"].name, "{}", text)


# The id of the handler forwarding to standard logging (None: not forwarding).
_stdlib_handler: list[int] = []


def configure_logging(*, level: str | int | None = "WARNING") -> None:
    """Which of tempyral's records reach standard ``logging`` (``WARNING`` and up by default).

    ``level=None`` stops forwarding to ``logging``. Records also need a ``logging`` level that
    lets them through (``logging.getLogger("tempyral").setLevel(...)``): this only chooses what
    tempyral hands over.
    """
    while _stdlib_handler:
        logger.remove(_stdlib_handler.pop())
    if level is not None:
        _stdlib_handler.append(
            logger.add(_to_stdlib, level=level, format="{message}", diagnose=False, backtrace=False)
        )


def _respect_global_activation() -> None:
    """Silence ``tempyral`` on loguru's global logger unless the application already chose.

    Libraries using loguru stay quiet on its global handlers until the application enables
    them; an application that enabled (or disabled) ``tempyral`` before this import keeps its
    choice.
    """
    activation = getattr(getattr(loguru.logger, "_core", None), "activation_list", None)
    if activation is not None and any(_PREFIX.startswith(name) for name, _ in activation):
        return
    loguru.logger.disable("tempyral")


_respect_global_activation()
configure_logging()
logger.add(_to_global_loguru, level=0, format="{message}", diagnose=False, backtrace=False)
