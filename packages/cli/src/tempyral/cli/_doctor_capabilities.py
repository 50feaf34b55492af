"""What ``tempyral doctor`` reports a server can do, each found by asking the server.

``GetSystemInfo`` advertises some features, but not whether this namespace has them turned on:
the dev server advertises build-id versioning while refusing its calls on every namespace, and
says nothing about time skipping at all. So each capability comes from a read-only call whose
answer tells: a known refusal (``UNIMPLEMENTED``, ``PERMISSION_DENIED``) means off, an answer (or
``NOT_FOUND`` for a workflow that does not exist) means on. Nothing is created or changed.

Time skipping comes in two kinds: the official Java test server's one clock for the whole server
(``TestService``, what ``start_time_skipping`` starts), and a 1.32+ server's per-workflow skipping
(dynamic config ``frontend.WorkflowTimeSkippingEnabled``, what ``tempyral.testing.TimeSkipper``
uses). A capability whose probe fails in another way is reported as unknown (``None``) with the
reason, never guessed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.dependencies.google.protobuf.empty_pb2 import Empty
from tempyral.api.operatorservice.v1.request_response_pb2 import ListNexusEndpointsRequest
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    DescribeNamespaceResponse,
    GetSystemInfoResponse,
    GetWorkerBuildIdCompatibilityRequest,
    ListWorkerDeploymentsRequest,
    PollWorkflowExecutionTimeSkippingRequest,
)
from tempyral.service import RPCError, RPCStatusCode, ServiceClient

__all__ = ["TIME_SKIPPING_KINDS", "Capabilities", "probe_capabilities"]

# The values of the ``time_skipping`` fact.
TEST_SERVER = "test-server"
PER_WORKFLOW = "per-workflow"
OFF = "off"
TIME_SKIPPING_KINDS = (TEST_SERVER, PER_WORKFLOW, OFF)

# Refusals that mean "this server or namespace does not have the feature".
_REFUSED = frozenset({RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED})


@dataclass(frozen=True)
class Capabilities:
    """The facts the capabilities check reports, and the notes explaining unknown ones."""

    facts: dict[str, object]
    notes: list[str]


class _Prober:
    def __init__(self, client: ServiceClient, namespace: str, timeout: float) -> None:
        self.client = client
        self.namespace = namespace
        self.limit = timedelta(seconds=timeout)
        self.notes: list[str] = []

    async def answered(self, name: str, call: Awaitable[object]) -> bool | None:
        """True when the call answers, False on a refusal, None (noted) otherwise."""
        try:
            await call
        except RPCError as err:
            if err.status in _REFUSED:
                return False
            self.notes.append(f"{name} unknown ({err.status.name}: {err.message})")
            return None
        return True

    async def time_skipping(self) -> str | None:
        try:
            await self.client.test_service.get_current_time(Empty(), timeout=self.limit)
        except RPCError:
            pass  # not the test server (a real frontend: "unknown service"); ask per workflow
        else:
            return TEST_SERVER
        # A workflow id that cannot exist: with the feature on the server looks it up (NOT_FOUND);
        # with it off the frontend refuses before looking (UNIMPLEMENTED).
        nowhere = WorkflowExecution(workflow_id=f"tempyral-doctor-probe-{uuid.uuid4()}")
        request = PollWorkflowExecutionTimeSkippingRequest(
            namespace=self.namespace, workflow_execution=nowhere, fast_forward_id="probe"
        )
        try:
            await self.client.workflow_service.poll_workflow_execution_time_skipping(
                request, timeout=self.limit
            )
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return PER_WORKFLOW
            if err.status in _REFUSED:
                return OFF
            self.notes.append(f"time skipping unknown ({err.status.name}: {err.message})")
            return None
        return PER_WORKFLOW

    async def worker_deployments(self) -> bool | None:
        request = ListWorkerDeploymentsRequest(namespace=self.namespace, page_size=1)
        call = self.client.workflow_service.list_worker_deployments(request, timeout=self.limit)
        return await self.answered("worker deployment versioning", call)

    async def build_id_versioning(self) -> bool | None:
        request = GetWorkerBuildIdCompatibilityRequest(
            namespace=self.namespace, task_queue=f"tempyral-doctor-probe-{uuid.uuid4()}"
        )
        service = self.client.workflow_service
        call = service.get_worker_build_id_compatibility(request, timeout=self.limit)
        return await self.answered("build-id versioning", call)

    async def nexus_endpoints(self) -> int | None:
        count, page = 0, b""
        while True:
            request = ListNexusEndpointsRequest(page_size=100, next_page_token=page)
            try:
                listed = await self.client.operator_service.list_nexus_endpoints(
                    request, timeout=self.limit
                )
            except RPCError as err:
                self.notes.append(f"Nexus endpoints not listed ({err.status.name}: {err.message})")
                return None
            count += len(listed.endpoints)
            page = listed.next_page_token
            if not page:
                return count


async def probe_capabilities(
    client: ServiceClient,
    info: GetSystemInfoResponse,
    described: DescribeNamespaceResponse,
    namespace: str,
    timeout: float,
) -> Capabilities:
    """Ask the server what it can do for ``namespace``; see the module docstring."""
    prober = _Prober(client, namespace, timeout)
    ns_caps = described.namespace_info.capabilities
    endpoints = await prober.nexus_endpoints()
    facts: dict[str, object] = {
        "server_version": info.server_version or "unknown",
        "updates": bool(ns_caps.sync_update or ns_caps.async_update),
        # The namespace's own switch: GetSystemInfo says yes whenever the server has the code.
        "eager_workflow_start": ns_caps.eager_workflow_start,
        "worker_deployment_versioning": await prober.worker_deployments(),
        # The deprecated version sets (build-id compatibility), not Worker Deployments.
        "build_id_versioning": await prober.build_id_versioning(),
        "nexus": info.capabilities.nexus,
        # Without an endpoint no workflow can call a Nexus operation; None: not allowed to list.
        "nexus_endpoints": endpoints,
        "standalone_nexus_operations": ns_caps.standalone_nexus_operation,
        "time_skipping": await prober.time_skipping(),
    }
    return Capabilities(facts, prober.notes)
