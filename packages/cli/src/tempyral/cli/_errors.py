"""Exit statuses and the one error type commands raise for a message the user must read.

0 success; 1 the check ran and found a problem (nondeterminism, a failing doctor check, no
answer from the server); 2 the command could not do what was asked (usage, code or files that do
not load, a bad profile). Click's own usage errors exit with 2 as well.
"""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(click.ClickException):
    """A message for the user, printed as ``tempyral: <message>``, exiting with 2."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        click.echo(f"tempyral: {self.format_message()}", err=True)
