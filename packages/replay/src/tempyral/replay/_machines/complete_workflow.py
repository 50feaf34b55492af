"""The complete workflow state machine: one command completing the run with its result."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["CompleteWorkflowMachine"]


class CompleteWorkflowMachine(TerminalMachine):
    kind = "complete workflow"
    EVENT = "workflow_execution_completed"
