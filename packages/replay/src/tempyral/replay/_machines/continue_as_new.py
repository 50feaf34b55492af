"""The continue as new state machine: one command that closes this run and starts the next one, matched by its final event."""

from __future__ import annotations

from tempyral.replay._machines._terminal import TerminalMachine

__all__ = ["ContinueAsNewMachine"]


class ContinueAsNewMachine(TerminalMachine):
    kind = "continue as new"
    EVENT = "workflow_execution_continued_as_new"
