"""Finding the line of workflow code behind a command, for nondeterminism errors.

The walk skips frames of tempyral itself and of asyncio, so the location is the user's
``await workflow.execute_activity(...)`` line, not the SDK's internals. It costs one frame walk per
command, which is small next to building the command.
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


def _is_user(frame: FrameType) -> bool:
    filename = frame.f_code.co_filename
    return not filename.startswith(_SKIP_PREFIXES) and not filename.startswith("<")


def caller_location() -> SourceLocation | None:
    """The innermost user frame on the stack, else in the current workflow task's coroutines."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code not in BOUNDARY_CODES:
        if _is_user(frame):
            return _location(frame)
        frame = frame.f_back
    # Called from a loop callback (a timer cancelled by a done callback, say): look at the
    # suspended coroutine stack of the task that is running, innermost first.
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    if task is None:
        return None
    for stack_frame in reversed(task.get_stack()):
        if _is_user(stack_frame):
            return _location(stack_frame)
    return None
