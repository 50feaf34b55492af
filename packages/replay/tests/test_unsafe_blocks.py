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
