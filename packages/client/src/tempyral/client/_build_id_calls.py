"""The worker build-id compatibility calls, at both ends of the interceptor chain.

:py:class:`_BuildIdClientCalls` (a mixin of ``Client``) builds each input and hands it to the
interceptors; :py:class:`_BuildIdImplCalls` (a mixin of ``_impl._ClientImpl``) makes the RPC.
The types they use are in ``_build_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata

if TYPE_CHECKING:
    from tempyral.client._build_id import (
        BuildIdOp,
        GetWorkerBuildIdCompatibilityInput,
        GetWorkerTaskReachabilityInput,
        TaskReachabilityType,
        UpdateWorkerBuildIdCompatibilityInput,
        WorkerBuildIdVersionSets,
        WorkerTaskReachability,
    )
    from tempyral.client._client import Client
    from tempyral.client._interceptor import OutboundInterceptor

__all__ = ["_BuildIdClientCalls", "_BuildIdImplCalls"]

# The build-id classes are imported by the calls that use them: a client loads them with its
# first build-id call, not when it is imported.


class _BuildIdClientCalls:
    _impl: OutboundInterceptor

    async def update_worker_build_id_compatibility(
        self,
        task_queue: str,
        operation: BuildIdOp,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Change the compatible build-id sets of a task queue with one ``operation``.

        Deprecated by the server in favour of worker deployments, which serves it only with
        ``frontend.workerVersioningDataAPIs`` on.

        Raises:
            RPCError: The server refused the operation (an unknown build id, or the API off).
        """
        from tempyral.client._build_id import UpdateWorkerBuildIdCompatibilityInput

        await self._impl.update_worker_build_id_compatibility(
            UpdateWorkerBuildIdCompatibilityInput(
                task_queue, operation, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    async def get_worker_build_id_compatibility(
        self,
        task_queue: str,
        max_sets: int | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkerBuildIdVersionSets:
        """The compatible build-id sets of a task queue (the newest ``max_sets``, or all).

        Deprecated by the server in favour of worker deployments.
        """
        from tempyral.client._build_id import GetWorkerBuildIdCompatibilityInput

        return await self._impl.get_worker_build_id_compatibility(
            GetWorkerBuildIdCompatibilityInput(
                task_queue, max_sets, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    async def get_worker_task_reachability(
        self,
        build_ids: Sequence[str],
        task_queues: Sequence[str] = (),
        reachability_type: TaskReachabilityType | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> WorkerTaskReachability:
        """Whether tasks can still reach each of ``build_ids`` (at least one), on ``task_queues``
        (default: every queue they are on).

        The server covers a limited number of queues per call; those it skipped are listed in
        :py:attr:`BuildIdReachability.unretrieved_task_queues` (ask again for them).
        ``reachability_type`` narrows what the server looks for. Deprecated by the server in
        favour of worker deployments, which serves it only with
        ``frontend.workerVersioningWorkflowAPIs`` on.
        """
        from tempyral.client._build_id import GetWorkerTaskReachabilityInput

        return await self._impl.get_worker_task_reachability(
            GetWorkerTaskReachabilityInput(
                build_ids,
                task_queues,
                reachability_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )


class _BuildIdImplCalls:
    _client: Client

    async def update_worker_build_id_compatibility(
        self, input: UpdateWorkerBuildIdCompatibilityInput
    ) -> None:
        request = input.operation._to_request()
        request.namespace = self._client.namespace
        request.task_queue = input.task_queue
        await self._client.workflow_service.update_worker_build_id_compatibility(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )

    async def get_worker_build_id_compatibility(
        self, input: GetWorkerBuildIdCompatibilityInput
    ) -> WorkerBuildIdVersionSets:
        from tempyral.client._build_id import WorkerBuildIdVersionSets

        request = ws.GetWorkerBuildIdCompatibilityRequest(
            namespace=self._client.namespace,
            task_queue=input.task_queue,
            max_sets=input.max_sets or 0,  # 0: every set
        )
        response = await self._client.workflow_service.get_worker_build_id_compatibility(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )
        return WorkerBuildIdVersionSets._from_proto(response)

    async def get_worker_task_reachability(
        self, input: GetWorkerTaskReachabilityInput
    ) -> WorkerTaskReachability:
        from tempyral.client._build_id import WorkerTaskReachability

        request = ws.GetWorkerTaskReachabilityRequest(
            namespace=self._client.namespace,
            build_ids=input.build_ids,
            task_queues=input.task_queues,
        )
        if input.reachability is not None:
            request.reachability = input.reachability._to_proto()
        response = await self._client.workflow_service.get_worker_task_reachability(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )
        return WorkerTaskReachability._from_proto(response)
