"""``tempyral worker run CODE``: run the workers a module defines until SIGINT or SIGTERM.

CODE names a ``Worker``, a list of them, or a factory that takes the connected ``Client`` and
returns either (sync or async): the factory is the usual form, since a worker needs a client
and the client comes from the connection profile. On the first SIGINT/SIGTERM every worker shuts
down gracefully (polls stop, tasks in flight finish within the worker's
``graceful_shutdown_timeout``); a second signal cancels what is still running.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
from collections.abc import Sequence
from typing import Any

import click

from tempyral.cli._connect import ConnectionFlags, connection_options, resolve
from tempyral.cli._errors import EXIT_FAILED, EXIT_OK, CommandError
from tempyral.cli._loading import CodeLoadError, load_target
from tempyral.client import Client
from tempyral.service import RPCError, ServiceClient
from tempyral.worker import Worker

__all__ = ["worker"]

_EXPECTED = (
    "a Worker, a list of Workers, or a function taking a Client and returning either,"
    " named as module:attr"
)


def _as_workers(spec: str, value: object) -> list[Worker]:
    found = list(value) if isinstance(value, (list, tuple)) else [value]
    if not found or not all(isinstance(w, Worker) for w in found):
        raise CommandError(f"{spec!r} gave {value!r}; expected {_EXPECTED}")
    return [w for w in found if isinstance(w, Worker)]


async def _workers(spec: str, client: Client) -> list[Worker]:
    try:
        module, value, named = load_target(spec)
    except CodeLoadError as err:
        raise CommandError(str(err)) from err
    if not named:
        found = [v for v in vars(module).values() if isinstance(v, Worker)]
        if not found:
            raise CommandError(f"module {spec!r} defines no Worker; give {_EXPECTED}")
        return found
    if callable(value) and not isinstance(value, Worker):
        made: Any = value(client)
        if inspect.isawaitable(made):
            made = await made
        return _as_workers(spec, made)
    return _as_workers(spec, value)


async def _serve(workers: Sequence[Worker]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runs = [asyncio.create_task(w.run()) for w in workers]
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([*runs, stopping], return_when=asyncio.FIRST_COMPLETED)
    click.echo("tempyral: shutting down; tasks in flight finish first", err=True)

    def force() -> None:
        click.echo("tempyral: second signal, cancelling the tasks still running", err=True)
        for run in runs:
            run.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, force)
    # A worker that stopped by itself (a fatal error) takes the others down with it.
    shutdowns = [w.shutdown() for w in workers if not w.is_shutdown]
    await asyncio.gather(*shutdowns, return_exceptions=True)
    stopping.cancel()
    await asyncio.gather(*runs)


async def _run(spec: str, flags: ConnectionFlags) -> None:
    connection = resolve(flags, lazy=False)
    try:
        service = await ServiceClient.connect(connection.config)
    except (RPCError, RuntimeError) as err:  # an eager connect reports RuntimeError
        raise CommandError(
            f"cannot connect to {connection.config.target_host} ({err}); check the connection"
            " with `tempyral doctor`"
        ) from err
    client = Client(service, namespace=connection.namespace)
    workers = await _workers(spec, client)
    for w in workers:
        config = w.config()
        click.echo(
            f"tempyral: worker on task queue {w.task_queue!r} (namespace"
            f" {connection.namespace!r} at {connection.config.target_host}):"
            f" {len(config['workflows'])} workflow(s), {len(config['activities'])} activity(ies)",
            err=True,
        )
    click.echo("tempyral: running; stop with Ctrl-C or SIGTERM", err=True)
    await _serve(workers)


@click.group()
def worker() -> None:
    """Run workers."""


@worker.command("run")
@click.argument("code", metavar="CODE")
@connection_options
def run(code: str, connection: ConnectionFlags) -> int:
    """Run the workers CODE defines until SIGINT or SIGTERM, then shut them down gracefully.

    CODE is module:attr naming a Worker, a list of Workers, or a function that takes the
    connected Client and returns either (it may be async); a bare module runs the Workers it
    defines at module level. The client connects with the connection profile and flags.

    \b
    Example, with my_app/worker.py defining
        def create_worker(client: Client) -> Worker:
            return Worker(client, task_queue="orders", workflows=[...], activities=[...])
    run:
        tempyral worker run my_app.worker:create_worker

    Exit status: 0 after a clean shutdown, 1 a worker failed, 2 code that does not load or no
    server.
    """
    try:
        asyncio.run(_run(code, connection))
    except CommandError:
        raise
    except Exception as err:  # a worker's fatal error: say so in one line, with its cause
        reason = f"{type(err).__name__}: {err}"
        click.echo(f"tempyral: the worker stopped on an error: {reason}", err=True)
        return EXIT_FAILED
    click.echo("tempyral: workers stopped cleanly", err=True)
    return EXIT_OK
