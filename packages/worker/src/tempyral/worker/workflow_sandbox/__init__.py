"""Names of ``temporalio.worker.workflow_sandbox``, accepted for source compatibility.

tempyral has no per-run workflow sandbox: workflow modules are imported once, and a determinism
guard catches I/O, threads, wall-clock time and unseeded randomness in workflow code instead.
Code that configures the official sandbox keeps working after the import rename:
``SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(...))``
builds the same objects, which a tempyral worker accepts and does not need.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from tempyral.worker._runners import SandboxedWorkflowRunner

__all__ = ["SandboxRestrictions", "SandboxedWorkflowRunner"]


@dataclass(frozen=True)
class SandboxRestrictions:
    """The official sandbox's restrictions, kept as given (tempyral does not use them)."""

    passthrough_modules: frozenset[str]
    """Modules the official sandbox would not re-import per run."""
    invalid_modules: Any
    invalid_module_members: Any
    import_notification_policy: Any = None
    passthrough_all_modules: bool = False
    disable_lazy_sys_module_passthrough: bool = False

    default: ClassVar[SandboxRestrictions]
    """The default restrictions."""

    def with_passthrough_modules(self, *modules: str) -> SandboxRestrictions:
        """A copy with ``modules`` added to the passthrough modules."""
        return dataclasses.replace(
            self, passthrough_modules=self.passthrough_modules | frozenset(modules)
        )

    def with_passthrough_all_modules(self) -> SandboxRestrictions:
        """A copy that passes every module through."""
        return dataclasses.replace(self, passthrough_all_modules=True)

    def with_import_notification_policy(self, policy: Any) -> SandboxRestrictions:
        """A copy with another import notification policy."""
        return dataclasses.replace(self, import_notification_policy=policy)


SandboxRestrictions.default = SandboxRestrictions(
    passthrough_modules=frozenset(), invalid_modules=None, invalid_module_members=None
)
