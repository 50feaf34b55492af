"""The cancel workflow state machine: one command closing the run as cancelled."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["CancelWorkflowMachine"]


class CancelWorkflowMachine(TerminalMachine):
    kind = "cancel workflow"
    EVENT = "workflow_execution_canceled"
