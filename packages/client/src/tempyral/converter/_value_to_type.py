"""Rebuilding typed values from what :py:func:`json.loads` returns, guided by type hints.

This is how a ``json/plain`` payload becomes a dataclass, an enum or a ``list[UUID]`` again.
Custom :py:class:`JSONTypeConverter` s are asked first, at every level of nesting.
"""

from __future__ import annotations

import base64
import binascii
import collections
import collections.abc
import dataclasses
import inspect
import typing
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from enum import Enum
from types import UnionType
from typing import Any, ClassVar, Literal, NewType, TypeVar, get_type_hints

import typing_extensions

from tempyral.converter._iso8601 import parse_iso_datetime

__all__ = ["JSONTypeConverter", "JSONTypeConverterUnhandled", "value_to_type"]

JSONTypeConverterUnhandled = NewType("JSONTypeConverterUnhandled", object)
"""Type of :py:attr:`JSONTypeConverter.Unhandled`."""


class JSONTypeConverter(ABC):
    """Converts a :py:func:`json.loads` result (scalar, list or dict) to a type-hinted value.

    Given to :py:class:`tempyral.converter.JSONPlainPayloadConverter` as
    ``custom_type_converters``; tried in order before the built-in rules of
    :py:func:`value_to_type`.
    """

    Unhandled: ClassVar[JSONTypeConverterUnhandled] = JSONTypeConverterUnhandled(object())
    """Sentinel :py:meth:`to_typed_value` returns for a hint it does not handle."""

    @abstractmethod
    def to_typed_value(self, hint: type, value: Any) -> Any | None | JSONTypeConverterUnhandled:
        """Convert the value to the hinted type, or return :py:attr:`Unhandled`."""


_Converters = Sequence[JSONTypeConverter]


def value_to_type(hint: type, value: Any, custom_converters: _Converters = ()) -> Any:
    """Convert a raw JSON-loaded value (primitive, list or dict) to the given type hint.

    Supports ``Any``, ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``datetime``,
    ``date``, ``time``, ``UUID``, enums, dataclasses, pydantic models, ``TypedDict``,
    ``NewType``, ``Annotated``, ``Literal``, ``Optional``/``Union``, and lists, tuples, sets,
    frozensets, deques, sequences, dicts and mappings of those.

    Args:
        hint: Type hint to convert the value to.
        value: Raw value to convert from.
        custom_converters: Converters tried in order before the built-in rules; the first
            result that is not :py:attr:`JSONTypeConverter.Unhandled` is returned.

    Returns:
        Converted value.

    Raises:
        TypeError: Unable to convert to the given hint.
    """
    for converter in custom_converters:
        converted = converter.to_typed_value(hint, value)
        if converted is not JSONTypeConverter.Unhandled:
            return converted
    if hint is Any or hint is object:
        return value
    scalar = _scalar_converter(hint)
    if scalar is not None:
        return scalar(hint, value)
    inner = _unwrapped_hint(hint)
    if inner is not None:
        return value_to_type(inner, value, custom_converters)
    # Hints arrive typed as ``type`` but are often typing constructs such as a TypeVar.
    any_hint: Any = hint
    if isinstance(any_hint, TypeVar):
        return _to_type_var(any_hint, value, custom_converters)
    return _to_composite(hint, value, custom_converters)


def _to_composite(hint: Any, value: Any, converters: _Converters) -> Any:
    origin = getattr(hint, "__origin__", hint)
    type_args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if origin is Literal or origin is typing_extensions.Literal:
        if value not in type_args:
            raise TypeError(f"Value {value!r} not in literal values {type_args}")
        return value
    if origin is typing.Union or isinstance(origin, UnionType):
        return _to_union(hint, type_args, value, converters)
    if inspect.isclass(origin) and issubclass(origin, collections.abc.Mapping):
        return _to_mapping(hint, origin, type_args, value, converters)
    return _to_class(hint, origin, type_args, value, converters)


def _to_class(
    hint: Any, origin: Any, type_args: tuple[Any, ...], value: Any, converters: _Converters
) -> Any:
    # The origin, so that a generic dataclass (Box[int]) converts too.
    if dataclasses.is_dataclass(origin) and isinstance(origin, type):
        return _to_dataclass(origin, type_args, value, converters)
    validate = _model_validator(hint)
    if validate is not None:
        if not isinstance(value, dict):
            raise TypeError(f"Cannot convert to {hint}, value is {type(value)} not dict")
        return validate(value)
    if inspect.isclass(hint) and issubclass(hint, Enum):
        return _to_enum(hint, value)
    if inspect.isclass(hint) and issubclass(hint, uuid.UUID):
        return hint(value)
    # Last, because many of the types above are iterable too.
    if inspect.isclass(origin) and issubclass(origin, collections.abc.Iterable):
        return _to_collection(hint, origin, type_args, value, converters)
    raise TypeError(f"Unserializable type during conversion: {hint}")


# --- scalars -----------------------------------------------------------------------------


