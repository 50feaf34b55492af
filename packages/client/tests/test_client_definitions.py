"""Names and result types of workflows, signals, queries and updates given as method references.

The client reads the attributes decorators leave (tempyral.workflow's ``__tempyral_*`` and the
official SDK's ``__temporal_*``), a ``_tempyral_workflow_name`` class attribute, or falls back
to the class/method name. The definitions here are stand-ins with the same attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tempyral.client._definitions import (
    query_name_and_result_type,
    signal_name,
    update_name_and_result_type,
    workflow_name_and_result_type,
)


@dataclass
class Result:
    value: int


@dataclass
class FakeDefinition:
    name: str | None
    ret_type: Any = None
    cls: type | None = None


class Plain:
    async def run(self, arg: str) -> Result:
        raise NotImplementedError

    def signal(self, arg: str) -> None:
        raise NotImplementedError

    def query(self) -> list[str]:
        raise NotImplementedError

    async def update(self, arg: int) -> int:
        raise NotImplementedError


class Named:
    _tempyral_workflow_name = "OtherName"

    async def run(self) -> str:
        raise NotImplementedError


class TempyralDecorated:
    async def run(self) -> None:
        raise NotImplementedError


setattr(
    TempyralDecorated,
    "__tempyral_workflow_definition",
    FakeDefinition("DecoratedName", Result, TempyralDecorated),
)


class SubclassOfDecorated(TempyralDecorated):
    async def run(self) -> None:
        raise NotImplementedError


class OfficialDecorated:
    async def run(self) -> int:
        raise NotImplementedError

    def signal(self) -> None:
        raise NotImplementedError

    def query(self) -> int:
        raise NotImplementedError

    async def update(self) -> int:
        raise NotImplementedError


setattr(
    OfficialDecorated.run, "__temporal_workflow_definition", FakeDefinition("OfficialName", str)
)
setattr(OfficialDecorated.signal, "__temporal_signal_definition", FakeDefinition("official-signal"))
setattr(
    OfficialDecorated.query, "__temporal_query_definition", FakeDefinition("official-query", Result)
)
OfficialDecorated.update._defn = FakeDefinition("official-update", Result)  # type: ignore[attr-defined]


class Dynamic:
    async def run(self) -> None:
        raise NotImplementedError

    def signal(self) -> None:
        raise NotImplementedError


setattr(Dynamic, "__tempyral_workflow_definition", FakeDefinition(None, cls=Dynamic))
setattr(Dynamic.signal, "__tempyral_signal_definition", FakeDefinition(None))


def test_workflow_names() -> None:
    assert workflow_name_and_result_type("AnyName") == ("AnyName", None)
    assert workflow_name_and_result_type(Plain.run) == ("Plain", Result)
    assert workflow_name_and_result_type(Plain().run) == ("Plain", Result)
    assert workflow_name_and_result_type(Named.run) == ("OtherName", str)
    assert workflow_name_and_result_type(TempyralDecorated.run) == ("DecoratedName", Result)
    # A definition belongs to the class it decorates, not to subclasses.
    assert workflow_name_and_result_type(SubclassOfDecorated.run) == ("SubclassOfDecorated", None)
    assert workflow_name_and_result_type(OfficialDecorated.run) == ("OfficialName", str)


def test_workflow_classes_defined_in_functions() -> None:
    class Local:
        async def run(self) -> int:
            raise NotImplementedError

    assert workflow_name_and_result_type(Local.run) == ("Local", int)


def test_bad_workflow_references() -> None:
    with pytest.raises(ValueError, match="dynamic workflow"):
        workflow_name_and_result_type(Dynamic.run)

    async def function() -> None:
        pass

    with pytest.raises(ValueError, match="not a workflow method"):
        workflow_name_and_result_type(function)
    with pytest.raises(TypeError, match="string or callable"):
        workflow_name_and_result_type(3)  # type: ignore[arg-type]


def test_handler_names() -> None:
    assert signal_name("name") == "name"
    assert signal_name(Plain.signal) == "signal"
    assert signal_name(OfficialDecorated.signal) == "official-signal"
    assert query_name_and_result_type(Plain.query) == ("query", list[str])
    assert query_name_and_result_type(OfficialDecorated.query) == ("official-query", Result)
    assert update_name_and_result_type(Plain.update) == ("update", int)
    assert update_name_and_result_type(OfficialDecorated.update) == ("official-update", Result)
    with pytest.raises(RuntimeError, match="dynamic signal"):
        signal_name(Dynamic.signal)
