"""Workflow interceptors: the classes and inputs of ``temporalio.worker``'s workflow half.

Names and fields are the official SDK's; ``tempyral.worker`` re-exports them (their official
home). They are defined here, in the engine's layer, because the engine calls them: a worker and
the ``Replayer`` alike build one chain per run from each interceptor's
``workflow_interceptor_class``. The first interceptor given is the outermost. Inbound calls
(run, signals, queries, updates) flow from the outermost interceptor to the workflow;
outbound calls (activities, children, signals to other workflows, continue-as-new, ``info()``)
flow from the workflow's API through the outbound chain that each inbound ``init`` may wrap,
and headers put on them travel in the commands the engine writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.common import Priority, RetryPolicy, WorkflowIDReusePolicy

if TYPE_CHECKING:
    # Annotations only: importing a worker (which re-exports these classes) need not import
    # the workflow API; workflow code imports it itself.
    from tempyral.workflow._activities import ActivityCancellationType, ActivityHandle
    from tempyral.workflow._children import (
        ChildWorkflowCancellationType,
        ChildWorkflowHandle,
        ParentClosePolicy,
    )
    from tempyral.workflow._context import Info
    from tempyral.workflow._nexus import NexusOperationCancellationType, NexusOperationHandle
    from tempyral.workflow._signal_with_start import (
        SignalWithStartWorkflowRequest,
        SignalWithStartWorkflowResponse,
    )

__all__ = [
    "ContinueAsNewInput",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "PatchActivationInput",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "StartNexusOperationInput",
    "WorkflowInboundInterceptor",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
]


@dataclass(frozen=True)
class PatchActivationInput:
    """Input for the worker patch activation callback."""

    workflow_info: Info
    """Information about the workflow execution calling ``patched``."""

    patch_id: str
    """Patch ID passed to ``patched``."""


@dataclass(frozen=True)
class WorkflowInterceptorClassInput:
    """Input for ``Interceptor.workflow_interceptor_class``."""

    unsafe_extern_functions: MutableMapping[str, Callable[..., Any]]
    """Functions workflow code may reach through ``workflow.extern_functions()``: not
    deterministic, use with care."""


@dataclass
class ExecuteWorkflowInput:
    """Input for :py:meth:`WorkflowInboundInterceptor.execute_workflow`."""

    type: type
    run_fn: Callable[..., Awaitable[Any]]
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleSignalInput:
    """Input for :py:meth:`WorkflowInboundInterceptor.handle_signal`."""

    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleQueryInput:
    """Input for :py:meth:`WorkflowInboundInterceptor.handle_query`."""

    id: str
    query: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleUpdateInput:
    """Input for the update validator and handler calls of the inbound interceptor."""

    id: str
    update: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class SignalChildWorkflowInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.signal_child_workflow`."""

    signal: str
    args: Sequence[Any]
    child_workflow_id: str
    headers: Mapping[str, Payload]
    event_groups: Sequence[Any] | None = None


@dataclass
class SignalExternalWorkflowInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.signal_external_workflow`."""

    signal: str
    args: Sequence[Any]
    namespace: str
    workflow_id: str
    workflow_run_id: str | None
    headers: Mapping[str, Payload]
    event_groups: Sequence[Any] | None = None


@dataclass
class ContinueAsNewInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.continue_as_new`."""

    workflow: str | None
    args: Sequence[Any]
    task_queue: str | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    backoff_start_interval: timedelta | None
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: Mapping[str, Payload]
    versioning_intent: Any
    initial_versioning_behavior: Any
    event_groups: Sequence[Any] | None = None
    arg_types: list[type] | None = None


@dataclass
class StartActivityInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.start_activity`."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: ActivityCancellationType
    headers: Mapping[str, Payload]
    disable_eager_execution: bool
    versioning_intent: Any
    summary: str | None
    event_groups: Sequence[Any] | None = field(default=None, kw_only=True)
    priority: Priority | None
    arg_types: list[type] | None
    ret_type: type | None


@dataclass
class StartChildWorkflowInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.start_child_workflow`."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str | None
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: Mapping[str, Payload]
    versioning_intent: Any
    static_summary: str | None
    static_details: str | None
    versioning_override: Any = field(default=None, kw_only=True)
    event_groups: Sequence[Any] | None = field(default=None, kw_only=True)
    priority: Priority | None
    arg_types: list[type] | None
    ret_type: type | None


@dataclass
class StartLocalActivityInput:
    """Input for :py:meth:`WorkflowOutboundInterceptor.start_local_activity`."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    local_retry_threshold: timedelta | None
    cancellation_type: ActivityCancellationType
    headers: Mapping[str, Payload]
    summary: str | None
    event_groups: Sequence[Any] | None = None
    arg_types: list[type] | None = None
    ret_type: type | None = None


InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


@dataclass
class StartNexusOperationInput(Generic[InputT, OutputT]):
    """Input for :py:meth:`WorkflowOutboundInterceptor.start_nexus_operation`."""

    endpoint: str
    service: str
    operation: Any  # a nexusrpc.Operation, a decorated operation method, or the name
    input: InputT
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    cancellation_type: NexusOperationCancellationType
    headers: Mapping[str, str] | None
    summary: str | None
    event_groups: Sequence[Any] | None = None
    output_type: type[OutputT] | None = None

    def __post_init__(self) -> None:
        """An operation given as a definition brings its own output type."""
        from tempyral.workflow._nexus import nexus_operation_output_type

        if not isinstance(self.operation, str):
            self.output_type = nexus_operation_output_type(self.operation)

    @property
    def operation_name(self) -> str:
        """The name of the Nexus operation."""
        from tempyral.workflow._nexus import nexus_operation_name

        return nexus_operation_name(self.operation)


class WorkflowInboundInterceptor:
    """Inbound interceptor to wrap outbound creation, workflow execution, and signal/query/update
    handling. Extend it; every call delegates to ``next`` by default.
    """

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        """Create the inbound interceptor; ``next`` is the next interceptor in the chain."""
        self.next = next

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Initialize with an outbound interceptor; wrap it before passing it on to ``next``."""
        self.next.init(outbound)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Called to run the workflow."""
        return await self.next.execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Called to handle a signal."""
        return await self.next.handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        """Called to handle a query."""
        return await self.next.handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """Called to handle an update's validator (only when the update is first delivered)."""
        self.next.handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Called to handle an update."""
        return await self.next.handle_update_handler(input)


class WorkflowOutboundInterceptor:
    """Outbound interceptor to wrap calls made from within workflows. Extend it; every call
    delegates to ``next`` by default.
    """

    def __init__(self, next: WorkflowOutboundInterceptor) -> None:
        """Create the outbound interceptor; ``next`` is the next interceptor in the chain."""
        self.next = next

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        """Called for every :py:func:`tempyral.workflow.continue_as_new` call."""
        self.next.continue_as_new(input)

    def info(self) -> Info:
        """Called for every :py:func:`tempyral.workflow.info` call."""
        return self.next.info()

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        """Called for every signal to a child workflow's handle."""
        return await self.next.signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        """Called for every signal to an external workflow's handle."""
        return await self.next.signal_external_workflow(input)

    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Called for every :py:func:`tempyral.workflow.start_activity` and
        :py:func:`tempyral.workflow.execute_activity` call."""
        return self.next.start_activity(input)

    async def start_child_workflow(
        self, input: StartChildWorkflowInput
    ) -> ChildWorkflowHandle[Any, Any]:
        """Called for every :py:func:`tempyral.workflow.start_child_workflow` and
        :py:func:`tempyral.workflow.execute_child_workflow` call."""
        return await self.next.start_child_workflow(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
        """Called for every local activity start (when local activities land)."""
        return self.next.start_local_activity(input)

    async def start_nexus_operation(
        self, input: StartNexusOperationInput[Any, OutputT]
    ) -> NexusOperationHandle[OutputT]:
        """Called for every :py:meth:`tempyral.workflow.NexusClient.start_operation` and
        :py:meth:`tempyral.workflow.NexusClient.execute_operation` call."""
        return await self.next.start_nexus_operation(input)

    async def start_system_nexus_operation(
        self, input: StartNexusOperationInput[Any, OutputT]
    ) -> NexusOperationHandle[OutputT]:
        """Called for every operation of the server's system Nexus endpoint (after its own
        method, such as :py:meth:`start_signal_with_start_workflow`)."""
        return await self.next.start_system_nexus_operation(input)

    async def start_signal_with_start_workflow(
        self, request: SignalWithStartWorkflowRequest
    ) -> NexusOperationHandle[SignalWithStartWorkflowResponse]:
        """Called for every :py:func:`tempyral.workflow.signal_with_start_workflow` call."""
        return await self.next.start_signal_with_start_workflow(request)
