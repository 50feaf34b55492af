"""Entry point of the ``tempyral`` command: the command group, ``--version`` and exit statuses.

Each sub-command lives in its own module and returns its exit status; errors meant for the user
are :py:class:`~tempyral.cli._errors.CommandError` (or ``ConfigError`` from a bad profile), shown
as one ``tempyral: ...`` line, never as a traceback. Shell completion is Click's
(``tempyral completion --help``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata

import click

from tempyral.cli._completion import COMPLETE_VAR, completion
from tempyral.cli._dev import dev
from tempyral.cli._doctor import doctor
from tempyral.cli._errors import EXIT_USAGE
from tempyral.cli._init import init
from tempyral.cli._replay import replay
from tempyral.cli._server_info import server_info
from tempyral.cli._worker_run import worker
from tempyral.envconfig import ConfigError

__all__ = ["cli", "main"]


def installed_packages() -> list[tuple[str, str]]:
    """(name, version) of every installed tempyral distribution."""
    found = {
        dist.metadata["Name"]: dist.version
        for dist in metadata.distributions()
        if (dist.metadata["Name"] or "").lower().startswith("tempyral")
    }
    return sorted(found.items())


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for name, version in installed_packages():
        click.echo(f"{name} {version}")
    click.echo(f"Python {sys.version.split()[0]}")
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="list the installed tempyral packages and exit",
)
def cli() -> None:
    """tempyral: tools for Temporal workflows written with tempyral.

    \b
    Start here:
      tempyral init my-app            a new project whose tests pass at once
      tempyral dev                    a local Temporal server
      tempyral doctor                 check the connection to a server
      tempyral worker run CODE        run your workers
      tempyral replay CODE DIR        check code changes against stored histories

    Connection flags default to the temporal.toml profile and the TEMPORAL_* variables
    (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*), as for Client.connect.
    """


cli.add_command(completion)
cli.add_command(dev)
cli.add_command(doctor)
cli.add_command(init)
cli.add_command(replay)
cli.add_command(server_info)
cli.add_command(worker)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of exiting."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="tempyral",
            complete_var=COMPLETE_VAR,
            standalone_mode=False,
        )
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("tempyral: interrupted", err=True)
        return 130
    except ConfigError as err:
        click.echo(f"tempyral: cannot read the connection profile: {err}", err=True)
        return EXIT_USAGE
    return result if isinstance(result, int) else 0
