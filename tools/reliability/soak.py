"""Soak under failure: workflows receiving signals while the worker and the server are killed.

``N`` ``Collect`` workflows each receive 5 signals with distinct values, sent with a request id
per signal (what a careful application does: a retried signal is then recorded once). Meanwhile a
seeded chaos loop SIGKILLs the worker process (and, with ``--kill-server``, the dev server, whose
state lives in a SQLite file) at random moments and starts them again. At the end every workflow
must have completed with exactly its 5 values, each once (the workflow returns what it received,
so a signal delivered twice shows), and history must record exactly 5 signals per workflow.

    python tools/reliability/soak.py --sdk tempyral --workflows 2000 --kill-worker 6 --kill-server 2

The report counts workflows lost (never started), stuck (not completed by the deadline), with a
wrong result, and duplicated or missing signals. ``--sdk official`` runs the same workflow source
on the official SDK's worker; the driver (starts, signals, results) is tempyral's client either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from tempyral.api.common.v1.message_pb2 import Payloads, WorkflowExecution
from tempyral.api.enums.v1.event_type_pb2 import EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
from tempyral.api.workflowservice.v1.request_response_pb2 import SignalWorkflowExecutionRequest
from tempyral.client import Client
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.service import RPCError
from tempyral.testing import DevServer

WORKER = Path(__file__).resolve().parent / "soak_worker.py"
SIGNALS = 5
T = TypeVar("T")


@dataclass
class SoakReport:
    sdk: str
    workflows: int
    signals_per_workflow: int = SIGNALS
    worker_kills: int = 0
    server_kills: int = 0
    completed: int = 0
    lost: int = 0
    stuck: int = 0
    wrong_result: int = 0
    duplicated_signals: int = 0
    missing_signals: int = 0
    history_signal_mismatch: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.workflows
            and not self.lost + self.stuck + self.wrong_result
            and not self.duplicated_signals + self.missing_signals + self.history_signal_mismatch
        )


class WorkerProcess:
    def __init__(
        self, sdk: str, target: str, task_queue: str, log: Path, workflows: str = "soak"
    ) -> None:
        self._args = [sys.executable, str(WORKER), "--sdk", sdk, "--target", target]
        self._args += ["--task-queue", task_queue, "--workflows", workflows]
        self._log = log
        self.process: subprocess.Popen[str] | None = None

    async def start(self, timeout: float = 60) -> None:
        with self._log.open("a") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
                self._args,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), timeout)
        if line.strip() != "READY":
            raise RuntimeError(f"the worker did not start: {line!r}; see {self._log}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None


async def retrying(call: Callable[[], Awaitable[T]], deadline: float) -> T:
    """Retry through server restarts (unavailable, deadline exceeded) until the deadline."""
    while True:
        try:
            return await call()
        except (RPCError, OSError, ConnectionError, asyncio.TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def soak(
    *,
    sdk: str,
    workflows: int,
    worker_kills: int,
    server_kills: int,
    seed: int = 1,
    deadline_s: float = 600,
    concurrency: int = 50,
) -> SoakReport:
    rng = random.Random(seed)  # noqa: S311 (reproducible on purpose)
    report = SoakReport(sdk, workflows)
    started = time.monotonic()
    deadline = started + deadline_s
    run = f"{sdk}-{seed}-{os.getpid()}-{int(time.time())}"
    task_queue = f"soak-{run}"
    with tempfile.TemporaryDirectory() as tmp:
        server = DevServer(db_filename=Path(tmp) / "soak.db")
        await server.start_async()
        worker = WorkerProcess(sdk, server.target, task_queue, Path(tmp) / "worker.log")
        try:
            await worker.start()
            client = await Client.connect(server.target)
            gate = asyncio.Semaphore(concurrency)
            ids = [f"soak-{run}-{n}" for n in range(workflows)]
            load_done = asyncio.Event()

            async def start_and_signal(workflow_id: str) -> bool:
                async with gate:
                    try:
                        await retrying(
                            lambda: client.start_workflow(
                                "Collect", SIGNALS, id=workflow_id, task_queue=task_queue
                            ),
                            deadline,
                        )
                    except WorkflowAlreadyStartedError:
                        pass  # a start retried after the server took it
                    except Exception as err:
                        report.problems.append(f"{workflow_id}: start failed: {err}")
                        return False
                    for index in range(SIGNALS):
                        await retrying(lambda i=index: signal_once(workflow_id, i), deadline)
                    return True

            async def signal_once(workflow_id: str, index: int) -> None:
                payloads = client.data_converter.payload_converter.to_payloads(
                    [f"{workflow_id}/{index}"]
                )
                await client.workflow_service.signal_workflow_execution(
                    SignalWorkflowExecutionRequest(
                        namespace=client.namespace,
                        workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                        signal_name="add",
                        input=Payloads(payloads=payloads),
                        identity="soak",
                        request_id=f"{workflow_id}/{index}",  # the same id on every retry
                    ),
                    retry=True,
                )

            async def chaos() -> None:
                kills = ["worker"] * worker_kills + ["server"] * server_kills
                rng.shuffle(kills)
                for kind in kills:
                    await asyncio.sleep(rng.uniform(0.5, 4.0))
                    if kind == "worker":
                        worker.kill()
                        report.worker_kills += 1
                        await worker.start()
                    else:
                        assert server.pid is not None
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(server.pid, signal.SIGKILL)
                        server.stop()
                        report.server_kills += 1
                        await asyncio.sleep(rng.uniform(0.0, 2.0))
                        await server.start_async()

            async def supervise() -> None:
                """A worker that died on its own (it should not) is counted and replaced."""
                while not load_done.is_set():
                    await asyncio.sleep(1)
                    if worker.exited:
                        report.problems.append("the worker process exited by itself")
                        await worker.start()

            chaos_task = asyncio.create_task(chaos())
            supervisor = asyncio.create_task(supervise())
            sent = await asyncio.gather(*(start_and_signal(i) for i in ids))
            report.lost = sent.count(False)
            await chaos_task
            started_ids = [i for i, ok in zip(ids, sent, strict=True) if ok]
            results = await asyncio.gather(
                *(collect(client, i, deadline, report) for i in started_ids)
            )
            load_done.set()
            await supervisor
            for workflow_id, received in zip(started_ids, results, strict=True):
                check(workflow_id, received, report)
            await asyncio.gather(*(count_signals(client, i, report, gate) for i in ids))
        finally:
            worker.kill()
            server.stop()
    report.seconds = time.monotonic() - started
    return report


async def collect(
    client: Client, workflow_id: str, deadline: float, report: SoakReport
) -> list[str] | None:
    handle = client.get_workflow_handle(workflow_id)
    while time.monotonic() < deadline:
        try:
            result: list[str] = await asyncio.wait_for(
                handle.result(), max(1.0, deadline - time.monotonic())
            )
            return result
        except (RPCError, OSError, ConnectionError):
            await asyncio.sleep(0.5)
        except asyncio.TimeoutError:
            break
        except Exception as err:
            report.problems.append(f"{workflow_id}: {type(err).__name__}: {err}")
            return None
    report.stuck += 1
    return None


def check(workflow_id: str, received: list[str] | None, report: SoakReport) -> None:
    if received is None:
        return
    report.completed += 1
    expected = [f"{workflow_id}/{index}" for index in range(SIGNALS)]
    if sorted(received) != expected:
        report.wrong_result += 1
        report.duplicated_signals += len(received) - len(set(received))
        report.missing_signals += len(set(expected) - set(received))
        report.problems.append(f"{workflow_id}: received {received}")


async def count_signals(
    client: Client, workflow_id: str, report: SoakReport, gate: asyncio.Semaphore
) -> None:
    async with gate:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
    signaled = sum(e.event_type == EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in history.events)
    if signaled != SIGNALS:
        report.history_signal_mismatch += 1
        report.problems.append(f"{workflow_id}: history has {signaled} signals")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", choices=["tempyral", "official"], default="tempyral")
    parser.add_argument("--workflows", type=int, default=2000)
    parser.add_argument("--kill-worker", type=int, default=6)
    parser.add_argument("--kill-server", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=1200)
    parser.add_argument("--verbose", action="store_true", help="show the driver's retry warnings")
    args = parser.parse_args()
    if not args.verbose:  # the driver's own client retries through every server kill, noisily
        quiet = logging.getLogger("tempyral")
        quiet.addHandler(logging.NullHandler())  # not even standard logging's last resort
        quiet.propagate = False
    report = asyncio.run(
        soak(
            sdk=args.sdk,
            workflows=args.workflows,
            worker_kills=args.kill_worker,
            server_kills=args.kill_server,
            seed=args.seed,
            deadline_s=args.deadline,
        )
    )
    summary = asdict(report)
    summary["problems"] = report.problems[:20]
    print(json.dumps(summary, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
