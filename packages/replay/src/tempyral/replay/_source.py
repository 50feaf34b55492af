"""Finding the line of workflow code behind a command, for nondeterminism errors.

The walk skips frames of tempyral itself and of asyncio, so the location is the user's
``await workflow.execute_activity(...)`` line, not the SDK's internals. It costs one frame walk per
command. Each code object is classified once (user code, SDK/asyncio code, or the loop's boundary)
and remembered: a walk that finds no user frame passes a dozen asyncio frames, and comparing their
file names on every command made up a third of replaying a timer-heavy history.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from types import CodeType, FrameType

from tempyral.replay._errors import SourceLocation

__all__ = ["caller_location"]

_SKIP_PREFIXES: tuple[str, ...] = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # .../tempyral (replay + workflow)
    os.path.dirname(os.path.abspath(str(asyncio.__file__))),
    os.path.abspath(str(contextlib.__file__)),
)


# Code objects where workflow code is entered (the loop's run-once); the walk stops there.
BOUNDARY_CODES: set[CodeType] = set()


def _location(frame: FrameType) -> SourceLocation:
    return SourceLocation(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


_SDK, _USER, _BOUNDARY = 0, 1, 2
# Code object -> its kind. Code objects live as long as their functions; a program that keeps
# compiling new workflow code (exec in a loop) could grow this without bound, hence the cap.
_KINDS: dict[CodeType, int] = {}
_KINDS_CAP = 50_000


def _kind(code: CodeType) -> int:
    kind = _KINDS.get(code)
    if kind is None:
        filename = code.co_filename
        if code in BOUNDARY_CODES:
            kind = _BOUNDARY
        elif filename.startswith(_SKIP_PREFIXES) or filename.startswith("<"):
            kind = _SDK
        else:
            kind = _USER
        if len(_KINDS) >= _KINDS_CAP:
            _KINDS.clear()
        _KINDS[code] = kind
    return kind


def caller_location() -> SourceLocation | None:
    """The innermost user frame on the stack, else in the current workflow task's coroutines."""
    frame: FrameType | None = sys._getframe(1)
    kinds = _KINDS
    while frame is not None:
        kind = kinds.get(frame.f_code)
        if kind is None:
            kind = _kind(frame.f_code)
        if kind == _USER:
            return _location(frame)
        if kind == _BOUNDARY:
            break
        frame = frame.f_back
    # Called from a loop callback (a timer cancelled by a done callback, say): look at the
    # suspended coroutine stack of the task that is running, innermost first.
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    if task is None or getattr(task.get_coro(), "cr_running", False):
        # A running coroutine's frames are the ones just walked: no user frame there either.
        return None
    for stack_frame in reversed(task.get_stack()):
        kind = kinds.get(stack_frame.f_code)
        if kind == _USER or (kind is None and _kind(stack_frame.f_code) == _USER):
            return _location(stack_frame)
    return None
