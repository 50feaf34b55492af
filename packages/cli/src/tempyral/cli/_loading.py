"""Loading user code named on the command line: ``package.module`` or ``package.module:attr``.

The current directory goes first on ``sys.path``, as with ``python -m``, so a project's own
modules load from where the command runs. Every failure is a :py:class:`CodeLoadError` whose
message says what was asked for, what went wrong and what to try.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType
from typing import Any

__all__ = ["CodeLoadError", "is_workflow_class", "load_target", "workflow_classes"]

# The attribute ``@workflow.defn`` leaves on a class (the official SDK's spelling is accepted too,
# so code that still imports temporalio is named correctly in the error).
_WORKFLOW_MARKERS = ("__tempyral_workflow_definition", "__temporal_workflow_definition")


class CodeLoadError(Exception):
    """The code a command was pointed at cannot be loaded or holds nothing to use."""


def _import(module_name: str, spec: str) -> ModuleType:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name is not None and module_name.startswith(err.name):
            raise CodeLoadError(
                f"cannot import {module_name!r} (from {spec!r}): no module named {err.name!r}."
                " Run the command from your project's folder, or install the project"
                " (pip install -e .)."
            ) from err
        raise CodeLoadError(_failed_import(module_name, spec, err)) from err
    except Exception as err:  # the module itself failed while importing
        raise CodeLoadError(_failed_import(module_name, spec, err)) from err


def _failed_import(module_name: str, spec: str, err: BaseException) -> str:
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return (
        f"importing {module_name!r} (from {spec!r}) raised {type(err).__name__}: {err}{at}."
        " Fix the module so that `python -c 'import "
        f"{module_name}'` works."
    )


def load_target(spec: str) -> tuple[ModuleType, Any, bool]:
    """The module, the object ``spec`` names (the module itself when it names no attribute) and
    whether an attribute was named."""
    module_name, colon, attr = spec.partition(":")
    if not module_name or (colon and not attr):
        raise CodeLoadError(
            f"{spec!r} is not a module or module:attribute; write it like my_app.workflows or"
            " my_app.workflows:MyWorkflow"
        )
    module = _import(module_name, spec)
    if not colon:
        return module, module, False
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            names = ", ".join(sorted(n for n in vars(module) if not n.startswith("_")))
            raise CodeLoadError(
                f"module {module_name!r} has no attribute {attr!r}"
                f" (it defines: {names or 'nothing'})"
            ) from None
    return module, value, True


def is_workflow_class(value: object) -> bool:
    return isinstance(value, type) and any(m in vars(value) for m in _WORKFLOW_MARKERS)


def workflow_classes(spec: str) -> list[type]:
    """The workflow classes ``spec`` names: one class, a list or tuple of them, or every
    ``@workflow.defn`` class a module defines."""
    module, value, named = load_target(spec)
    if not named:
        found = [v for v in vars(module).values() if is_workflow_class(v)]
        if not found:
            raise CodeLoadError(
                f"module {spec!r} defines no workflow class (a class decorated with"
                " @workflow.defn); name the module that does, or module:WorkflowClass"
            )
        return found
    candidates = list(value) if isinstance(value, (list, tuple)) else [value]
    bad = [c for c in candidates if not is_workflow_class(c)]
    if bad or not candidates:
        raise CodeLoadError(
            f"{spec!r} is {value!r}, not a workflow class (decorated with @workflow.defn) or a"
            " list of them"
        )
    return candidates
