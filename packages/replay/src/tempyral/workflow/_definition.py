"""Declaring workflows: ``@defn``, ``@run``, ``@init``, ``@signal``, ``@query``, ``@update``.

Decorators only record what they are given; :py:class:`_Definition` collects a class's
declarations once, at decoration time, and is what the engine runs. Names and signatures follow
``temporalio.workflow``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar, overload

__all__ = [
    "HandlerUnfinishedPolicy",
    "defn",
    "init",
    "query",
    "run",
    "signal",
    "update",
]

ClassType = TypeVar("ClassType", bound=type)
CallableType = TypeVar("CallableType", bound=Callable[..., Any])

_DEFN_ATTR = "__tempyral_workflow_definition"
_RUN_ATTR = "__tempyral_workflow_run"
_INIT_ATTR = "__tempyral_workflow_init"
_SIGNAL_ATTR = "__tempyral_signal_definition"
_QUERY_ATTR = "__tempyral_query_definition"
_UPDATE_ATTR = "__tempyral_update_definition"
_DYNAMIC_CONFIG_ATTR = "__tempyral_workflow_dynamic_config"


class HandlerUnfinishedPolicy(Enum):
    """What to do when a workflow finishes while a signal or update handler is still running."""

    WARN_AND_ABANDON = 1
    ABANDON = 2


def _hints(fn: Callable[..., Any]) -> tuple[list[Any] | None, Any]:
    """Parameter type hints (all or nothing, ``self`` skipped) and the return hint of ``fn``."""
    try:
        hints = typing.get_type_hints(fn)
    except (
        Exception
    ):  # unresolvable forward references: convert without hints, as the official SDK does
        hints = {}
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None, None
    if params and params[0].name == "self":
        params = params[1:]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != len(params):
        return None, hints.get("return")
    arg_types = [hints.get(p.name, Any) for p in positional]
    return arg_types, hints.get("return")


def _is_dynamic_vararg(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return len(params) > 1 and params[-1].kind is inspect.Parameter.VAR_POSITIONAL


@dataclass(frozen=True)
class _SignalDefinition:
    name: str | None  # None: dynamic
    fn: Callable[..., Any]
    is_method: bool
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None
    arg_types: list[Any] | None = None
    dynamic_vararg: bool = False

    @staticmethod
    def from_fn(fn: Callable[..., Any]) -> _SignalDefinition | None:
        return getattr(fn, _SIGNAL_ATTR, None)

    @staticmethod
    def must_name_from_fn_or_str(signal: str | Callable[..., Any]) -> str:
        if isinstance(signal, str):
            return signal
        defn = _SignalDefinition.from_fn(signal)
        if defn is None or defn.name is None:
            raise RuntimeError(
                f"{getattr(signal, '__qualname__', signal)} is not a named @workflow.signal"
            )
        return defn.name

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return self.fn.__get__(obj) if self.is_method else self.fn


@dataclass(frozen=True)
class _QueryDefinition:
    name: str | None
    fn: Callable[..., Any]
    is_method: bool
    description: str | None = None
    arg_types: list[Any] | None = None
    ret_type: Any = None
    dynamic_vararg: bool = False

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return self.fn.__get__(obj) if self.is_method else self.fn


@dataclass
class _UpdateDefinition:
    name: str | None
    fn: Callable[..., Any]
    is_method: bool
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None
    validator: Callable[..., Any] | None = None
    arg_types: list[Any] | None = None
    ret_type: Any = None
    dynamic_vararg: bool = False

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return self.fn.__get__(obj) if self.is_method else self.fn


@dataclass(frozen=True)
class _Definition:
    """Everything the engine needs to run one workflow class."""

    name: str | None  # None: the dynamic workflow
    cls: type
    run_fn: Callable[..., Any]
    signals: dict[str | None, _SignalDefinition] = field(default_factory=dict)
    queries: dict[str | None, _QueryDefinition] = field(default_factory=dict)
    updates: dict[str | None, _UpdateDefinition] = field(default_factory=dict)
    sandboxed: bool = True
    failure_exception_types: tuple[type[BaseException], ...] = ()
    init_takes_args: bool = False
    arg_types: list[Any] | None = None
    ret_type: Any = None
    dynamic_config_fn: Callable[[Any], Any] | None = None  # @workflow.dynamic_config
    versioning_behavior: Any = None  # a tempyral.common.VersioningBehavior, reported per task

    @staticmethod
    def from_class(workflow_class: type) -> _Definition | None:
        defn = workflow_class.__dict__.get(_DEFN_ATTR)
        return defn if isinstance(defn, _Definition) else None

    @staticmethod
    def must_from_class(workflow_class: type) -> _Definition:
        defn = _Definition.from_class(workflow_class)
        if defn is None:
            raise ValueError(
                f"{workflow_class.__qualname__} is not a workflow class:"
                " decorate it with @workflow.defn"
            )
        return defn

    @staticmethod
    def from_run_fn(fn: Callable[..., Any]) -> _Definition | None:
        if inspect.ismethod(fn):  # a bound method: its class is found from the function
            fn = fn.__func__
        qualname = getattr(fn, "__qualname__", "")
        module = inspect.getmodule(fn)
        cls: Any = module
        for part in qualname.split(".")[:-1]:
            cls = getattr(cls, part, None)
        return _Definition.from_class(cls) if isinstance(cls, type) else None


def _build(
    cls: type,
    *,
    name: str | None,
    sandboxed: bool,
    failure_exception_types: Sequence[type[BaseException]],
    versioning_behavior: Any = None,
) -> _Definition:
    run_fn: Callable[..., Any] | None = None
    signals: dict[str | None, _SignalDefinition] = {}
    queries: dict[str | None, _QueryDefinition] = {}
    updates: dict[str | None, _UpdateDefinition] = {}
    dynamic_config_fn: Callable[[Any], Any] | None = None
    problems: list[str] = []
    for base in reversed(cls.__mro__):
        for attr, member in base.__dict__.items():
            fn = member
            if getattr(fn, _RUN_ATTR, False) and (base is cls or run_fn is None):
                run_fn = fn
            if getattr(fn, _DYNAMIC_CONFIG_ATTR, False):
                dynamic_config_fn = fn
            if (sig := getattr(fn, _SIGNAL_ATTR, None)) is not None:
                signals[sig.name] = sig
            if (qry := getattr(fn, _QUERY_ATTR, None)) is not None:
                queries[qry.name] = qry
            if (upd := getattr(fn, _UPDATE_ATTR, None)) is not None:
                updates[upd.name] = upd
            del attr
    if run_fn is None:
        problems.append("no @workflow.run method")
    elif not inspect.iscoroutinefunction(run_fn):
        problems.append(f"@workflow.run method {run_fn.__name__} must be an async def")
    if dynamic_config_fn is not None and name is not None:
        problems.append(
            "@workflow.dynamic_config is only for dynamic workflows (@workflow.defn(dynamic=True))"
        )
    if problems:
        raise ValueError(f"Invalid workflow class {cls.__qualname__}: {', '.join(problems)}")
    assert run_fn is not None
    arg_types, ret_type = _hints(run_fn)
    init = cls.__dict__.get("__init__")
    return _Definition(
        name=name,
        cls=cls,
        run_fn=run_fn,
        signals=signals,
        queries=queries,
        updates=updates,
        sandboxed=sandboxed,
        failure_exception_types=tuple(failure_exception_types),
        init_takes_args=bool(init is not None and getattr(init, _INIT_ATTR, False)),
        arg_types=arg_types,
        ret_type=ret_type,
        dynamic_config_fn=dynamic_config_fn,
        versioning_behavior=versioning_behavior,
    )


@overload
def defn(cls: ClassType) -> ClassType: ...
@overload
def defn(
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
    versioning_behavior: Any = None,
) -> Callable[[ClassType], ClassType]: ...
def defn(
    cls: ClassType | None = None,
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
    versioning_behavior: Any = None,
) -> Any:
    """Declare a workflow class (``name`` defaults to the class name; ``dynamic`` takes any type).

    ``sandboxed=False`` turns the determinism guard off for this workflow's code (see
    ``workflow.unsafe``); tempyral has no import sandbox, so it means nothing else.
    """
    if name is not None and dynamic:
        raise ValueError("a dynamic workflow cannot have a name")

    def decorator(cls: ClassType) -> ClassType:
        definition = _build(
            cls,
            name=None if dynamic else (name or cls.__name__),
            sandboxed=sandboxed,
            failure_exception_types=failure_exception_types,
            versioning_behavior=versioning_behavior,
        )
        setattr(cls, _DEFN_ATTR, definition)
        return cls

    return decorator(cls) if cls is not None else decorator


def run(fn: CallableType) -> CallableType:
    """Mark the workflow's entry point (an ``async def`` method)."""
    setattr(fn, _RUN_ATTR, True)
    return fn


