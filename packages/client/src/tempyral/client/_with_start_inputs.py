"""The input dataclasses of update-with-start (names and fields as in ``temporalio.client``),
apart from ``_inputs`` so that a client loads them with its first update-with-start."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payload, TimeSkippingConfig
from tempyral.api.workflowservice.v1.request_response_pb2 import StartWorkflowExecutionResponse
from tempyral.client._inputs import RpcMetadata
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

if TYPE_CHECKING:
    from tempyral.client._update import WorkflowUpdateStage

__all__ = [
    "StartWorkflowUpdateWithStartInput",
    "UpdateWithStartStartWorkflowInput",
    "UpdateWithStartUpdateWorkflowInput",
]


@dataclass
class UpdateWithStartUpdateWorkflowInput:
    """The update half of :py:class:`StartWorkflowUpdateWithStartInput`."""

    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Payload]
    ret_type: type | None


@dataclass
class UpdateWithStartStartWorkflowInput:
    """The start half of :py:class:`StartWorkflowUpdateWithStartInput`."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: SearchAttributes | TypedSearchAttributes | None
    start_delay: timedelta | None
    headers: Mapping[str, Payload]
    static_summary: str | None
    static_details: str | None
    ret_type: type | None
    priority: Priority
    versioning_override: VersioningOverride | None = None
    time_skipping_config: TimeSkippingConfig | None = None


@dataclass
class StartWorkflowUpdateWithStartInput:
    """Input for :py:meth:`OutboundInterceptor.start_update_with_start_workflow`."""

    start_workflow_input: UpdateWithStartStartWorkflowInput
    update_workflow_input: UpdateWithStartUpdateWorkflowInput
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    _on_start: Callable[[StartWorkflowExecutionResponse], None]
    _on_start_error: Callable[[BaseException], None]
