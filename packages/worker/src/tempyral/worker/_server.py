"""What a worker asks the server when it starts, and tells it when it stops.

At start (:py:func:`server_facts`), as Temporal's core SDK validates a worker: the namespace must
exist (``DescribeNamespace``), and the namespace and system capabilities decide how polls end on
shutdown and which versioning fields are sent. At shutdown (:py:func:`shutdown_worker`), the
``ShutdownWorker`` call lets servers that support it complete this worker's outstanding polls;
servers without it answer UNIMPLEMENTED, which is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tempyral.api.enums.v1.task_queue_pb2 import (
    TASK_QUEUE_TYPE_ACTIVITY,
    TASK_QUEUE_TYPE_NEXUS,
    TASK_QUEUE_TYPE_WORKFLOW,
)
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeNamespaceRequest,
    GetSystemInfoRequest,
    GetSystemInfoResponse,
    ShutdownWorkerRequest,
)
from tempyral.common import logger
from tempyral.service import RPCError, RPCStatusCode, WorkflowService

__all__ = ["ServerFacts", "server_facts", "shutdown_worker"]

_CALL_TIMEOUT = timedelta(seconds=30)


@dataclass(frozen=True)
class ServerFacts:
    """What the worker learned from the server at start."""

    server_version: str = ""
    build_id_based_versioning: bool = False
    graceful_poll_shutdown: bool = False
    """The server completes outstanding polls after ``ShutdownWorker`` (no need to cancel)."""
    blob_size_limit_error: int = 0
    memo_size_limit_error: int = 0
    """The namespace's payload error limits, in bytes (0: none known)."""


async def server_facts(
    service: WorkflowService, namespace: str, *, system_info: GetSystemInfoResponse | None = None
) -> ServerFacts:
    """Check the namespace exists and read the capabilities; raise a clear error if not.

    ``system_info`` is the client's answer from connect: given, ``GetSystemInfo`` is not asked
    again (a lazy client has none, and the server is asked).
    """
    try:
        described = await service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), retry=True, timeout=_CALL_TIMEOUT
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise RuntimeError(
                f"Worker validation failed: namespace {namespace!r} does not exist on the "
                f"server ({err.message}); create it, or connect the client to an existing one"
            ) from err
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise RuntimeError(
                f"Worker validation failed: describing namespace {namespace!r} failed with "
                f"{err.status.name}: {err.message}"
            ) from err
        described = None
    capabilities = described.namespace_info.capabilities if described is not None else None
    limits = described.namespace_info.limits if described is not None else None
    try:
        system = system_info
        if system is None:
            system = await service.get_system_info(
                GetSystemInfoRequest(), retry=True, timeout=_CALL_TIMEOUT
            )
        version = system.server_version
        build_ids = system.capabilities.build_id_based_versioning
    except RPCError as err:
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        version, build_ids = "", False
    return ServerFacts(
        server_version=version,
        build_id_based_versioning=build_ids,
        graceful_poll_shutdown=bool(
            capabilities is not None and capabilities.worker_poll_complete_on_shutdown
        ),
        blob_size_limit_error=max(limits.blob_size_limit_error, 0) if limits is not None else 0,
        memo_size_limit_error=max(limits.memo_size_limit_error, 0) if limits is not None else 0,
    )


async def shutdown_worker(
    service: WorkflowService,
    *,
    namespace: str,
    task_queue: str,
    identity: str,
    worker_instance_key: str,
    activities: bool,
    workflows: bool,
    sticky_task_queue: str = "",
    nexus: bool = False,
) -> None:
    """Tell the server this worker is going away. Never raises."""
    types = [
        *([TASK_QUEUE_TYPE_WORKFLOW] if workflows else []),
        *([TASK_QUEUE_TYPE_ACTIVITY] if activities else []),
        *([TASK_QUEUE_TYPE_NEXUS] if nexus else []),
    ]
    request = ShutdownWorkerRequest(
        namespace=namespace,
        sticky_task_queue=sticky_task_queue,
        identity=identity,
        reason="graceful shutdown",
        worker_instance_key=worker_instance_key,
        task_queue=task_queue,
        task_queue_types=types,
    )
    try:
        await service.shutdown_worker(request, timeout=timedelta(seconds=10))
    except RPCError as err:
        if err.status not in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.UNAVAILABLE):
            logger.warning(
                "ShutdownWorker call failed during worker shutdown: {}: {}", err.status.name, err
            )
