"""Workflow runners: what creates the instance that runs each workflow's code.

The official SDK runs each workflow in a sandbox that re-imports its modules per run
(``SandboxedWorkflowRunner``) unless told not to (``UnsandboxedWorkflowRunner``). tempyral has no
such sandbox: workflow modules are imported once, and a determinism guard catches I/O, threads,
wall-clock time and unseeded randomness inside workflow code instead. Both runners therefore
create the same instance, the engine's (``UnsandboxedWorkflowRunner.create_instance``), and
the sandboxed one keeps the arguments it was given so that code that builds it keeps working.

A custom :py:class:`WorkflowRunner` works as upstream when it wraps one of these: it is told of
each workflow definition when the worker (or ``Replayer``) is created
(:py:meth:`~WorkflowRunner.prepare_workflow`) and creates each run's :py:class:`WorkflowInstance`
(:py:meth:`~WorkflowRunner.create_instance`), which may wrap the default instance to observe or
adjust its activations. tempyral's engine runs the workflow code itself, so an instance that
does not come from the default one is refused (see ``docs/migration.md``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from tempyral.replay import RunnerWorkflowInstance as WorkflowInstance
from tempyral.replay import WorkflowInstanceDetails, create_default_instance

__all__ = [
    "SandboxedWorkflowRunner",
    "UnsandboxedWorkflowRunner",
    "WorkflowInstance",
    "WorkflowInstanceDetails",
    "WorkflowRunner",
]


class WorkflowRunner(ABC):
    """Abstract runner for workflows that creates workflow instances to run.

    :py:class:`UnsandboxedWorkflowRunner` is an implementation that locally runs
    the workflow.
    """

    @abstractmethod
    def prepare_workflow(self, defn: Any) -> None:
        """Prepare a workflow for future execution.

        This is run once for each workflow definition when a worker starts. This
        allows the runner to do anything necessarily to prepare for this
        definition to be used multiple times in create_instance.

        Args:
            defn: The workflow definition.
        """
        raise NotImplementedError

    @abstractmethod
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """Create a workflow instance that can handle activations.

        Args:
            det: Details that can be used to create the instance.

        Returns:
            Workflow instance that can handle activations.
        """
        raise NotImplementedError

    def set_worker_level_failure_exception_types(
        self,
        types: Sequence[type[BaseException]],
    ) -> None:
        """Set worker-level failure exception types that will be used to
        validate in the sandbox when calling ``prepare_workflow``.

        Args:
            types: Exception types.
        """
        return  # a hook: a runner with a sandbox of its own may keep them

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class UnsandboxedWorkflowRunner(WorkflowRunner):
    """Workflow runner that does not do any sandboxing."""

    def prepare_workflow(self, defn: Any) -> None:
        """Implements :py:meth:`WorkflowRunner.prepare_workflow` as a no-op."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """Implements :py:meth:`WorkflowRunner.create_instance`: the engine's instance."""
        return create_default_instance(det)


class SandboxedWorkflowRunner(WorkflowRunner):
    """Accepted for source compatibility: tempyral has no per-run sandbox (see module docs), so
    this runs workflows as :py:class:`UnsandboxedWorkflowRunner` does."""

    def __init__(
        self, restrictions: Any = None, runner_class: type[WorkflowRunner] | None = None
    ) -> None:
        """Keep the official options; tempyral does not use them."""
        self.restrictions = restrictions
        self.runner_class = runner_class or UnsandboxedWorkflowRunner

    def prepare_workflow(self, defn: Any) -> None:
        """Nothing to prepare without a sandbox."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """The engine's instance, as :py:class:`UnsandboxedWorkflowRunner` creates it."""
        return create_default_instance(det)
