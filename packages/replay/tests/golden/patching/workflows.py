"""Golden workflows for patching, upserts and metadata, summaries, history hints,
continue-as-new carry-over and reset. They import ``tempyral.workflow``; ``record.py`` aliases it
to ``temporalio.workflow`` so that the very same source runs under the official SDK."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tempyral import workflow
from tempyral.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

KEYWORD = SearchAttributeKey.for_keyword("CustomKeywordField")
NUMBER = SearchAttributeKey.for_int("CustomIntField")
__all__ = ["SearchAttributePair", "TypedSearchAttributes"]  # for the scripts that start runs


@workflow.defn
class Patched:
    """Takes the patched path on new runs; a second call of the same patch records nothing."""

    @workflow.run
    async def run(self) -> list[Any]:
        first = workflow.patched("my-change")
        await workflow.sleep(timedelta(milliseconds=10))
        again = workflow.patched("my-change")
        other = workflow.patched("other-change")
        return [first, again, other]


@workflow.defn
class Deprecated:
    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch("my-change")
        await workflow.sleep(timedelta(milliseconds=10))
        return "deprecated"


@workflow.defn
class Upserts:
    @workflow.run
    async def run(self) -> list[Any]:
        workflow.upsert_search_attributes([KEYWORD.value_set("golden"), NUMBER.value_set(7)])
        workflow.upsert_memo({"note": "upserted", "gone": None})
        workflow.set_current_details("upserted things")
        await workflow.sleep(timedelta(milliseconds=10), summary="a short nap")
        workflow.upsert_search_attributes([NUMBER.value_unset()])
        typed = workflow.info().typed_search_attributes
        return [
            typed.get(KEYWORD),
            typed.get(NUMBER),
            workflow.memo_value("note"),
            workflow.memo_value("gone", "none"),
            workflow.get_current_details(),
        ]


@workflow.defn
class SummarizedChild:
    @workflow.run
    async def run(self) -> str:
        return "child done"


@workflow.defn
class Summaries:
    """Each command that carries user metadata: a child's static summary and details, a
    wait_condition's timeout summary, a sleep's summary."""

    @workflow.run
    async def run(self) -> list[str]:
        child = await workflow.execute_child_workflow(
            SummarizedChild.run,
            id=f"{workflow.info().workflow_id}-child",
            static_summary="the child's summary",
            static_details="the child's **details**",
        )
        try:
            await workflow.wait_condition(
                lambda: False, timeout=0.01, timeout_summary="gave up waiting"
            )
            waited = "condition met"
        except asyncio.TimeoutError:
            waited = "timed out"
        await workflow.sleep(timedelta(milliseconds=10), summary="a short nap")
        return [child, waited]


@workflow.defn
class HistoryHints:
    @workflow.run
    async def run(self) -> list[Any]:
        info = workflow.info()
        first = info.get_current_history_length()
        await workflow.sleep(timedelta(milliseconds=10))
        return [
            first,
            info.get_current_history_length(),
            info.get_current_history_size() > 0,
            info.is_continue_as_new_suggested(),
        ]


@workflow.defn
class CarriesOver:
    """Continues as new once without memo or search attributes: the next run keeps them."""

    @workflow.run
    async def run(self, again: bool) -> list[Any]:
        if again:
            workflow.upsert_search_attributes([NUMBER.value_set(42)])
            await workflow.sleep(timedelta(milliseconds=10))
            workflow.continue_as_new(False)
        typed = workflow.info().typed_search_attributes
        return [workflow.memo_value("origin", "missing"), typed.get(NUMBER), typed.get(KEYWORD)]


@workflow.defn
class Resettable:
    """Draws random numbers before and after a signal: a reset run draws new ones after."""

    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.run
    async def run(self) -> list[Any]:
        before = workflow.random().randint(0, 1_000_000)
        await workflow.wait_condition(lambda: self.go)
        after = workflow.random().randint(0, 1_000_000)
        return [before, after, str(workflow.uuid4())]


WORKFLOWS = [
    Patched,
    Deprecated,
    Upserts,
    HistoryHints,
    CarriesOver,
    Resettable,
    SummarizedChild,
    Summaries,
]


@workflow.defn
class MidFlight:
    """Version 1 naps on its way in; version 2 (``patched_code``) skips the nap behind a patch.

    A run started by version 1 and finished by version 2 keeps the nap (history has no marker);
    a run started by version 2 records the marker and does not nap.
    """

    patched_code = False

    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.run
    async def run(self) -> str:
        path = "old"
        if type(self).patched_code and workflow.patched("skip-nap"):
            path = "new"
        else:
            await workflow.sleep(timedelta(milliseconds=10))
        await workflow.wait_condition(lambda: self.go)
        return path


WORKFLOWS.append(MidFlight)
