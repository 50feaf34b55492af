"""Entry point of the ``tempyral`` command: argument parsing and sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta

from tempyral.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest
from tempyral.cli._connect import add_connection_flags, connect_config
from tempyral.envconfig import ConfigError
from tempyral.service import ConnectConfig, RPCError, ServiceClient


async def server_info(config: ConnectConfig, timeout: float) -> str:
    """Ask a Temporal frontend for its version and capabilities, as printable lines."""
    client = await ServiceClient.connect(config)
    info = await client.workflow_service.get_system_info(
        GetSystemInfoRequest(), timeout=timedelta(seconds=timeout)
    )
    capabilities = sorted(
        field.name for field, value in info.capabilities.ListFields() if value is True
    )
    return f"server version: {info.server_version}\ncapabilities: {', '.join(capabilities)}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tempyral", description="tempyral command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("server-info", help="print a Temporal server's version")
    add_connection_flags(info)
    info.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = connect_config(args)
    except ConfigError as err:
        print(f"tempyral: cannot read the connection profile: {err}", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(server_info(config, args.timeout)))
    except RPCError as err:
        print(
            f"tempyral: no answer from {config.target_host} ({err.status.name}: {err.message}). "
            "Is a Temporal server running there? Start one with `temporal server start-dev`.",
            file=sys.stderr,
        )
        return 1
    return 0
