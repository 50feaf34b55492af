"""tempyral's main job, at this stage of the project: start the embedded Temporal dev server and
make a real call through the generated gRPC stubs, printing what the server says about itself.

Run it with ``hatch run demo``. Later issues grow this into a full workflow demo.
"""

from __future__ import annotations

import asyncio

import grpc

from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc
from tempyral.testing import DevServer


async def main() -> None:
    async with DevServer() as server:
        print(f"dev server up at {server.target}")
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = service_pb2_grpc.WorkflowServiceStub(channel)
            info = await stub.GetSystemInfo(request_response_pb2.GetSystemInfoRequest())
            namespaces = await stub.ListNamespaces(request_response_pb2.ListNamespacesRequest())
        print(f"server version: {info.server_version}")
        names = sorted(ns.namespace_info.name for ns in namespaces.namespaces)
        print(f"namespaces: {', '.join(names)}")
    print("dev server stopped")


if __name__ == "__main__":
    asyncio.run(main())
