"""``workflow.signal_with_start_workflow``: signal a workflow from workflow code, starting it first
if needed (mirrors the official SDK's, which re-exports it from ``temporalio.nexus.system``).

The official SDK runs it as a Nexus operation of the server's own system endpoint
(``__temporal_system``, service ``temporal.api.workflowservice.v1.WorkflowService``, operation
``SignalWithStartWorkflowExecution``): a ``ScheduleNexusOperation`` command whose input is a
``SignalWithStartWorkflowExecutionRequest`` and whose result is the response, both as
``binary/protobuf`` payloads. tempyral writes the same command, so the histories are the same.
The server must allow it (dynamic config ``history.enableSignalWithStartFromWorkflow``).

:py:class:`SignalWithStartWorkflowRequest` is what the outbound interceptors'
``start_signal_with_start_workflow`` sees (as the official model of that name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.common import WorkflowIDReusePolicy
from tempyral.workflow._children import ExternalWorkflowHandle, get_external_workflow_handle
from tempyral.workflow._context import _Runtime

if TYPE_CHECKING:
    from tempyral.common import (
        Priority,
        RetryPolicy,
        TypedSearchAttributes,
        VersioningOverride,
        WorkflowIDConflictPolicy,
    )

__all__ = [
    "SYSTEM_ENDPOINT",
    "SYSTEM_OPERATION",
    "SYSTEM_SERVICE",
    "SignalWithStartWorkflowRequest",
    "SignalWithStartWorkflowResponse",
    "UserMetadata",
    "signal_with_start_workflow",
]

SYSTEM_ENDPOINT = "__temporal_system"
SYSTEM_SERVICE = "temporal.api.workflowservice.v1.WorkflowService"
SYSTEM_OPERATION = "SignalWithStartWorkflowExecution"


def _current_namespace() -> str:
    return _Runtime.current().workflow_info().namespace


@dataclasses.dataclass(slots=True)
class UserMetadata:
    """Summary and details shown for the started workflow in UI and CLI."""

    static_summary: Any | None = None
    static_details: Any | None = None


@dataclasses.dataclass(slots=True, kw_only=True)
class SignalWithStartWorkflowRequest:
    """What to start (unless running) and what to signal: the official model's fields."""

    workflow: str | Callable[..., Awaitable[object]]
    args: list[Any] | None = None
    id: str
    task_queue: str
    signal: str | Callable[..., None | Awaitable[None]]
    signal_args: list[Any] | None = None
    execution_timeout: timedelta | None = None
    run_timeout: timedelta | None = None
    task_timeout: timedelta | None = None
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    id_conflict_policy: WorkflowIDConflictPolicy | None = None
    retry_policy: RetryPolicy | None = None
    cron_schedule: str | None = None
    memo: Mapping[str, Any] | None = None
    search_attributes: TypedSearchAttributes | None = None
    priority: Priority | None = None
    versioning_override: VersioningOverride | None = None
    start_delay: timedelta | None = None
    user_metadata: UserMetadata | None = None
    namespace: str = dataclasses.field(default_factory=_current_namespace)
    headers: Mapping[str, Any] | None = None


@dataclasses.dataclass(slots=True)
class SignalWithStartWorkflowResponse:
    """The run signalled (``started`` when this request started it)."""

    run_id: str | None = None
    started: bool | None = None


async def signal_with_start_workflow(
    workflow: str | Callable[..., Awaitable[object]],
    *positional_args: object,
    args: list[Any] | None = None,
    id: str,
    task_queue: str,
    signal: str | Callable[..., None | Awaitable[None]],
    signal_args: object | list[Any] | None = None,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    id_conflict_policy: WorkflowIDConflictPolicy | None = None,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str | None = None,
    memo: Mapping[str, Any] | None = None,
    search_attributes: TypedSearchAttributes | None = None,
    priority: Priority | None = None,
    versioning_override: VersioningOverride | None = None,
    start_delay: timedelta | None = None,
    static_summary: str | None = None,
    static_details: str | None = None,
) -> ExternalWorkflowHandle[Any]:
    """Signal a workflow, starting it first if it is not running.

    Args:
        workflow: The workflow to start: its ``@workflow.run`` method or its type name.
        positional_args: The workflow's arguments (not with ``args``).
        args: The workflow's arguments as a list (not with positional arguments).
        id: The workflow id.
        task_queue: The task queue the workflow runs on.
        signal: The signal: its ``@workflow.signal`` method or its name.
        signal_args: The signal's argument, or a list of its arguments (to pass one argument
            that is itself a list, wrap it in another list).
        execution_timeout: Total time of the workflow execution, retries and continue-as-new
            included.
        run_timeout: Time of one run.
        task_timeout: Time of one workflow task.
        id_reuse_policy: What to do when a closed workflow has the id.
        id_conflict_policy: What to do when a running workflow has the id.
        retry_policy: The workflow's retry policy.
        cron_schedule: A cron schedule for the workflow.
        memo: The workflow's memo.
        search_attributes: The workflow's search attributes.
        priority: The workflow's priority.
        versioning_override: Overrides the workflow's versioning behavior.
        start_delay: How long to wait before starting the workflow.
        static_summary: A single-line summary shown in UI and CLI.
        static_details: Details shown in UI and CLI.

    Returns:
        A handle to the workflow signalled.
    """
    if positional_args and args is not None:
        raise TypeError("cannot specify both positional arguments and args")
    workflow_args = list(positional_args) if positional_args else args
    if signal_args is None or isinstance(signal_args, list):
        signal_values: list[Any] | None = signal_args
    else:
        signal_values = [signal_args]
    metadata = None
    if static_summary is not None or static_details is not None:
        metadata = UserMetadata(static_summary=static_summary, static_details=static_details)
    request = SignalWithStartWorkflowRequest(
        workflow=workflow,
        args=workflow_args,
        id=id,
        task_queue=task_queue,
        signal=signal,
        signal_args=signal_values,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        id_conflict_policy=id_conflict_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        priority=priority,
        versioning_override=versioning_override,
        start_delay=start_delay,
        user_metadata=metadata,
    )
    from tempyral.workflow._nexus import NexusClient, create_nexus_client  # imported late

    client: NexusClient[Any] = create_nexus_client(service=SYSTEM_SERVICE, endpoint=SYSTEM_ENDPOINT)
    handle = await client.start_operation(
        SYSTEM_OPERATION, request, output_type=SignalWithStartWorkflowResponse
    )
    response: SignalWithStartWorkflowResponse = await handle
    return get_external_workflow_handle(request.id, run_id=response.run_id)
