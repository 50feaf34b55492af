"""A user's type checker sees the result types of standalone Nexus operations.

mypy runs (in a subprocess, as a user's CI would) on a small module calling ``NexusClient`` and
``Client.get_nexus_operation_handle`` with ``reveal_type``: an operation's definition, or a
decorated handler method, gives the result type; a name gives it only with ``result_type``; an
input of the wrong type is an error.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

SNIPPET = """
import nexusrpc
from nexusrpc.handler import StartOperationContext, service_handler, sync_operation

from tempyral.client import Client


@nexusrpc.service
class Svc:
    echo: nexusrpc.Operation[str, int]


@service_handler(service=Svc)
class Handler:
    @sync_operation
    async def echo(self, ctx: StartOperationContext, input: str) -> int:
        return len(input)


async def main(client: Client) -> None:
    nc = client.create_nexus_client(Svc, "ep")
    reveal_type(nc)
    reveal_type(await nc.start_operation(Svc.echo, "x", id="a"))
    reveal_type(await nc.execute_operation(Svc.echo, "x", id="a"))
    reveal_type(await nc.execute_operation("echo", "x", id="a", result_type=int))
    reveal_type(await nc.execute_operation("echo", "x", id="a"))
    reveal_type(await nc.start_operation("echo", "x", id="a"))
    by_handler = client.create_nexus_client(Handler, "ep")
    reveal_type(await by_handler.execute_operation(Handler.echo, "x", id="a"))
    reveal_type(client.get_nexus_operation_handle("a", operation=Svc.echo))
    reveal_type(client.get_nexus_operation_handle("a", result_type=str))
    reveal_type(client.get_nexus_operation_handle("a"))
    await nc.start_operation(Svc.echo, 3, id="a")  # the wrong input type
"""

EXPECTED = [
    "tempyral.client._nexus_client.NexusClient[snippet.Svc]",
    "tempyral.client._nexus_handle.NexusOperationHandle[int]",
    "int",
    "int",
    "Any",  # by name: nothing to infer from, as with the official SDK
    "tempyral.client._nexus_handle.NexusOperationHandle[Any]",
    "int",
    "tempyral.client._nexus_handle.NexusOperationHandle[int]",
    "tempyral.client._nexus_handle.NexusOperationHandle[str]",
    "tempyral.client._nexus_handle.NexusOperationHandle[Any]",
]


def test_nexus_operations_are_typed_by_their_definition(tmp_path: Path) -> None:
    # mypy is pinned in the test environment (hatch.toml), so this always runs.
    (tmp_path / "snippet.py").write_text(textwrap.dedent(SNIPPET))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", "snippet.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    revealed = re.findall(r'Revealed type is "([^"]+)"', result.stdout)
    assert [t.replace("builtins.", "") for t in revealed] == EXPECTED, result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    bad_call = '    await nc.start_operation(Svc.echo, 3, id="a")  # the wrong input type'
    bad_line = SNIPPET.splitlines().index(bad_call) + 1  # mypy numbers lines from 1
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f"snippet.py:{bad_line}:"), result.stdout
