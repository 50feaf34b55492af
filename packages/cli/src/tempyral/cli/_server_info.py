"""``tempyral server-info``: a Temporal server's version and capabilities."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import click

from tempyral.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest
from tempyral.cli._connect import ConnectionFlags, connection_options, resolve
from tempyral.cli._errors import EXIT_FAILED, EXIT_OK
from tempyral.service import ConnectConfig, RPCError, ServiceClient

__all__ = ["server_info"]


async def _ask(config: ConnectConfig, timeout: float) -> str:
    client = await ServiceClient.connect(config)
    info = await client.workflow_service.get_system_info(
        GetSystemInfoRequest(), timeout=timedelta(seconds=timeout)
    )
    capabilities = sorted(
        field.name for field, value in info.capabilities.ListFields() if value is True
    )
    return f"server version: {info.server_version}\ncapabilities: {', '.join(capabilities)}"


@click.command("server-info")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="seconds to wait")
@connection_options
def server_info(timeout: float, connection: ConnectionFlags) -> int:
    """Print a Temporal server's version and capabilities.

    Exit status: 0 the server answered, 1 it did not, 2 the profile cannot be read.
    """
    config = resolve(connection).config
    try:
        click.echo(asyncio.run(_ask(config, timeout)))
    except RPCError as err:
        click.echo(
            f"tempyral: no answer from {config.target_host} ({err.status.name}: {err.message})."
            " Is a Temporal server running there? Start one with `tempyral dev`"
            " or `temporal server start-dev`.",
            err=True,
        )
        return EXIT_FAILED
    return EXIT_OK
