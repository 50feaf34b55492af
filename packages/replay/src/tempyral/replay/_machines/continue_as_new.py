"""The continue-as-new state machine: one command closing this run and starting the next."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["ContinueAsNewMachine"]


class ContinueAsNewMachine(TerminalMachine):
    kind = "continue as new"
    EVENT = "workflow_execution_continued_as_new"
