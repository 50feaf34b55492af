"""The previous run's outcome, for cron workflows and schedules (``get_last_completion_result``,
``has_last_completion_result``, ``get_last_failure``)."""

from __future__ import annotations

from typing import Any, overload

from tempyral.workflow._context import _Runtime
from tempyral.workflow._typing import ParamType

__all__ = ["get_last_completion_result", "get_last_failure", "has_last_completion_result"]


def has_last_completion_result() -> bool:
    """Whether an earlier run of this cron workflow or schedule completed with a result."""
    return _Runtime.current().workflow_has_last_completion_result()


@overload
def get_last_completion_result() -> Any | None: ...


@overload
def get_last_completion_result(type_hint: type[ParamType]) -> ParamType | None: ...


def get_last_completion_result(type_hint: type | None = None) -> Any | None:
    """The result of the last successful run of this cron workflow or schedule.

    None when there is none, or when that result was None: :py:func:`has_last_completion_result`
    tells the two apart.
    """
    return _Runtime.current().workflow_last_completion_result(type_hint)


def get_last_failure() -> BaseException | None:
    """The error the previous run of this cron workflow or schedule failed with, if it failed."""
    return _Runtime.current().workflow_last_failure()
