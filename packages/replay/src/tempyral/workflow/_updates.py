"""Workflow code's API for updates (mirrors ``temporalio.workflow``): the running update's info,
handlers registered at run time, whether every handler has finished, and the warnings a run
that ends with handlers still running emits."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tempyral.workflow._context import _Runtime

__all__ = [
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "all_handlers_finished",
    "current_update_info",
    "get_dynamic_update_handler",
    "get_update_handler",
    "set_dynamic_update_handler",
    "set_update_handler",
]


@dataclass(frozen=True)
class UpdateInfo:
    """Information about a workflow update."""

    id: str
    """Update ID."""

    name: str
    """Update type name."""

    @property
    def _logger_details(self) -> Mapping[str, Any]:
        return {"update_id": self.id, "update_name": self.name}


class UnfinishedUpdateHandlersWarning(RuntimeWarning):
    """The workflow exited before all update handlers had finished executing."""


class UnfinishedSignalHandlersWarning(RuntimeWarning):
    """The workflow exited before all signal handlers had finished executing."""


# Set by the engine in each update handler's task (and so seen by the tasks it starts).
_current_update_info: contextvars.ContextVar[UpdateInfo] = contextvars.ContextVar(
    "__tempyral_current_update_info"
)


def current_update_info() -> UpdateInfo | None:
    """The update being handled by the current code (None outside an update handler)."""
    return _current_update_info.get(None)


def all_handlers_finished() -> bool:
    """Whether every update and signal handler has finished.

    Wait for it before the workflow returns or continues as new, so that no handler is cut
    short: ``await workflow.wait_condition(lambda: workflow.all_handlers_finished())``.
    """
    return _Runtime.current().all_handlers_finished()


def get_update_handler(name: str) -> Callable[..., Any] | None:
    """The update handler of this name (never the dynamic one), if any."""
    return _Runtime.current().get_handler("update", name)


def set_update_handler(
    name: str, handler: Callable[..., Any] | None, *, validator: Callable[..., Any] | None = None
) -> None:
    """Set (or with None remove) the update handler of this name, and its validator."""
    _Runtime.current().set_update_handler(name, handler, validator)


def get_dynamic_update_handler() -> Callable[..., Any] | None:
    """The dynamic update handler, if any."""
    return _Runtime.current().get_handler("update", None)


def set_dynamic_update_handler(
    handler: Callable[..., Any] | None, *, validator: Callable[..., Any] | None = None
) -> None:
    """Set (or with None remove) the dynamic update handler, and its validator."""
    _Runtime.current().set_update_handler(None, handler, validator)
