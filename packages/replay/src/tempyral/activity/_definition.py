"""``@activity.defn`` and the definition it attaches to an activity callable.

The definition is stored on the callable under ``__tempyral_activity_definition``. Workflow code
(``tempyral.workflow``, a lower layer that cannot import this module) reads the activity name
from that attribute, so its name and the ``name`` field are a contract between the two packages.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from tempyral.common import RawValue

__all__ = ["_Definition", "defn"]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

_ATTRIBUTE = "__tempyral_activity_definition"
_OFFICIAL_ATTRIBUTE = "__temporal_activity_definition"
_DYNAMIC_ARG_TYPES: tuple[object, ...] = (Sequence[RawValue], typing.Sequence[RawValue])


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(
    *, name: str | None = None, no_thread_cancel_exception: bool = False
) -> Callable[[CallableType], CallableType]: ...


@overload
def defn(
    *, no_thread_cancel_exception: bool = False, dynamic: bool = False
) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    no_thread_cancel_exception: bool = False,
    dynamic: bool = False,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Decorator for activity functions.

    Activities can be async or non-async.

    Args:
        fn: The function to decorate.
        name: Name to use for the activity. Defaults to function ``__name__``. This cannot be
            set if dynamic is set.
        no_thread_cancel_exception: If set to true, an exception will not be raised in
            synchronous, threaded activities upon cancellation.
        dynamic: If true, this activity will be dynamic. Dynamic activities have to accept a
            single ``Sequence[RawValue]`` parameter. This cannot be set to true if name is
            present.
    """
    if dynamic and name is not None:
        raise ValueError(
            f"Activity {name!r} cannot be both named and dynamic: a dynamic activity handles "
            "every activity type that has no activity of its own; drop name= or dynamic=True"
        )

    def decorator(fn: CallableType) -> CallableType:
        _Definition._apply_to_callable(
            fn,
            activity_name=None if dynamic else (name or fn.__name__),
            no_thread_cancel_exception=no_thread_cancel_exception,
        )
        return fn

    if fn is not None:
        return decorator(fn)
    return decorator


@dataclass(frozen=True)
class _Definition:
    name: str | None
    """Activity type name; None for the dynamic activity."""
    fn: Callable[..., Any]
    is_async: bool
    no_thread_cancel_exception: bool
    # Computed in __post_init__ when both are None.
    arg_types: list[type] | None = None
    ret_type: type | None = None

    @staticmethod
    def from_callable(fn: Callable[..., Any]) -> _Definition | None:
        defn = getattr(fn, _ATTRIBUTE, None)
        if isinstance(defn, _Definition):
            # The registered callable may be a bound method of the decorated function: run that.
            return dataclasses.replace(defn, fn=fn)
        return None

    @staticmethod
    def must_from_callable(fn: Callable[..., Any]) -> _Definition:
        defn = _Definition.from_callable(fn)
        if defn is not None:
            return defn
        fn_name = getattr(fn, "__name__", repr(fn))
        if hasattr(fn, _OFFICIAL_ATTRIBUTE):
            raise TypeError(
                f"Activity {fn_name} is decorated with temporalio.activity.defn; a tempyral "
                "worker runs activities decorated with tempyral.activity.defn (replace the "
                "temporalio import with tempyral)"
            )
        raise TypeError(
            f"Activity {fn_name} missing attributes, was it decorated with @activity.defn?"
        )

    @classmethod
    def get_name_and_result_type(
        cls, name_or_run_fn: str | Callable[..., Any]
    ) -> tuple[str, type | None]:
        if isinstance(name_or_run_fn, str):
            return name_or_run_fn, None
        if callable(name_or_run_fn):
            defn = cls.must_from_callable(name_or_run_fn)
            if not defn.name:
                raise ValueError(f"Activity {name_or_run_fn} definition has no name")
            return defn.name, defn.ret_type
        raise TypeError("Activity must be a string or callable")

    @staticmethod
    def _apply_to_callable(
        fn: Callable[..., Any], *, activity_name: str | None, no_thread_cancel_exception: bool
    ) -> None:
        if hasattr(fn, _ATTRIBUTE):
            raise ValueError("Function already contains activity definition")
        if not callable(fn):
            raise TypeError("Activity is not callable")
        for param in inspect.signature(fn).parameters.values():
            if param.kind == inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(
                    f"Activity {activity_name or fn!r} cannot have keyword-only arguments "
                    f"(parameter {param.name!r}): activity arguments travel by position"
                )
        call = getattr(fn, "__call__", None)  # noqa: B004 - async __call__ makes it async
        is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)
        setattr(
            fn,
            _ATTRIBUTE,
            _Definition(
                name=activity_name,
                fn=fn,
                is_async=is_async,
                no_thread_cancel_exception=no_thread_cancel_exception,
            ),
        )

    def __post_init__(self) -> None:
        if self.arg_types is None and self.ret_type is None:
            arg_types, ret_type = _type_hints(self.fn)
            if self.name is None and (
                not arg_types or len(arg_types) != 1 or arg_types[0] not in _DYNAMIC_ARG_TYPES
            ):
                raise TypeError(
                    "Dynamic activity must accept a single Sequence[tempyral.common.RawValue]"
                )
            object.__setattr__(self, "arg_types", arg_types)
            object.__setattr__(self, "ret_type", ret_type)


def _type_hints(fn: Callable[..., Any]) -> tuple[list[type] | None, type | None]:
    """Argument type hints (None if a parameter is not positional) and the return type hint.

    A class or callable instance is described by its ``__call__``; an unannotated leading
    ``self`` is skipped; an unannotated parameter gets None (decoded without a type).
    """
    target: Any = fn
    if not inspect.isfunction(fn) and not isinstance(fn, types.MethodType):
        owner = fn if isinstance(fn, type) else type(fn)
        target = getattr(owner, "__call__", fn)  # noqa: B004 - the attribute itself
    hints = typing.get_type_hints(target)
    return_hint = hints.get("return")
    params: list[type] = []
    for index, param in enumerate(inspect.signature(target).parameters.values()):
        if index == 0 and param.name == "self" and param.annotation is inspect.Parameter.empty:
            continue
        if param.kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            return None, return_hint
        params.append(hints.get(param.name))  # type: ignore[arg-type]
    return params, return_hint