def _to_datetime(hint: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_iso_datetime(value)
        except ValueError as err:
            raise TypeError(f"Failed parsing datetime string: {value}") from err
    raise TypeError(f"Expected datetime or ISO8601 string, got {type(value)}")


def _to_date_or_time(hint: Any, value: Any) -> Any:
    # datetime is a date subclass, but a date hint wants a plain date.
    if isinstance(value, hint) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return hint.fromisoformat(value)
        except ValueError as err:
            raise TypeError(f"Failed parsing {hint.__name__} string: {value}") from err
    raise TypeError(f"Expected {hint.__name__} or ISO8601 string, got {type(value)}")


def _to_number(hint: Any, value: Any) -> Any:
    if not isinstance(value, (int, float)):
        raise TypeError(f"Expected value to be int|float, was {type(value)}")
    try:
        return hint(value)
    except (OverflowError, ValueError) as err:  # int(inf), int(nan): JSON allows both
        raise TypeError(f"Cannot convert {value!r} to {hint.__name__}: {err}") from err


def _to_exact(hint: Any, value: Any) -> Any:
    if not isinstance(value, hint):
        raise TypeError(f"Expected value to be {hint.__name__}, was {type(value)}")
    return value


def _to_bytes(hint: Any, value: Any) -> Any:
    # Python's JSON encoder writes bytes as a list of numbers; Go, Java and TypeScript write
    # a base64 string.
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as err:
            raise TypeError(f"Expected bytes as a base64 string, got {value!r}") from err
    if not isinstance(value, (bytes, list)):
        raise TypeError(f"Expected value to be bytes, was {type(value)}")
    return bytes(value)


def _to_none(hint: Any, value: Any) -> Any:
    if value is not None:
        raise TypeError(f"Expected None, got value of type {type(value)}")
    return None


_SCALARS: dict[Any, Callable[[Any, Any], Any]] = {
    datetime: _to_datetime,
    date: _to_date_or_time,
    time: _to_date_or_time,
    int: _to_number,
    float: _to_number,
    bool: _to_exact,
    str: _to_exact,
    bytes: _to_bytes,
    type(None): _to_none,
}


def _scalar_converter(hint: Any) -> Callable[[Any, Any], Any] | None:
    try:
        return _SCALARS.get(hint)
    except TypeError:  # an unhashable hint is no scalar
        return None


# --- hints that stand for another hint ------------------------------------------------------


def _unwrapped_hint(hint: Any) -> Any | None:
    """The hint behind a NewType, Annotated or ``type X = ...`` alias, else ``None``."""
    # NewType is only a class since 3.10; its supertype attribute is the reliable mark.
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None:
        return supertype
    if typing.get_origin(hint) is typing.Annotated:
        return typing.get_args(hint)[0]
    if type(hint).__name__ == "TypeAliasType" and hasattr(hint, "__value__"):
        return hint.__value__
    return None


def _to_type_var(hint: TypeVar, value: Any, converters: _Converters) -> Any:
    if hint.__bound__ is not None:
        return value_to_type(hint.__bound__, value, converters)
    if hint.__constraints__:
        return _to_union(hint, hint.__constraints__, value, converters)
    return value


def _to_union(hint: Any, members: tuple[Any, ...], value: Any, converters: _Converters) -> Any:
    # First member that converts wins; Optional[X] is X | None.
    for member in members:
        try:
            return value_to_type(member, value, converters)
        except Exception:  # noqa: S112 - any failure means "try the next member"
            continue
    raise TypeError(f"Failed converting to {hint} from {value!r}")


# --- containers and classes -----------------------------------------------------------------


def _concrete_arg(type_args: tuple[Any, ...], index: int) -> Any | None:
    if len(type_args) <= index:
        return None
    arg = type_args[index]
    return None if arg is Any or isinstance(arg, TypeVar) else arg


def _to_mapping(
    hint: Any, origin: Any, type_args: tuple[Any, ...], value: Any, converters: _Converters
) -> Any:
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"Expected {hint}, value was {type(value)}")
    # A TypedDict has required or optional keys and a type per key.
    per_key_types: dict[str, Any] | None = None
    if getattr(origin, "__required_keys__", None) or getattr(origin, "__optional_keys__", None):
        per_key_types = get_type_hints(origin)
    key_type = _concrete_arg(type_args, 0)
    value_type = _concrete_arg(type_args, 1)
    result: dict[Any, Any] = {}
    for key, item in value.items():
        item_type = per_key_types.get(key) if per_key_types else value_type
        converted_key = _to_mapping_key(hint, key_type, key, converters) if key_type else key
        if item_type:
            try:
                item = value_to_type(item_type, item, converters)  # noqa: PLW2901
            except Exception as err:
                raise TypeError(
                    f"Failed converting value for key {key!r} in mapping {hint}"
                ) from err
        result[converted_key] = item
    # Calling the TypedDict runs whatever validation it has.
    return hint(**result) if per_key_types else result


