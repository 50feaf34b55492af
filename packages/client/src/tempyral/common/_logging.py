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

loguru is imported, and the handlers attached, on the logger's first use (not when tempyral is
imported): importing a client or worker stays cheap, and the choice described above is read then.

Nothing tempyral logs renders local variables of a traceback (loguru's ``diagnose``): tracebacks
are formatted by :py:mod:`traceback`, and every message and traceback passes through
:py:func:`~tempyral.common._redact.redact` first.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import TYPE_CHECKING, Any, cast

from tempyral.common._redact import redact

if TYPE_CHECKING:
    from loguru import Logger, Message, Record

__all__ = ["configure_logging", "logger"]

# The LogRecord attributes standard logging reserves; loguru's extra keys must not collide.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_PREFIX = "tempyral."


class _LazyLogger:
    """Stands for tempyral's loguru logger until its first use, then forwards to it.

    Modules hold this object (``from tempyral.common import logger``); the first attribute read
    builds the real logger, so a program that never logs never imports loguru.
    """

    __slots__ = ("_lock", "_real")

    def __init__(self) -> None:
        self._real: Logger | None = None
        # Activity threads may log first at the same time: one logger, one set of handlers.
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.built(), name)

    def built(self) -> Logger:
        """The real logger, built (with its default handlers) on the first call."""
        real = self._real
        if real is None:
            with self._lock:
                real = self._real
                if real is None:
                    real = self._real = _build_logger()
        return real

    def __repr__(self) -> str:
        return repr(self._real) if self._real is not None else "<tempyral logger (not used yet)>"


logger: Logger = cast("Logger", _LazyLogger())
"""tempyral's loguru logger (its own handlers: see the module docstring)."""


def _build_logger() -> Logger:
    from loguru import _logger as _loguru_impl

    # loguru's Core with min_level worked out as _lowest_wanted_level says (untyped: Any).
    core_class: Any = type(
        "_TempyralCore",
        (_loguru_impl.Core,),
        {"forwarder_id": None, "min_level": property(_lowest_wanted_level, _ignore_min_level)},
    )
    core = core_class()
    real = cast(
        "Logger",
        _loguru_impl.Logger(  # type: ignore[no-untyped-call]
            core=core,
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
    _respect_global_activation()
    _configure_stdlib_forwarding(real, "WARNING")
    core.forwarder_id = real.add(
        _to_global_loguru, level=0, format="{message}", diagnose=False, backtrace=False
    )
    return real


def _lowest_wanted_level(core: Any) -> float:
    """The level below which no destination takes a record now: loguru's ``_log`` builds no
    record below a core's ``min_level``.

    loguru's own ``min_level`` is its handlers' lowest level, which the forwarder to loguru's
    global logger (level 0) makes 0: every record was built (a frame walk, a timestamp, a dict,
    about 15 us) to be dropped there, a dozen per workflow test. The forwarder counts here at
    the level the global logger would take, and not at all while it has ``tempyral`` disabled,
    the same test :py:func:`_to_global_loguru` makes; both are read live, so a handler added or
    ``tempyral`` enabled later takes records from then on.
    """
    lowest = float("inf")
    for handler_id, handler in core.handlers.items():
        level = _global_loguru_level() if handler_id == core.forwarder_id else handler.levelno
        lowest = min(lowest, level)
    return lowest


def _ignore_min_level(core: Any, value: float) -> None:
    """loguru's ``add`` and ``remove`` set ``min_level``; here it is worked out on each read."""


def _global_loguru_level() -> float:
    import loguru  # loaded already: tempyral's logger is built on it

    core = getattr(loguru.logger, "_core", None)
    if core is None:
        return 0.0
    if core.enabled.get(__name__) is False:  # loguru's cached answer for our forwarded records
        return float("inf")
    return float(core.min_level)


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
    import loguru  # loaded already: this is one of its sinks

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


# The id of the handler forwarding to standard logging (None: not forwarding), and its level.
_stdlib_handler: list[int] = []
_stdlib_level: list[str | int | None] = ["WARNING"]


def forwarded_level() -> str | int | None:
    """The level given to the last :py:func:`configure_logging` call (to restore it later)."""
    return _stdlib_level[0]


def configure_logging(*, level: str | int | None = "WARNING") -> None:
    """Which of tempyral's records reach standard ``logging`` (``WARNING`` and up by default).

    ``level=None`` stops forwarding to ``logging``. Records also need a ``logging`` level that
    lets them through (``logging.getLogger("tempyral").setLevel(...)``): this only chooses what
    tempyral hands over.
    """
    # Built first: building adds the default forwarding, which this call then replaces (built
    # by the add below instead, it would stay beside it and every record would go out twice).
    _configure_stdlib_forwarding(cast("_LazyLogger", logger).built(), level)


def _configure_stdlib_forwarding(target: Logger, level: str | int | None) -> None:
    while _stdlib_handler:
        target.remove(_stdlib_handler.pop())
    _stdlib_level[0] = level
    if level is not None:
        _stdlib_handler.append(
            target.add(_to_stdlib, level=level, format="{message}", diagnose=False, backtrace=False)
        )


def _respect_global_activation() -> None:
    """Silence ``tempyral`` on loguru's global logger unless the application already chose.

    Libraries using loguru stay quiet on its global handlers until the application enables
    them; an application that enabled (or disabled) ``tempyral`` before the logger's first use
    keeps its choice.
    """
    import loguru

    activation = getattr(getattr(loguru.logger, "_core", None), "activation_list", None)
    if activation is not None and any(_PREFIX.startswith(name) for name, _ in activation):
        return
    loguru.logger.disable("tempyral")
