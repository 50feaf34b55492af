"""``tempyral replay``: check that workflow code still replays its histories.

Histories come from files, directories (every ``*.json`` under them) or a server (workflow ids,
or a visibility query), and are replayed in worker processes that import the workflow code once.
A person sees a progress bar and, for each failure, the engine's own explanation (history's event,
the code's command and the workflow source line); CI gets ``--junit-xml`` and the exit status:
0 every history replayed, 1 some did not, 2 nothing could be checked as asked (usage, code that
does not load, unreadable histories, no server).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tempyral.cli._connect import ConnectionFlags, connection_options, resolve
from tempyral.cli._errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from tempyral.cli._junit import write_junit_xml
from tempyral.cli._loading import CodeLoadError, workflow_classes
from tempyral.cli._replay_jobs import (
    Outcome,
    ReplayOutcome,
    ReplayTask,
    init_process,
    replay_task,
)
from tempyral.client import Client
from tempyral.service import RPCError, ServiceClient

__all__ = ["replay"]


def workflow_id_of(path: Path) -> str:
    """The workflow id a history file is named for: ``<id>.json``, or ``<id>__<run id>.json`` as
    ``pytest --tempyral-history-dir`` saves them (the ids replay of some workflows depends on)."""
    return path.stem.split("__", 1)[0]


def _files(sources: Sequence[str]) -> Iterator[ReplayTask]:
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                raise CommandError(f"directory {source!r} holds no *.json history files")
            for file in found:
                yield ReplayTask(str(file.relative_to(path)), workflow_id_of(file), path=str(file))
        elif path.is_file():
            yield ReplayTask(str(path), workflow_id_of(path), path=str(path))
        else:
            raise CommandError(f"no such history file or directory: {source!r}")


async def _fetch(
    connection: ConnectionFlags, workflow_ids: Sequence[str], query: str | None
) -> list[ReplayTask]:
    resolved = resolve(connection)
    service = await ServiceClient.connect(resolved.config)
    client = Client(service, namespace=resolved.namespace)
    runs: list[tuple[str, str | None]] = [(wid, None) for wid in workflow_ids]
    if query is not None:
        runs += [(w.id, w.run_id) async for w in client.list_workflows(query)]
    tasks = []
    for workflow_id, run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        name = f"{workflow_id}/{run_id}" if run_id else workflow_id
        tasks.append(ReplayTask(name, workflow_id, text=history.to_json()))
    return tasks


def _run(workflow_spec: str, tasks: Sequence[ReplayTask], jobs: int) -> Iterator[ReplayOutcome]:
    if jobs <= 1:
        init_process(workflow_spec)
        yield from map(replay_task, tasks)
        return
    # spawn: the parent may hold threads (the progress bar's), which fork would copy badly.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(64, len(tasks) // (jobs * 8)))
    with concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=init_process, initargs=(workflow_spec,)
    ) as pool:
        yield from pool.map(replay_task, tasks, chunksize=chunk)


def _report(console: Console, outcomes: Sequence[ReplayOutcome], seconds: float) -> None:
    for outcome in outcomes:
        if outcome.outcome is Outcome.REPLAYED:
            continue
        console.rule(f"[bold red]{outcome.outcome.value.upper()}[/]: {outcome.name}", align="left")
        console.print(f"{outcome.error_type}: {outcome.message}", markup=False, highlight=False)
    counts = {kind: sum(o.outcome is kind for o in outcomes) for kind in Outcome}
    events = sum(o.events for o in outcomes)
    rate = len(outcomes) / seconds if seconds else 0.0
    event_rate = events / seconds if seconds else 0.0
    colour = "green" if counts[Outcome.REPLAYED] == len(outcomes) else "red"
    console.print(
        f"[{colour}]{counts[Outcome.REPLAYED]} of {len(outcomes)} histories replayed[/]"
        f" ({counts[Outcome.NONDETERMINISM]} nondeterministic, {counts[Outcome.FAILED]} failed,"
        f" {counts[Outcome.NOT_LOADED]} not loaded); {events} events in {seconds:.2f}s"
        f" ({rate:.1f} histories/s, {event_rate:.0f} events/s)",
        highlight=False,
    )


@click.command()
@click.argument("workflows", metavar="CODE")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--workflow-id",
    "-w",
    "workflow_ids",
    multiple=True,
    help="replay this workflow's history from the server (repeatable)",
)
@click.option("--query", "-q", help="replay every workflow this visibility query lists")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=lambda: min(os.cpu_count() or 1, 8),
    show_default="the CPU count, at most 8",
    help="worker processes",
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="write a JUnit XML report here")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="show a progress bar (default: when stderr is a terminal)",
)
@connection_options
def replay(
    workflows: str,
    sources: tuple[str, ...],
    workflow_ids: tuple[str, ...],
    query: str | None,
    jobs: int,
    junit_xml: str | None,
    progress: bool | None,
    connection: ConnectionFlags,
) -> int:
    """Replay histories against workflow CODE to prove it is still deterministic.

    CODE is a module (every @workflow.defn class in it) or module:attr (one class, or a list of
    them), imported from the current folder. SOURCES are history JSON files (as `temporal
    workflow show -o json` writes them) or folders of them, named <workflow id>.json or
    <workflow id>__<run id>.json; --workflow-id and --query fetch histories from the server of
    the connection profile.

    Exit status: 0 every history replayed; 1 some did not (nondeterminism or a failed workflow
    task; the engine's diff is printed for each); 2 usage, code or histories that do not load,
    or no server.

    \b
    Examples:
      tempyral replay my_app.workflows histories/
      tempyral replay my_app.workflows:Order -q "WorkflowType='Order'" --junit-xml replay.xml
    """
    if not sources and not workflow_ids and query is None:
        raise click.UsageError("give history files or folders, --workflow-id or --query")
    try:
        workflow_classes(workflows)  # fail here, once, with the clear message
    except CodeLoadError as err:
        raise CommandError(str(err)) from err
    tasks = list(_files(sources))
    if workflow_ids or query is not None:
        try:
            tasks += asyncio.run(_fetch(connection, workflow_ids, query))
        except RPCError as err:
            raise CommandError(
                f"cannot fetch histories ({err.status.name}: {err.message}); check the address"
                " and namespace with `tempyral doctor`"
            ) from err
    if not tasks:
        raise CommandError("the query listed no workflows: nothing to replay")
    console = Console(soft_wrap=True)
    # --progress draws the bar even when stderr is not a terminal (a CI log that renders ANSI).
    stderr = Console(stderr=True, force_terminal=True if progress else None)
    show = stderr.is_terminal if progress is None else progress
    outcomes: list[ReplayOutcome] = []
    started = time.perf_counter()
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=not show,
        transient=True,
    ) as bar:
        track = bar.add_task("replay", total=len(tasks))
        for outcome in _run(workflows, tasks, min(jobs, len(tasks))):
            outcomes.append(outcome)
            bar.advance(track)
    seconds = time.perf_counter() - started
    _report(console, outcomes, seconds)
    if junit_xml:
        write_junit_xml(Path(junit_xml), outcomes, seconds)
    if any(o.outcome is Outcome.NOT_LOADED for o in outcomes):
        return EXIT_USAGE
    if any(o.outcome is not Outcome.REPLAYED for o in outcomes):
        return EXIT_FAILED
    return EXIT_OK
