"""What becomes of a ``BaseException`` that workflow code raises.

Workflow code can raise anything: ``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit`` used by
mistake, or its own ``BaseException`` subclass. None of them may stop the process that runs the
engine (a worker serving other workflows, a CI job replaying histories). The runtime records them
as the activation's error, exactly like an ``Exception``: the worker fails the workflow task with
it (type, message and stack in history), the ``Replayer`` reports it as the replay failure.

Where an ``Exception`` is required (a query's answer, ``WorkflowReplayResult.replay_failure``)
:py:func:`as_exception` wraps the original, which stays reachable as ``__cause__``.
"""

from __future__ import annotations

__all__ = ["as_exception"]


def as_exception(error: BaseException) -> Exception:
    """``error`` itself when it is an ``Exception``; else a ``RuntimeError`` caused by it."""
    if isinstance(error, Exception):
        return error
    wrapped = RuntimeError(
        f"workflow code raised {type(error).__name__}: {error!s}".rstrip(": ")
        + " (a BaseException, not an Exception: it fails the workflow task; raise an Exception,"
        " or ApplicationError to fail the workflow)"
    )
    wrapped.__cause__ = error
    return wrapped
