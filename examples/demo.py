"""tempyral's main job: a Temporal dev server, a worker, and a workflow run end to end.

``hatch run demo`` starts the embedded dev server, prints its version (a call through the generated
gRPC stubs), runs a worker hosting a workflow and an activity, starts the workflow with the client,
signals and queries it, and prints its result. Everything stops when it is done.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import grpc

from tempyral import activity, workflow
from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc
from tempyral.client import Client
from tempyral.testing import DevServer
from tempyral.worker import Worker


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class Greeter:
    # @workflow.init: the first name is in place before any signal, even one that arrives with
    # the start, is handled.
    @workflow.init
    def __init__(self, first: str) -> None:
        self.names: list[str] = [first]
        self.done = False

    @workflow.run
    async def run(self, first: str) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return [
            await workflow.execute_activity(
                compose_greeting, name, start_to_close_timeout=timedelta(seconds=10)
            )
            for name in self.names
        ]

    @workflow.signal
    def add(self, name: str) -> None:
        self.names.append(name)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def waiting(self) -> list[str]:
        return list(self.names)


async def main() -> None:
    async with DevServer() as server:
        print(f"dev server up at {server.target}")
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = service_pb2_grpc.WorkflowServiceStub(channel)
            info = await stub.GetSystemInfo(request_response_pb2.GetSystemInfoRequest())
        print(f"server version: {info.server_version}")

        client = await Client.connect(server.target)
        async with Worker(
            client, task_queue="demo", workflows=[Greeter], activities=[compose_greeting]
        ):
            handle = await client.start_workflow(
                Greeter.run, "Ada", id=f"greeter-{uuid.uuid4()}", task_queue="demo"
            )
            await handle.signal(Greeter.add, "Grace")
            print(f"waiting to greet: {await handle.query(Greeter.waiting)}")
            await handle.signal(Greeter.finish)
            for line in await handle.result():
                print(line)
            history = await handle.fetch_history()
            print(f"workflow {handle.id} completed in {len(history.events)} history events")
    print("worker and dev server stopped")


if __name__ == "__main__":
    asyncio.run(main())