def init(init_fn: CallableType) -> CallableType:
    """Mark ``__init__`` as taking the same arguments as the ``@workflow.run`` method."""
    if init_fn.__name__ != "__init__":
        raise ValueError("@workflow.init may only be used on __init__")
    setattr(init_fn, _INIT_ATTR, True)
    return init_fn


def _handler_name(fn: Callable[..., Any], name: str | None, dynamic: bool) -> str | None:
    if name is not None and dynamic:
        raise ValueError("a dynamic handler cannot have a name")
    return None if dynamic else (name or fn.__name__)


def signal(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Any:
    """Declare a signal handler method (sync or async); ``dynamic`` handles any signal name."""

    def decorator(fn: CallableType) -> CallableType:
        arg_types, _ = _hints(fn)
        defn = _SignalDefinition(
            name=_handler_name(fn, name, dynamic),
            fn=fn,
            is_method=True,
            unfinished_policy=unfinished_policy,
            description=description,
            arg_types=arg_types,
            dynamic_vararg=dynamic and _is_dynamic_vararg(fn),
        )
        setattr(fn, _SIGNAL_ATTR, defn)
        return fn

    return decorator(fn) if fn is not None else decorator


def query(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    description: str | None = None,
) -> Any:
    """Declare a query handler method; it runs read-only (no commands, no state changes)."""

    def decorator(fn: CallableType) -> CallableType:
        arg_types, ret_type = _hints(fn)
        defn = _QueryDefinition(
            name=_handler_name(fn, name, dynamic),
            fn=fn,
            is_method=True,
            description=description,
            arg_types=arg_types,
            ret_type=ret_type,
            dynamic_vararg=dynamic and _is_dynamic_vararg(fn),
        )
        setattr(fn, _QUERY_ATTR, defn)
        return fn

    return decorator(fn) if fn is not None else decorator


def update(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Any:
    """Declare an update handler (sync or async); ``@<handler>.validator`` declares its validator.

    The validator (a plain ``def`` taking the handler's arguments) runs read-only when the update
    is first delivered, never on replay; raising rejects the update, which leaves no history.
    """

    def decorator(fn: CallableType) -> CallableType:
        arg_types, ret_type = _hints(fn)
        defn = _UpdateDefinition(
            name=_handler_name(fn, name, dynamic),
            fn=fn,
            is_method=True,
            unfinished_policy=unfinished_policy,
            description=description,
            arg_types=arg_types,
            ret_type=ret_type,
            dynamic_vararg=dynamic and _is_dynamic_vararg(fn),
        )
        setattr(fn, _UPDATE_ATTR, defn)

        def validator(validator_fn: Callable[..., None]) -> Callable[..., None]:
            defn.validator = validator_fn
            return validator_fn

        fn.validator = validator  # type: ignore[attr-defined]
        return fn

    return decorator(fn) if fn is not None else decorator
