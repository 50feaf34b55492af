"""Entry point of the ``tempyral`` command: argument parsing and sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import cast

import grpc

from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc


def server_info(address: str, timeout: float) -> str:
    """Ask a Temporal frontend for its version and capabilities, as printable lines."""
    with grpc.insecure_channel(address) as channel:
        stub = service_pb2_grpc.WorkflowServiceStub(channel)
        info = stub.GetSystemInfo(request_response_pb2.GetSystemInfoRequest(), timeout=timeout)
    capabilities = sorted(
        field.name for field, value in info.capabilities.ListFields() if value is True
    )
    return f"server version: {info.server_version}\ncapabilities: {', '.join(capabilities)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tempyral", description="tempyral command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("server-info", help="print a Temporal server's version")
    info.add_argument("--address", default="localhost:7233", help="host:port of the frontend")
    info.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer")
    args = parser.parse_args(argv)
    try:
        print(server_info(args.address, args.timeout))
    except grpc.RpcError as err:
        call = cast("grpc.Call", err)  # an error raised by a call is also its grpc.Call
        print(
            f"tempyral: no answer from {args.address} ({call.code()}: {call.details()}). "
            "Is a Temporal server running there? Start one with `temporal server start-dev`.",
            file=sys.stderr,
        )
        return 1
    return 0
