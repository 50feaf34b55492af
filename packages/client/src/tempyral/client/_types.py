"""Type variables and callable protocols used in the client's signatures (``temporalio.types``).

The official SDK keeps these in ``temporalio.types`` and re-exports them from
``temporalio.client``; tempyral has no ``types`` module yet, so they live here and are re-exported
the same way. They only matter to type checkers: ``MethodAsyncSingleParam[MyWorkflow, str, int]``
is what ``MyWorkflow.run`` looks like when ``run(self, name: str) -> int`` is async.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from typing_extensions import ParamSpec, Protocol

__all__ = [
    "AnyType",
    "CallableAsyncNoParam",
    "CallableAsyncSingleParam",
    "CallableSyncNoParam",
    "CallableSyncSingleParam",
    "LocalReturnType",
    "MethodAsyncNoParam",
    "MethodAsyncSingleParam",
    "MethodSyncOrAsyncNoParam",
    "MethodSyncOrAsyncSingleParam",
    "MultiParamSpec",
    "ParamType",
    "ReturnType",
    "SelfType",
]

AnyType = TypeVar("AnyType")
SelfType = TypeVar("SelfType")
ParamType = TypeVar("ParamType")
ReturnType = TypeVar("ReturnType", covariant=True)  # noqa: PLC0105 - the official name
LocalReturnType = TypeVar("LocalReturnType", covariant=True)  # noqa: PLC0105 - the official name
MultiParamSpec = ParamSpec("MultiParamSpec")

_P_contra = TypeVar("_P_contra", contravariant=True)
_R_co = TypeVar("_R_co", covariant=True)
_S_contra = TypeVar("_S_contra", contravariant=True)


class CallableAsyncNoParam(Protocol[_R_co]):
    """An async callable without parameters."""

    def __call__(self) -> Awaitable[_R_co]: ...


class CallableSyncNoParam(Protocol[_R_co]):
    """A callable without parameters."""

    def __call__(self) -> _R_co: ...


class CallableAsyncSingleParam(Protocol[_P_contra, _R_co]):
    """An async callable with one parameter."""

    def __call__(self, arg: _P_contra, /) -> Awaitable[_R_co]: ...


class CallableSyncSingleParam(Protocol[_P_contra, _R_co]):
    """A callable with one parameter."""

    def __call__(self, arg: _P_contra, /) -> _R_co: ...


class MethodAsyncNoParam(Protocol[_S_contra, _R_co]):
    """An async method taking only ``self`` (e.g. an unbound ``MyWorkflow.run``)."""

    def __call__(self, instance: _S_contra, /) -> Awaitable[_R_co]: ...


class MethodAsyncSingleParam(Protocol[_S_contra, _P_contra, _R_co]):
    """An async method taking ``self`` and one parameter."""

    def __call__(self, instance: _S_contra, arg: _P_contra, /) -> Awaitable[_R_co]: ...


class MethodSyncOrAsyncNoParam(Protocol[_S_contra, _R_co]):
    """A sync or async method taking only ``self`` (queries, signals, updates)."""

    def __call__(self, instance: _S_contra, /) -> _R_co | Awaitable[_R_co]: ...


class MethodSyncOrAsyncSingleParam(Protocol[_S_contra, _P_contra, _R_co]):
    """A sync or async method taking ``self`` and one parameter."""

    def __call__(self, instance: _S_contra, arg: _P_contra, /) -> _R_co | Awaitable[_R_co]: ...
