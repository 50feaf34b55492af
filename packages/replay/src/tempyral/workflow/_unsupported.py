"""Parts of ``temporalio.workflow`` the engine does not run yet: they raise a clear error instead
of an ``AttributeError``, so code using them fails with the reason and not a typo hunt."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = [
    "deprecate_patch",
    "patched",
    "upsert_memo",
    "upsert_search_attributes",
]


def _not_yet(what: str) -> NoReturn:
    raise NotImplementedError(
        f"{what} is not supported by this version of tempyral's workflow engine yet"
        " (its history markers/commands are not implemented); keep such workflows on the"
        " official SDK's worker for now"
    )


def patched(patch_id: str, **_: Any) -> bool:
    _not_yet("workflow.patched()")


def deprecate_patch(patch_id: str, **_: Any) -> None:
    _not_yet("workflow.deprecate_patch()")


def upsert_search_attributes(*_: Any, **__: Any) -> None:
    _not_yet("workflow.upsert_search_attributes()")


def upsert_memo(*_: Any, **__: Any) -> None:
    _not_yet("workflow.upsert_memo()")
