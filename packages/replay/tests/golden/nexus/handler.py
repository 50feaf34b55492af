"""The OFFICIAL SDK's Nexus handler for the Nexus golden histories (never imported by tempyral).

``python handler.py HOST:PORT TASK_QUEUE`` connects to a server, creates the endpoint
``workflows.ENDPOINT`` targeting ``TASK_QUEUE`` through the OperatorService
(``CreateNexusEndpoint``), runs an official worker serving ``GoldenService`` there, prints
``ready`` and serves until its standard input closes. ``record.py`` uses it in-process
(:py:func:`handler_worker`); the interop test runs it as a subprocess beside a tempyral caller.

``python handler.py --caller HOST:PORT TASK_QUEUE`` runs the caller workflows instead, on an
official worker (identity ``official-caller``, no workflow cache) until standard input closes:
the interop test hands runs between it and a tempyral worker mid-flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import nexusrpc
import nexusrpc.handler
import temporalio.api.nexus.v1
import temporalio.api.operatorservice.v1
from temporalio import nexus, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).parent))


def _service() -> Any:
    """``GoldenService`` from workflows.py (loaded by whoever loaded the caller workflows)."""
    module = sys.modules.get("golden_nexus_workflows")
    if module is None:
        raise RuntimeError("load workflows.py as golden_nexus_workflows first")
    return module


@workflow.defn
class HandlerRun:
    """The workflow behind ``run_workflow``: returns at once."""

    @workflow.run
    async def run(self, name: str) -> str:
        return f"run by the handler for {name}"


@workflow.defn
class HandlerWaitForever:
    """The workflow behind ``wait_forever``: ends only when cancelled (or timed out)."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.wait_condition(lambda: False)
        return name


@workflow.defn
class HandlerFailLater:
    """The workflow behind ``fail_later``: fails (for good) once started."""

    @workflow.run
    async def run(self, name: str) -> str:
        raise ApplicationError(f"the run for {name} failed", non_retryable=True)


def handler_class(service: type) -> type:
    @nexusrpc.handler.service_handler(service=service)
    class GoldenServiceHandler:
        @nexusrpc.handler.sync_operation
        async def echo(self, ctx: nexusrpc.handler.StartOperationContext, name: str) -> str:
            return f"echo: {name}"

        @nexusrpc.handler.sync_operation
        async def fail(self, ctx: nexusrpc.handler.StartOperationContext, name: str) -> str:
            raise nexusrpc.OperationError(
                f"cannot serve {name}", state=nexusrpc.OperationErrorState.FAILED
            )

        @nexusrpc.handler.sync_operation
        async def reject(self, ctx: nexusrpc.handler.StartOperationContext, name: str) -> str:
            raise nexusrpc.HandlerError(
                f"{name} is not a valid request", type=nexusrpc.HandlerErrorType.BAD_REQUEST
            )

        @nexus.workflow_run_operation
        async def run_workflow(
            self, ctx: nexus.WorkflowRunOperationContext, name: str
        ) -> nexus.WorkflowHandle[str]:
            return await ctx.start_workflow(HandlerRun.run, name, id=f"run-{uuid.uuid4()}")

        @nexus.workflow_run_operation
        async def wait_forever(
            self, ctx: nexus.WorkflowRunOperationContext, name: str
        ) -> nexus.WorkflowHandle[str]:
            return await ctx.start_workflow(HandlerWaitForever.run, name, id=f"wait-{uuid.uuid4()}")

        @nexus.workflow_run_operation
        async def fail_later(
            self, ctx: nexus.WorkflowRunOperationContext, name: str
        ) -> nexus.WorkflowHandle[str]:
            return await ctx.start_workflow(HandlerFailLater.run, name, id=f"fail-{uuid.uuid4()}")

    return GoldenServiceHandler


async def create_endpoint(client: Client, name: str, task_queue: str) -> None:
    await client.operator_service.create_nexus_endpoint(
        temporalio.api.operatorservice.v1.CreateNexusEndpointRequest(
            spec=temporalio.api.nexus.v1.EndpointSpec(
                name=name,
                target=temporalio.api.nexus.v1.EndpointTarget(
                    worker=temporalio.api.nexus.v1.EndpointTarget.Worker(
                        namespace=client.namespace, task_queue=task_queue
                    )
                ),
            )
        )
    )


@contextlib.asynccontextmanager
async def handler_worker(client: Client, task_queue: str) -> AsyncIterator[None]:
    wf = _service()
    await create_endpoint(client, wf.ENDPOINT, task_queue)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[HandlerRun, HandlerWaitForever, HandlerFailLater],
        nexus_service_handlers=[handler_class(wf.GoldenService)()],
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        yield


async def _serve(target: str, task_queue: str, *, caller: bool) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "golden_nexus_workflows", Path(__file__).parent / "workflows.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # The caller workflows import tempyral.workflow: the official names stand in for them here.
    import temporalio.exceptions

    sys.modules["tempyral.workflow"] = workflow
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    sys.modules["golden_nexus_workflows"] = module
    spec.loader.exec_module(module)
    client = await Client.connect(target)
    if caller:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=module.WORKFLOWS,
            workflow_runner=UnsandboxedWorkflowRunner(),
            identity="official-caller",
            max_cached_workflows=0,
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        return
    async with handler_worker(client, task_queue):
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--caller"]
    asyncio.run(_serve(arguments[0], arguments[1], caller="--caller" in sys.argv))
    sys.stdout.flush()
    os._exit(0)  # the official core can abort at interpreter exit