def _to_mapping_key(hint: Any, key_type: Any, key: Any, converters: _Converters) -> Any:
    # JSON object keys are strings; json.dumps wrote int, float, bool and None keys as text.
    try:
        if isinstance(key, str):
            if key_type is int or key_type is float:
                key = key_type(key)
            elif (
                inspect.isclass(key_type)
                and issubclass(key_type, Enum)
                and issubclass(key_type, int)
            ):
                key = int(key)
            elif key_type is bool:
                key = {"true": True, "false": False}[key]
            elif key_type is type(None):
                key = {"null": None}[key]
        if not isinstance(key_type, type) or not isinstance(key, key_type):
            key = value_to_type(key_type, key, converters)
    except Exception as err:
        raise TypeError(
            f"Failed converting key {key!r} to type {key_type} in mapping {hint}"
        ) from err
    return key


def _to_dataclass(
    hint: type, type_args: tuple[Any, ...], value: Any, converters: _Converters
) -> Any:
    if not isinstance(value, dict):
        raise TypeError(f"Cannot convert to dataclass {hint}, value is {type(value)} not dict")
    field_hints = _resolve_type_parameters(hint, type_args, get_type_hints(hint))
    init_values: dict[str, Any] = {}
    non_init_values: dict[str, Any] = {}
    # Unknown keys are ignored; a missing required field fails in the constructor.
    for field in dataclasses.fields(hint):
        if field.name not in value:
            continue
        try:
            converted = value_to_type(field_hints[field.name], value[field.name], converters)
        except Exception as err:
            raise TypeError(f"Failed converting field {field.name} on dataclass {hint}") from err
        (init_values if field.init else non_init_values)[field.name] = converted
    obj = hint(**init_values)
    # init=False fields are serialized too; object.__setattr__ also works on frozen classes.
    for name, field_value in non_init_values.items():
        object.__setattr__(obj, name, field_value)
    return obj


def _resolve_type_parameters(
    hint: type, type_args: tuple[Any, ...], field_hints: dict[str, Any]
) -> dict[str, Any]:
    """Field hints of ``Box[Point]`` with ``T`` replaced by ``Point`` (``list[T]`` too)."""
    parameters: tuple[Any, ...] = getattr(hint, "__parameters__", ())
    if not type_args or len(parameters) != len(type_args):
        return field_hints
    bound = dict(zip(parameters, type_args, strict=True))
    resolved: dict[str, Any] = {}
    for name, field_hint in field_hints.items():
        if isinstance(field_hint, TypeVar):
            field_hint = bound.get(field_hint, field_hint)  # noqa: PLW2901
        elif getattr(field_hint, "__parameters__", ()):
            field_hint = field_hint[tuple(bound.get(p, p) for p in field_hint.__parameters__)]  # noqa: PLW2901
        resolved[name] = field_hint
    return resolved


def _model_validator(hint: Any) -> Callable[[Any], Any] | None:
    """``model_validate`` of a pydantic v2 model or ``parse_obj`` of a v1 model, else None."""
    for name in ("model_validate", "parse_obj"):
        attr = inspect.getattr_static(hint, name, None)
        if isinstance(attr, (classmethod, staticmethod)):
            validator: Callable[[Any], Any] = getattr(hint, name)
            return validator
    return None


def _to_enum(hint: type[Enum], value: Any) -> Any:
    if issubclass(hint, int) and not isinstance(value, int):
        raise TypeError(
            f"Cannot convert to enum {hint}, value not an integer, value is {type(value)}"
        )
    if issubclass(hint, str) and not isinstance(value, str):
        raise TypeError(
            f"Cannot convert to enum {hint}, value not a string, value is {type(value)}"
        )
    try:
        return hint(value)
    except ValueError as err:
        raise TypeError(f"Cannot convert to enum {hint}: {err}") from err


def _to_collection(
    hint: Any, origin: Any, type_args: tuple[Any, ...], value: Any, converters: _Converters
) -> Any:
    # A string or an object is iterable but never what a JSON array hint means.
    if not isinstance(value, collections.abc.Iterable) or isinstance(
        value, (str, bytes, collections.abc.Mapping)
    ):
        raise TypeError(f"Expected {hint}, value was {type(value)}")
    untyped = not type_args or (
        len(type_args) == 1 and (isinstance(type_args[0], TypeVar) or type_args[0] is Ellipsis)
    )
    items = list(value) if untyped else _convert_items(hint, origin, type_args, value, converters)
    if origin in (tuple, set, frozenset, collections.deque):
        return origin(items)
    return items


def _convert_items(
    hint: Any, origin: Any, type_args: tuple[Any, ...], value: Any, converters: _Converters
) -> list[Any]:
    items: list[Any] = []
    for index, item in enumerate(value):
        # tuple[int, str] types each position; tuple[int, ...] repeats the one before "...".
        if origin is not tuple:
            item_type = type_args[0]
        elif index < len(type_args) and type_args[index] is not Ellipsis:
            item_type = type_args[index]
        elif type_args[-1] is Ellipsis:
            item_type = type_args[-2]
        else:
            raise TypeError(
                f"Type {hint} only expecting {len(type_args)} values, got at least {index + 1}"
            )
        try:
            items.append(value_to_type(item_type, item, converters))
        except Exception as err:
            raise TypeError(f"Failed converting {hint} index {index}") from err
    return items
