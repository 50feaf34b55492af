"""Private helpers shared inside tempyral-client: argument sentinels, headers, type hints.

Not public API; the client, worker and workflow layers of this package use them the way the
official SDK uses its ``temporalio.common._*`` helpers.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, get_type_hints

from tempyral.api.common.v1.message_pb2 import Payload

# Marks an ``arg`` parameter the caller did not pass; ``None`` is a legitimate argument.
_arg_unset: Any = object()


def _arg_or_args(arg: Any, args: Sequence[Any]) -> Sequence[Any]:
    if arg is not _arg_unset:
        if args:
            raise ValueError("Cannot have arg and args; pass one value as arg or all as args")
        return [arg]
    return args


def _apply_headers(
    source: Mapping[str, Payload] | None, dest: MutableMapping[str, Payload]
) -> None:
    if source is None:
        return
    # A protobuf map of messages cannot be assigned to; each entry is copied in place.
    for key, value in source.items():
        dest[key].CopyFrom(value)


# Callables whose __call__ is not user code, as in inspect's signature logic.
_NON_USER_DEFINED_CALLABLES = (
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
    types.BuiltinFunctionType,
)


def _type_hints_from_func(func: Callable[..., Any]) -> tuple[list[type] | None, type | None]:
    """Parameter type hints and return hint of a function.

    The parameter list is ``None`` when a parameter is not positional; an unannotated leading
    ``self`` is skipped.
    """
    # A class or a callable instance: its __call__ carries the annotations.
    if (
        not inspect.isfunction(func)
        and not isinstance(func, _NON_USER_DEFINED_CALLABLES)
        and not isinstance(func, types.MethodType)
    ):
        owner = func if isinstance(func, type) else type(func)
        call = getattr(owner, "__call__", None)  # noqa: B004 - we want the attribute itself
        if call is not None:
            func = call
    # inspect.signature gives names and kinds; get_type_hints resolves string annotations.
    signature = inspect.signature(func)
    hints = get_type_hints(func)
    return_hint = hints.get("return")
    ret = return_hint if return_hint is not inspect.Signature.empty else None
    params: list[type] = []
    for index, param in enumerate(signature.parameters.values()):
        if (
            index == 0
            and param.name == "self"
            and (
                param.annotation is inspect.Parameter.empty
                or str(param.annotation) == "typing.Self"
            )
        ):
            continue
        if param.kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            return None, ret
        # An unannotated parameter gets a None hint: decoded without a type, as JSON gives it.
        params.append(hints.get(param.name))  # type: ignore[arg-type]
    return params, ret
