"""``tempyral completion SHELL``: the shell completion script Click generates for the command.

Add ``eval "$(tempyral completion bash)"`` to ~/.bashrc (zsh: ``eval "$(tempyral completion
zsh)"`` in ~/.zshrc; fish: ``tempyral completion fish > ~/.config/fish/completions/tempyral.fish``).
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from tempyral.cli._errors import EXIT_OK, CommandError

__all__ = ["completion"]

COMPLETE_VAR = "_TEMPYRAL_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> int:
    """Print the completion script for SHELL.

    \b
    bash: eval "$(tempyral completion bash)"            in ~/.bashrc
    zsh:  eval "$(tempyral completion zsh)"             in ~/.zshrc
    fish: tempyral completion fish > ~/.config/fish/completions/tempyral.fish
    """
    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - the choice above lists Click's shells
        raise CommandError(f"no completion for {shell!r}")
    root = ctx.find_root()
    script = cls(root.command, {}, "tempyral", COMPLETE_VAR).source()
    click.echo(script)
    return EXIT_OK
