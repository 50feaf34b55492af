"""Per-type settings of a dynamic workflow (``@workflow.dynamic_config``).

A dynamic workflow stands for many workflow types; a method marked with
:py:func:`dynamic_config` returns, per run, the settings ``@workflow.defn`` would otherwise fix
for all of them. The engine calls it after the instance is made, before ``@workflow.run``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tempyral.common import VersioningBehavior
from tempyral.workflow._definition import _DYNAMIC_CONFIG_ATTR

__all__ = ["DynamicWorkflowConfig", "dynamic_config"]

_Method = TypeVar("_Method", bound=Callable[[Any], "DynamicWorkflowConfig"])


@dataclass(frozen=True)
class DynamicWorkflowConfig:
    """What a :py:func:`dynamic_config` method returns."""

    failure_exception_types: Sequence[type[BaseException]] | None = None
    """Errors that fail the workflow (or update) instead of its task, in addition to the
    worker's; when not None, replaces ``@workflow.defn(failure_exception_types=...)``."""
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED
    """Replaces ``@workflow.defn(versioning_behavior=...)`` when not UNSPECIFIED."""


def dynamic_config(fn: _Method) -> _Method:
    """Mark the method of a dynamic workflow that returns its :py:class:`DynamicWorkflowConfig`.

    It must be synchronous and take only ``self``: it runs after ``__init__`` (and
    ``@workflow.init``), before ``@workflow.run``, and may look at ``workflow.info()``.
    """
    if inspect.iscoroutinefunction(fn):
        raise ValueError("@workflow.dynamic_config method must be synchronous (a plain def)")
    if len(inspect.signature(fn).parameters) != 1:
        raise ValueError("@workflow.dynamic_config method must take only self")
    setattr(fn, _DYNAMIC_CONFIG_ATTR, True)
    return fn
