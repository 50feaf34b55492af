"""Workflow runner classes, accepted for source compatibility with ``temporalio.worker``.

The official SDK runs each workflow in a sandbox that re-imports its modules per run
(``SandboxedWorkflowRunner``) unless told not to (``UnsandboxedWorkflowRunner``). tempyral has no
such sandbox: workflow modules are imported once, and a determinism guard catches I/O, threads,
wall-clock time and unseeded randomness inside workflow code instead. Both classes are therefore
accepted, keep the arguments they were given (so code that builds them keeps working), and mean
the same thing to a tempyral worker.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SandboxedWorkflowRunner", "UnsandboxedWorkflowRunner", "WorkflowRunner"]


class WorkflowRunner:
    """Base of the workflow runner classes (accepted for source compatibility)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class UnsandboxedWorkflowRunner(WorkflowRunner):
    """Accepted for source compatibility: tempyral always runs workflows this way."""


class SandboxedWorkflowRunner(WorkflowRunner):
    """Accepted for source compatibility: tempyral has no per-run sandbox (see module docs)."""

    def __init__(
        self, restrictions: Any = None, runner_class: type[WorkflowRunner] | None = None
    ) -> None:
        """Keep the official options; tempyral does not use them."""
        self.restrictions = restrictions
        self.runner_class = runner_class or UnsandboxedWorkflowRunner
