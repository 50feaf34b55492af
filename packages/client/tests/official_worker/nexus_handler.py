"""The official SDK's worker serving a Nexus service, for the standalone Nexus operation tests.

    python nexus_handler.py <target> <namespace> <task_queue>

Serves ``TempyralEchoService`` (a ``nexusrpc`` service handler) and the workflow its
asynchronous operation starts, prints ``READY`` and runs until its stdin closes, then leaves
with ``os._exit`` (the official core can abort at interpreter exit). tempyral's own Nexus
handler side is not used here: these tests are about tempyral's client.

Operations:

* ``echo`` (synchronous): ``hello <name>``, and the ``x-tempyral-*`` Nexus headers it got;
* ``wait`` (asynchronous): starts ``WaitWorkflow`` (id ``wait-<name>``), which returns
  ``finished <name>`` once signalled ``finish``, and is cancelled when the operation is;
* ``refuse`` (synchronous): fails with a non-retryable ``ApplicationError`` of type
  ``Refused``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import nexusrpc
from nexusrpc.handler import StartOperationContext, service_handler, sync_operation
from temporalio import nexus, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@dataclass
class EchoInput:
    name: str


@dataclass
class EchoOutput:
    text: str
    headers: dict[str, str] = field(default_factory=dict)


@nexusrpc.service(name="TempyralEchoService")
class EchoService:
    echo: nexusrpc.Operation[EchoInput, EchoOutput]
    wait: nexusrpc.Operation[EchoInput, EchoOutput]
    refuse: nexusrpc.Operation[EchoInput, EchoOutput]


@workflow.defn
class WaitWorkflow:
    def __init__(self) -> None:
        self._finish = False

    @workflow.run
    async def run(self, input: EchoInput) -> EchoOutput:
        await workflow.wait_condition(lambda: self._finish)
        return EchoOutput(text=f"finished {input.name}")

    @workflow.signal
    def finish(self) -> None:
        self._finish = True


@service_handler(service=EchoService)
class EchoHandler:
    @sync_operation
    async def echo(self, ctx: StartOperationContext, input: EchoInput) -> EchoOutput:
        headers = {k: v for k, v in ctx.headers.items() if k.startswith("x-tempyral")}
        return EchoOutput(text=f"hello {input.name}", headers=headers)

    @nexus.workflow_run_operation
    async def wait(
        self, ctx: nexus.WorkflowRunOperationContext, input: EchoInput
    ) -> nexus.WorkflowHandle[EchoOutput]:
        return await ctx.start_workflow(WaitWorkflow.run, input, id=f"wait-{input.name}")

    @sync_operation
    async def refuse(self, ctx: StartOperationContext, input: EchoInput) -> EchoOutput:
        raise ApplicationError(f"refused {input.name}", type="Refused", non_retryable=True)


def stop_on_stdin_close(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    def watch() -> None:
        sys.stdin.read()  # returns at EOF: the test process closed the pipe or exited
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, daemon=True).start()


async def main(target: str, namespace: str, task_queue: str) -> None:
    client = await Client.connect(target, namespace=namespace)
    stop = asyncio.Event()
    stop_on_stdin_close(asyncio.get_running_loop(), stop)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[WaitWorkflow],
        nexus_service_handlers=[EchoHandler()],
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        print("READY", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
    sys.stdout.flush()
    os._exit(0)
