"""``workflow.unsafe``'s block queries say which escape hatch the running code is inside, as the
official SDK's do (each block restores the previous answer on the way out, also on errors)."""

from __future__ import annotations

import pytest

from tempyral import workflow
from tempyral.workflow import SandboxImportNotificationPolicy

unsafe = workflow.unsafe


def test_sandbox_unrestricted_is_reported_inside_the_block_only() -> None:
    assert not unsafe.is_sandbox_unrestricted()
    with unsafe.sandbox_unrestricted():
        assert unsafe.is_sandbox_unrestricted()
        assert not unsafe.is_imports_passed_through()
    assert not unsafe.is_sandbox_unrestricted()


def test_imports_passed_through_is_reported_and_restored_after_an_error() -> None:
    seen: list[bool] = []

    def fail_inside() -> None:
        with unsafe.imports_passed_through():
            seen.append(unsafe.is_imports_passed_through())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [True]
    assert not unsafe.is_imports_passed_through()


def test_the_innermost_import_notification_policy_is_the_override() -> None:
    assert unsafe.current_import_notification_policy_override() is None
    warn = SandboxImportNotificationPolicy.WARN_ON_DYNAMIC_IMPORT
    with unsafe.sandbox_import_notification_policy(warn):
        assert unsafe.current_import_notification_policy_override() is warn
        with unsafe.sandbox_import_notification_policy(SandboxImportNotificationPolicy.SILENT):
            assert (
                unsafe.current_import_notification_policy_override()
                is SandboxImportNotificationPolicy.SILENT
            )
        assert unsafe.current_import_notification_policy_override() is warn
    assert unsafe.current_import_notification_policy_override() is None


def test_sandbox_unrestricted_nests_and_is_restored_after_an_error() -> None:
    seen: list[bool] = []

    def fail_inside() -> None:
        with unsafe.sandbox_unrestricted():
            with unsafe.sandbox_unrestricted():
                seen.append(unsafe.is_sandbox_unrestricted())
            seen.append(unsafe.is_sandbox_unrestricted())  # the outer block still holds
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [True, True]
    assert not unsafe.is_sandbox_unrestricted()


def test_sandbox_unrestricted_decorates_a_function_each_call_its_own_block() -> None:
    seen: list[bool] = []

    @unsafe.sandbox_unrestricted()
    def vouched(depth: int) -> None:
        seen.append(unsafe.is_sandbox_unrestricted())
        if depth:
            vouched(depth - 1)  # re-entered while the outer call's block is open

    vouched(2)
    assert seen == [True, True, True]
    assert not unsafe.is_sandbox_unrestricted()
