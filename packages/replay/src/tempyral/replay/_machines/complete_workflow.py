"""The complete workflow state machine: one command that completes the workflow with its result, matched by its final event."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["CompleteWorkflowMachine"]


class CompleteWorkflowMachine(TerminalMachine):
    kind = "complete workflow"
    EVENT = "workflow_execution_completed"
