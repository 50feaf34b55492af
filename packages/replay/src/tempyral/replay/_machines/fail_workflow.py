"""The fail workflow state machine: one command failing the run with a failure."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["FailWorkflowMachine"]


class FailWorkflowMachine(TerminalMachine):
    kind = "fail workflow"
    EVENT = "workflow_execution_failed"
