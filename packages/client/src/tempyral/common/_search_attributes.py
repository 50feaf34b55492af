"""Typed search attributes: keys that know their server index type, and their collections.

A key's index type decides the ``type`` metadata written next to its payload (``Text``,
``Keyword``, ``Int``, ``Double``, ``Bool``, ``Datetime``, ``KeywordList``); the encoding itself is
in ``tempyral.converter`` (``encode_search_attributes`` and friends).
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar, cast, get_origin, overload

from typing_extensions import NamedTuple

from tempyral.api.enums.v1 import common_pb2 as _common

__all__ = [
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "SearchAttributeValue",
    "SearchAttributeValueType",
    "SearchAttributeValues",
    "SearchAttributes",
    "TypedSearchAttributes",
]

# A list rather than any sequence, so that a lone string (itself a sequence) is caught.
SearchAttributeValues: TypeAlias = list[str] | list[int] | list[float] | list[bool] | list[datetime]
"""Values of one untyped search attribute (deprecated form)."""

SearchAttributes: TypeAlias = Mapping[str, SearchAttributeValues]
"""Untyped search attributes by name (deprecated form; use :py:class:`TypedSearchAttributes`)."""

SearchAttributeValue: TypeAlias = str | int | float | bool | datetime | Sequence[str]
"""Value of one typed search attribute."""

SearchAttributeValueType = TypeVar(
    "SearchAttributeValueType", str, int, float, bool, datetime, Sequence[str]
)

_AnyType = TypeVar("_AnyType")


class SearchAttributeIndexedValueType(IntEnum):
    """Server index type of a search attribute."""

    TEXT = int(_common.INDEXED_VALUE_TYPE_TEXT)
    KEYWORD = int(_common.INDEXED_VALUE_TYPE_KEYWORD)
    INT = int(_common.INDEXED_VALUE_TYPE_INT)
    DOUBLE = int(_common.INDEXED_VALUE_TYPE_DOUBLE)
    BOOL = int(_common.INDEXED_VALUE_TYPE_BOOL)
    DATETIME = int(_common.INDEXED_VALUE_TYPE_DATETIME)
    KEYWORD_LIST = int(_common.INDEXED_VALUE_TYPE_KEYWORD_LIST)


_METADATA_TYPES: dict[SearchAttributeIndexedValueType, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class SearchAttributeKey(ABC, Generic[SearchAttributeValueType]):
    """Typed search attribute key. Create one with a ``for_*`` static method."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Name of the key."""

    @property
    @abstractmethod
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        """Server index type of the key."""

    @property
    @abstractmethod
    def value_type(self) -> type[SearchAttributeValueType]:
        """Python type of the key's values; may be generic (use :py:attr:`origin_value_type`
        with ``isinstance``).
        """

    @property
    def origin_value_type(self) -> type:
        """Python type of the key's values without generics."""
        origin = get_origin(self.value_type)
        return cast("type", origin) if origin is not None else self.value_type

    @property
    def _metadata_type(self) -> str:
        try:
            return _METADATA_TYPES[self.indexed_value_type]
        except KeyError:
            raise ValueError(f"Unrecognized type: {self}") from None

    def value_set(
        self, value: SearchAttributeValueType
    ) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """Create an update that sets the given value on this key."""
        return _SearchAttributeUpdate[SearchAttributeValueType](self, value)

    def value_unset(self) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """Create an update that removes this key's value."""
        return _SearchAttributeUpdate[SearchAttributeValueType](self, None)

    @staticmethod
    def for_text(name: str) -> SearchAttributeKey[str]:
        """Create a 'Text' search attribute key."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.TEXT, str)

    @staticmethod
    def for_keyword(name: str) -> SearchAttributeKey[str]:
        """Create a 'Keyword' search attribute key."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.KEYWORD, str)

    @staticmethod
    def for_int(name: str) -> SearchAttributeKey[int]:
        """Create an 'Int' search attribute key."""
        return _SearchAttributeKey[int](name, SearchAttributeIndexedValueType.INT, int)

    @staticmethod
    def for_float(name: str) -> SearchAttributeKey[float]:
        """Create a 'Double' search attribute key."""
        return _SearchAttributeKey[float](name, SearchAttributeIndexedValueType.DOUBLE, float)

    @staticmethod
    def for_bool(name: str) -> SearchAttributeKey[bool]:
        """Create a 'Bool' search attribute key."""
        return _SearchAttributeKey[bool](name, SearchAttributeIndexedValueType.BOOL, bool)

    @staticmethod
    def for_datetime(name: str) -> SearchAttributeKey[datetime]:
        """Create a 'Datetime' search attribute key."""
        return _SearchAttributeKey[datetime](
            name, SearchAttributeIndexedValueType.DATETIME, datetime
        )

    @staticmethod
    def for_keyword_list(name: str) -> SearchAttributeKey[Sequence[str]]:
        """Create a 'KeywordList' search attribute key."""
        # A generic alias is not a class to the type checker, but isinstance needs its origin.
        value_type: Any = Sequence[str]
        return _SearchAttributeKey[Sequence[str]](
            name, SearchAttributeIndexedValueType.KEYWORD_LIST, value_type
        )

    @staticmethod
    def _from_metadata_type(name: str, metadata_type: str) -> SearchAttributeKey[Any] | None:
        # Usually PascalCase ("KeywordList"), occasionally the proto enum name
        # ("INDEXED_VALUE_TYPE_KEYWORD_LIST").
        for index_type, pascal in _METADATA_TYPES.items():
            if metadata_type in (pascal, f"INDEXED_VALUE_TYPE_{index_type.name}"):
                return _key_for(name, index_type)
        return None

    @staticmethod
    def _guess_from_untyped_values(
        name: str, vals: SearchAttributeValues
    ) -> SearchAttributeKey[Any] | None:
        if not vals:
            return None
        first: object = vals[0]
        if len(vals) > 1:
            return SearchAttributeKey.for_keyword_list(name) if isinstance(first, str) else None
        # bool before int: bool is an int subclass.
        guesses: list[tuple[type, SearchAttributeIndexedValueType]] = [
            (str, SearchAttributeIndexedValueType.KEYWORD),
            (bool, SearchAttributeIndexedValueType.BOOL),
            (int, SearchAttributeIndexedValueType.INT),
            (float, SearchAttributeIndexedValueType.DOUBLE),
            (datetime, SearchAttributeIndexedValueType.DATETIME),
        ]
        for value_type, index_type in guesses:
            if isinstance(first, value_type):
                return _key_for(name, index_type)
        return None


