"""The type variables and callable protocols ``temporalio.workflow`` re-exports from
``temporalio.types``, so annotations written against the official module resolve here too.

They matter to type checkers only. The ones the client's signatures use already live in
``tempyral.client`` and are re-exported from there; ``ClassType`` and ``CallableType`` are the
decorators' own (``_definition``); the rest are defined here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from typing_extensions import Protocol

from tempyral.client import (
    AnyType,
    CallableAsyncNoParam,
    CallableAsyncSingleParam,
    CallableSyncNoParam,
    CallableSyncSingleParam,
    MethodAsyncNoParam,
    MethodAsyncSingleParam,
    MethodSyncOrAsyncNoParam,
    MethodSyncOrAsyncSingleParam,
    MultiParamSpec,
    ParamType,
    ReturnType,
    SelfType,
)
from tempyral.workflow._definition import CallableType, ClassType

__all__ = [
    "AnyType",
    "CallableAsyncNoParam",
    "CallableAsyncSingleParam",
    "CallableAsyncType",
    "CallableSyncNoParam",
    "CallableSyncOrAsyncReturnNoneType",
    "CallableSyncOrAsyncType",
    "CallableSyncSingleParam",
    "CallableType",
    "ClassType",
    "MethodAsyncNoParam",
    "MethodAsyncSingleParam",
    "MethodSyncNoParam",
    "MethodSyncOrAsyncNoParam",
    "MethodSyncOrAsyncSingleParam",
    "MethodSyncSingleParam",
    "MultiParamSpec",
    "ParamType",
    "ProtocolReturnType",
    "ReturnType",
    "SelfType",
    "UpdateMethodMultiParam",
]

CallableAsyncType = TypeVar("CallableAsyncType", bound=Callable[..., Awaitable[Any]])
CallableSyncOrAsyncType = TypeVar("CallableSyncOrAsyncType", bound=Callable[..., Any])
CallableSyncOrAsyncReturnNoneType = TypeVar(
    "CallableSyncOrAsyncReturnNoneType", bound=Callable[..., None | Awaitable[None]]
)
ProtocolReturnType = TypeVar("ProtocolReturnType", covariant=True)  # noqa: PLC0105 - official name

_S_contra = TypeVar("_S_contra", contravariant=True)
_P_contra = TypeVar("_P_contra", contravariant=True)


class MethodSyncNoParam(Protocol[_S_contra, ProtocolReturnType]):
    """A plain method taking only ``self`` (e.g. an unbound query handler)."""

    def __call__(self, instance: _S_contra, /) -> ProtocolReturnType: ...


class MethodSyncSingleParam(Protocol[_S_contra, _P_contra, ProtocolReturnType]):
    """A plain method taking ``self`` and one parameter."""

    def __call__(self, instance: _S_contra, arg: _P_contra, /) -> ProtocolReturnType: ...


class UpdateMethodMultiParam(Protocol[MultiParamSpec, ProtocolReturnType]):
    """What ``@workflow.update`` makes of a handler: still callable, with ``.validator``."""

    def __call__(
        self, *args: MultiParamSpec.args, **kwargs: MultiParamSpec.kwargs
    ) -> ProtocolReturnType | Awaitable[ProtocolReturnType]: ...

    def validator(self, vfunc: Callable[MultiParamSpec, None]) -> Callable[MultiParamSpec, None]:
        """Declare the update's validator (same parameters, returns nothing)."""
        ...
