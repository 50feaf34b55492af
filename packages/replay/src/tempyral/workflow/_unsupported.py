"""Parts of ``temporalio.workflow`` the engine does not run yet: they raise a clear error instead
of an ``AttributeError``, so code using them fails with the reason and not a typo hunt."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["execute_local_activity", "start_local_activity"]


def _not_yet(what: str) -> NoReturn:
    raise NotImplementedError(
        f"{what} is not supported by this version of tempyral's workflow engine yet"
        " (its history markers/commands are not implemented); keep such workflows on the"
        " official SDK's worker for now"
    )


def start_local_activity(*_: Any, **__: Any) -> NoReturn:
    _not_yet("Local activities (workflow.start_local_activity())")


async def execute_local_activity(*_: Any, **__: Any) -> Any:
    _not_yet("Local activities (workflow.execute_local_activity())")