def _key_for(name: str, index_type: SearchAttributeIndexedValueType) -> SearchAttributeKey[Any]:
    factories = {
        SearchAttributeIndexedValueType.TEXT: SearchAttributeKey.for_text,
        SearchAttributeIndexedValueType.KEYWORD: SearchAttributeKey.for_keyword,
        SearchAttributeIndexedValueType.INT: SearchAttributeKey.for_int,
        SearchAttributeIndexedValueType.DOUBLE: SearchAttributeKey.for_float,
        SearchAttributeIndexedValueType.BOOL: SearchAttributeKey.for_bool,
        SearchAttributeIndexedValueType.DATETIME: SearchAttributeKey.for_datetime,
        SearchAttributeIndexedValueType.KEYWORD_LIST: SearchAttributeKey.for_keyword_list,
    }
    factory: Any = factories[index_type]
    key: SearchAttributeKey[Any] = factory(name)
    return key


@dataclass(frozen=True)
class _SearchAttributeKey(SearchAttributeKey[SearchAttributeValueType]):
    _name: str
    _indexed_value_type: SearchAttributeIndexedValueType
    # Python cannot recover a generic's argument at runtime, so the factories pass it.
    _value_type: type[SearchAttributeValueType]

    @property
    def name(self) -> str:
        return self._name

    @property
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        return self._indexed_value_type

    @property
    def value_type(self) -> type[SearchAttributeValueType]:
        return self._value_type


