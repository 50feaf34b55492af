"""An official ``temporalio`` worker hosting a workflow that calls Nexus operations.

Run as a separate process (the official SDK never shares a process with the code under test):

    python nexus_caller.py --target HOST:PORT --task-queue QUEUE [--codec]

It prints ``READY`` once its worker runs and stops when stdin closes. Its one workflow,
``CallNexus(spec)``, starts the operation ``spec["operation"]`` of service ``spec["service"]``
on endpoint ``spec["endpoint"]`` with input ``spec["input"]`` and returns
``{"result": ..., "token": ...}`` or ``{"error": <the failure chain>}``. With
``spec["cancel"]`` it waits for the signal ``cancel_operation`` after the operation started,
then cancels it. The operations are served by a tempyral worker in the test process, so what
the official caller sees is what tempyral's handler side reported. With ``--codec`` the
caller's client encodes payloads with ``codec_workflows.XorCodec`` (the tests' shared codec).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import nexusrpc
from temporalio import workflow
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError, FailureError, NexusOperationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


def describe(err: BaseException) -> dict[str, Any]:
    """The failure chain as plain data the test process can check."""
    found: dict[str, Any] = {"class": type(err).__name__, "message": str(err)}
    if isinstance(err, FailureError):
        found["message"] = err.message
    if isinstance(err, NexusOperationError):
        found["operation_token"] = err.operation_token
    if isinstance(err, ApplicationError):
        found["type"] = err.type
        found["non_retryable"] = err.non_retryable
    if isinstance(err, nexusrpc.HandlerError):
        found["message"] = err.message
        found["handler_error_type"] = err.type.name
        found["retryable"] = err.retryable
    if err.__cause__ is not None:
        found["cause"] = describe(err.__cause__)
    return found


@workflow.defn(name="CallNexus")
class CallNexus:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_operation(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        client = workflow.create_nexus_client(service=spec["service"], endpoint=spec["endpoint"])
        token = None
        try:
            handle = await client.start_operation(
                spec["operation"],
                spec.get("input"),
                schedule_to_close_timeout=timedelta(seconds=spec.get("timeout_s", 30)),
            )
            token = handle.operation_token
            if spec.get("cancel"):
                await workflow.wait_condition(lambda: self._cancel)
                handle.cancel()
            result = await handle
        except Exception as err:
            return {"error": describe(err), "token": token}
        info = workflow.info()
        return {
            "result": result,
            "token": token,
            "caller_id": info.workflow_id,
            "caller_run_id": info.run_id,
        }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--codec", action="store_true")
    args = parser.parse_args()
    converter = DataConverter.default
    if args.codec:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        from codec_official import load_shared

        converter = dataclasses.replace(converter, payload_codec=load_shared().XorCodec())
    client = await Client.connect(args.target, data_converter=converter)
    async with Worker(
        client,
        task_queue=args.task_queue,
        workflows=[CallNexus],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        print("READY", flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The official core can abort at interpreter exit: leave without finalization.
    os._exit(0)
