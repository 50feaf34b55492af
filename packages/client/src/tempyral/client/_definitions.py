"""Names of workflows, signals, queries and updates given as strings or as method references.

``client.start_workflow(MyWorkflow.run, ...)`` and ``handle.signal(MyWorkflow.add, ...)`` take the
name the workflow class declares. The client sits below the workflow package (tempyral-replay),
so it cannot import its definitions; it reads the attributes the decorators leave instead:

1. ``__tempyral_workflow_definition`` / ``__tempyral_{signal,query,update}_definition``
   (``tempyral.workflow``) and ``__temporal_*`` (the official SDK's decorators, so classes
   written for ``temporalio`` work too): an object with ``name`` (None for dynamic handlers) and,
   for workflows, queries and updates, ``ret_type``;
2. a ``_tempyral_workflow_name`` attribute on the workflow class;
3. otherwise the class name for a workflow and the method name for a handler.

The result type hint comes from the definition, else from the method's return annotation.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
from typing import Any

__all__ = [
    "query_name_and_result_type",
    "signal_name",
    "update_name_and_result_type",
    "workflow_name_and_result_type",
]

_WORKFLOW_DEFINITION_ATTRS = ("__tempyral_workflow_definition", "__temporal_workflow_definition")
_WORKFLOW_NAME_ATTR = "_tempyral_workflow_name"


def workflow_name_and_result_type(workflow: str | Callable[..., Any]) -> tuple[str, Any]:
    """Workflow type name and result type hint of a name or a ``MyWorkflow.run`` reference.

    Raises:
        ValueError: The reference is to a dynamic workflow, or is not a method of a class.
        TypeError: Neither a string nor a callable.
    """
    if isinstance(workflow, str):
        return workflow, None
    if not callable(workflow):
        raise TypeError(f"Workflow must be a string or callable, not {type(workflow).__name__}")
    fn = getattr(workflow, "__func__", workflow)
    cls = _owner_class(workflow)
    definition = _attr(fn, _WORKFLOW_DEFINITION_ATTRS)
    if definition is None and cls is not None:
        definition = _attr(cls, _WORKFLOW_DEFINITION_ATTRS)
        if getattr(definition, "cls", cls) is not cls:  # inherited from a decorated base class
            definition = None
    if definition is not None:
        name = getattr(definition, "name", None)
        if not name:
            raise ValueError("Cannot invoke dynamic workflow explicitly")
        ret_type = getattr(definition, "ret_type", None)
        return str(name), ret_type if ret_type is not None else _return_hint(fn)
    if cls is not None:
        return str(getattr(cls, _WORKFLOW_NAME_ATTR, None) or cls.__name__), _return_hint(fn)
    parts = getattr(fn, "__qualname__", "").split(".")
    if len(parts) < 2 or parts[-2] == "<locals>":
        raise ValueError(
            f"{getattr(fn, '__qualname__', fn)!r} is not a workflow method: pass the workflow "
            "type name as a string, or the run method of the workflow class (MyWorkflow.run)"
        )
    return parts[-2], _return_hint(fn)


def signal_name(signal: str | Callable[..., Any]) -> str:
    """Signal name of a name or a signal method reference."""
    return _handler_name_and_result_type(signal, "signal")[0]


def query_name_and_result_type(query: str | Callable[..., Any]) -> tuple[str, Any]:
    """Query name and result type hint of a name or a query method reference."""
    return _handler_name_and_result_type(query, "query")


def update_name_and_result_type(update: str | Callable[..., Any]) -> tuple[str, Any]:
    """Update name and result type hint of a name or an update method reference."""
    return _handler_name_and_result_type(update, "update")


def _handler_name_and_result_type(handler: str | Callable[..., Any], kind: str) -> tuple[str, Any]:
    if isinstance(handler, str):
        return handler, None
    if not callable(handler):
        raise TypeError(f"{kind.capitalize()} must be a string or callable")
    fn = getattr(handler, "__func__", handler)
    attrs = (f"__tempyral_{kind}_definition", f"__temporal_{kind}_definition")
    definition = _attr(fn, attrs)
    if definition is None and kind == "update":
        definition = getattr(fn, "_defn", None)  # the official SDK's update method wrapper
    if definition is not None:
        name = getattr(definition, "name", None)
        if not name:
            raise RuntimeError(f"Cannot invoke dynamic {kind} definition")
        ret_type = getattr(definition, "ret_type", None)
        return str(name), ret_type if ret_type is not None else _return_hint(fn)
    return str(getattr(fn, "__name__", handler)), _return_hint(fn)


def _attr(obj: object, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _owner_class(method: Callable[..., Any]) -> type | None:
    """The class a method belongs to: from a bound method, or by walking its qualified name."""
    owner = getattr(method, "__self__", None)
    if owner is not None:
        return owner if isinstance(owner, type) else type(owner)
    fn = getattr(method, "__func__", method)
    parts = getattr(fn, "__qualname__", "").split(".")[:-1]
    if not parts or "<locals>" in parts:
        return None
    current: Any = sys.modules.get(getattr(fn, "__module__", "") or "")
    for part in parts:
        current = getattr(current, part, None)
    return current if isinstance(current, type) else None


def _return_hint(fn: Callable[..., Any]) -> Any:
    """The return annotation, resolved; None when missing or unresolvable."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an unresolvable annotation only loses the type hint
        return None
    ret = hints.get("return")
    if ret is None or ret is type(None):
        return None
    # The hint of an async method is its awaited value, which get_type_hints already gives.
    return ret