class SearchAttributePair(NamedTuple, Generic[SearchAttributeValueType]):
    """A key/value search attribute pair."""

    key: SearchAttributeKey[SearchAttributeValueType]
    value: SearchAttributeValueType


class SearchAttributeUpdate(ABC, Generic[SearchAttributeValueType]):
    """A search attribute update: set a value on a key, or unset it."""

    @property
    @abstractmethod
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        """Key that is being set."""

    @property
    @abstractmethod
    def value(self) -> SearchAttributeValueType | None:
        """Value that is being set, or ``None`` if being unset."""


@dataclass(frozen=True)
class _SearchAttributeUpdate(SearchAttributeUpdate[SearchAttributeValueType]):
    _key: SearchAttributeKey[SearchAttributeValueType]
    _value: SearchAttributeValueType | None

    @property
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        return self._key

    @property
    def value(self) -> SearchAttributeValueType | None:
        return self._value


@dataclass(frozen=True)
class TypedSearchAttributes(Collection[SearchAttributePair[Any]]):
    """Immutable collection of typed search attribute pairs, sorted by key name."""

    search_attributes: Sequence[SearchAttributePair[Any]]
    """Underlying pairs, sorted by key name, without duplicates. Do not mutate; create a new
    collection (see :py:meth:`updated`).
    """

    empty: ClassVar[TypedSearchAttributes]
    """An empty collection."""

    def __post_init__(self) -> None:
        """Sort the pairs and reject duplicate key names."""
        pairs = sorted(self.search_attributes, key=lambda pair: pair.key.name)
        object.__setattr__(self, "search_attributes", pairs)
        for previous, pair in itertools.pairwise(pairs):
            if previous.key.name == pair.key.name:
                raise ValueError(
                    f"Duplicate search attribute entries found for key {pair.key.name}; "
                    "give each key name one value (use updated() to replace a value)"
                )

    def __len__(self) -> int:
        """Number of search attributes."""
        return len(self.search_attributes)

    def __getitem__(
        self, key: SearchAttributeKey[SearchAttributeValueType]
    ) -> SearchAttributeValueType:
        """Value for the key (same name and type), or ``KeyError``."""
        for pair_key, value in self:
            if pair_key == key:
                found: SearchAttributeValueType = value
                return found
        raise KeyError(key.name)

    def __iter__(self) -> Iterator[SearchAttributePair[Any]]:
        """Iterate over the key/value pairs."""
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        """Whether the collection has this key (same name and type)."""
        return any(pair_key == key for pair_key, _ in self)

    @overload
    def get(
        self, key: SearchAttributeKey[SearchAttributeValueType]
    ) -> SearchAttributeValueType | None: ...

    @overload
    def get(
        self, key: SearchAttributeKey[SearchAttributeValueType], default: _AnyType
    ) -> SearchAttributeValueType | _AnyType: ...

    def get(
        self, key: SearchAttributeKey[SearchAttributeValueType], default: Any | None = None
    ) -> Any:
        """Value for the key, or ``default`` (like ``dict.get``)."""
        try:
            return self[key]
        except KeyError:
            return default

    def updated(self, *search_attributes: SearchAttributePair[Any]) -> TypedSearchAttributes:
        """Copy of this collection with pairs of the same key name replaced, others added."""
        by_name = {pair.key.name: pair for pair in self.search_attributes}
        for pair in search_attributes:
            by_name[pair.key.name] = pair
        return TypedSearchAttributes(list(by_name.values()))


TypedSearchAttributes.empty = TypedSearchAttributes(search_attributes=[])


def _warn_on_deprecated_search_attributes(
    attributes: SearchAttributes | Any | None, stack_level: int = 2
) -> None:
    if attributes and isinstance(attributes, Mapping):
        warnings.warn(
            "Dictionary-based search attributes are deprecated; use TypedSearchAttributes",
            DeprecationWarning,
            stacklevel=1 + stack_level,
        )
