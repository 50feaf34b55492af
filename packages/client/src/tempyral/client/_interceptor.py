"""Client interceptors: :py:class:`Interceptor` and :py:class:`OutboundInterceptor`.

Every client call builds its input dataclass (``_inputs``) and hands it to the first outbound
interceptor; each one may change the input (add ``headers``, change ``rpc_metadata``) and calls
``self.next``. The last one is ``_impl._ClientImpl``, which builds the request and makes the RPC.
Method and input names are those of ``temporalio.client``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tempyral.client._inputs import (
    CancelWorkflowInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    ListWorkflowsInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    TerminateWorkflowInput,
)

if TYPE_CHECKING:
    from tempyral.client._async_activity_inputs import (
        CompleteAsyncActivityInput,
        FailAsyncActivityInput,
        HeartbeatAsyncActivityInput,
        ReportCancellationAsyncActivityInput,
    )
    from tempyral.client._build_id import (
        GetWorkerBuildIdCompatibilityInput,
        GetWorkerTaskReachabilityInput,
        UpdateWorkerBuildIdCompatibilityInput,
        WorkerBuildIdVersionSets,
        WorkerTaskReachability,
    )
    from tempyral.client._handle import WorkflowHandle
    from tempyral.client._list import (
        WorkflowExecutionAsyncIterator,
        WorkflowExecutionCount,
        WorkflowExecutionDescription,
        WorkflowHistoryEventAsyncIterator,
    )
    from tempyral.client._schedule import ScheduleHandle
    from tempyral.client._schedule_describe import ScheduleAsyncIterator, ScheduleDescription
    from tempyral.client._schedule_inputs import (
        BackfillScheduleInput,
        CreateScheduleInput,
        DeleteScheduleInput,
        DescribeScheduleInput,
        ListSchedulesInput,
        PauseScheduleInput,
        TriggerScheduleInput,
        UnpauseScheduleInput,
        UpdateScheduleInput,
    )
    from tempyral.client._update import WorkflowUpdateHandle
    from tempyral.client._with_start_inputs import StartWorkflowUpdateWithStartInput

if TYPE_CHECKING:
    # Standalone activities: their classes load with a client's first standalone activity
    # call, not with every import of the client.
    from tempyral.client._standalone_activity_handle import (
        ActivityExecutionAsyncIterator,
        ActivityHandle,
    )
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionCount,
        ActivityExecutionDescription,
    )
    from tempyral.client._standalone_activity_inputs import (
        CancelActivityInput,
        CountActivitiesInput,
        DescribeActivityInput,
        ListActivitiesInput,
        PauseActivityInput,
        StartActivityInput,
        TerminateActivityInput,
        UnpauseActivityInput,
        UpdateActivityOptionsInput,
    )
    from tempyral.client._standalone_activity_options import ActivityExecutionOptions

if TYPE_CHECKING:
    # Standalone Nexus operations: their classes load with a client's first Nexus call.
    from tempyral.client._nexus_handle import (
        NexusOperationExecutionAsyncIterator,
        NexusOperationHandle,
    )
    from tempyral.client._nexus_info import (
        NexusOperationExecutionCount,
        NexusOperationExecutionDescription,
    )
    from tempyral.client._nexus_inputs import (
        CancelNexusOperationInput,
        CountNexusOperationsInput,
        DescribeNexusOperationInput,
        GetNexusOperationResultInput,
        ListNexusOperationsInput,
        StartNexusOperationInput,
        TerminateNexusOperationInput,
    )

__all__ = ["Interceptor", "OutboundInterceptor"]


@dataclass
class Interceptor:
    """A client interceptor: extend it and override :py:meth:`intercept_client`.

    A (field-less) dataclass, as in the official SDK, so dataclass subclasses work the same.
    """

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap ``next`` in an outbound interceptor of your own (the default wraps nothing)."""
        return next


class OutboundInterceptor:
    """Intercepts client calls; every method delegates to :py:attr:`next` unless overridden."""

    def __init__(self, next: OutboundInterceptor) -> None:
        """Create the interceptor in front of ``next``."""
        self.next = next

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        """Called for every :py:meth:`Client.start_workflow` call."""
        return await self.next.start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.cancel` call."""
        await self.next.cancel_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        """Called for every :py:meth:`WorkflowHandle.describe` call."""
        return await self.next.describe_workflow(input)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        """Called for every :py:meth:`WorkflowHandle.fetch_history_events` call."""
        return self.next.fetch_workflow_history_events(input)

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        """Called for every :py:meth:`Client.list_workflows` call."""
        return self.next.list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        """Called for every :py:meth:`Client.count_workflows` call."""
        return await self.next.count_workflows(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Called for every :py:meth:`WorkflowHandle.query` call."""
        return await self.next.query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.signal` call."""
        await self.next.signal_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.terminate` call."""
        await self.next.terminate_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        """Called for every :py:meth:`WorkflowHandle.start_update` and ``execute_update`` call."""
        return await self.next.start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        """Called for every :py:meth:`Client.start_update_with_start_workflow` and
        ``execute_update_with_start_workflow`` call."""
        return await self.next.start_update_with_start_workflow(input)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        """Called for every :py:meth:`AsyncActivityHandle.heartbeat` call."""
        await self.next.heartbeat_async_activity(input)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        """Called for every :py:meth:`AsyncActivityHandle.complete` call."""
        await self.next.complete_async_activity(input)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        """Called for every :py:meth:`AsyncActivityHandle.fail` call."""
        await self.next.fail_async_activity(input)

    async def report_cancellation_async_activity(
        self, input: ReportCancellationAsyncActivityInput
    ) -> None:
        """Called for every :py:meth:`AsyncActivityHandle.report_cancellation` call."""
        await self.next.report_cancellation_async_activity(input)

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        """Called for every :py:meth:`Client.create_schedule` call."""
        return await self.next.create_schedule(input)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        """Called for every :py:meth:`Client.list_schedules` call."""
        return self.next.list_schedules(input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.backfill` call."""
        await self.next.backfill_schedule(input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.delete` call."""
        await self.next.delete_schedule(input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        """Called for every :py:meth:`ScheduleHandle.describe` call."""
        return await self.next.describe_schedule(input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.pause` call."""
        await self.next.pause_schedule(input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.trigger` call."""
        await self.next.trigger_schedule(input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.unpause` call."""
        await self.next.unpause_schedule(input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        """Called for every :py:meth:`ScheduleHandle.update` call."""
        await self.next.update_schedule(input)

    # -- standalone activities (started by a client, not a workflow) ---------------------------

    async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Called for every :py:meth:`Client.start_activity` call (and its variants)."""
        return await self.next.start_activity(input)

    async def cancel_activity(self, input: CancelActivityInput) -> None:
        """Called for every :py:meth:`ActivityHandle.cancel` call."""
        await self.next.cancel_activity(input)

    async def terminate_activity(self, input: TerminateActivityInput) -> None:
        """Called for every :py:meth:`ActivityHandle.terminate` call."""
        await self.next.terminate_activity(input)

    async def pause_activity(self, input: PauseActivityInput) -> None:
        """Called for every :py:meth:`ActivityHandle.pause` call."""
        await self.next.pause_activity(input)

    async def unpause_activity(self, input: UnpauseActivityInput) -> None:
        """Called for every :py:meth:`ActivityHandle.unpause` call."""
        await self.next.unpause_activity(input)

    async def update_activity_options(
        self, input: UpdateActivityOptionsInput
    ) -> ActivityExecutionOptions:
        """Called for every :py:meth:`ActivityHandle.update_options` and
        ``restore_original_options`` call."""
        return await self.next.update_activity_options(input)

    async def describe_activity(self, input: DescribeActivityInput) -> ActivityExecutionDescription:
        """Called for every :py:meth:`ActivityHandle.describe` call."""
        return await self.next.describe_activity(input)

    def list_activities(self, input: ListActivitiesInput) -> ActivityExecutionAsyncIterator:
        """Called for every :py:meth:`Client.list_activities` call."""
        return self.next.list_activities(input)

    async def count_activities(self, input: CountActivitiesInput) -> ActivityExecutionCount:
        """Called for every :py:meth:`Client.count_activities` call."""
        return await self.next.count_activities(input)

    # -- standalone Nexus operations (started by a client, not a workflow; experimental) -------

    async def start_nexus_operation(
        self, input: StartNexusOperationInput
    ) -> NexusOperationHandle[Any]:
        """Called for every ``NexusClient.start_operation`` call (and ``execute_operation``)."""
        return await self.next.start_nexus_operation(input)

    async def describe_nexus_operation(
        self, input: DescribeNexusOperationInput
    ) -> NexusOperationExecutionDescription:
        """Called for every :py:meth:`NexusOperationHandle.describe` call."""
        return await self.next.describe_nexus_operation(input)

    async def get_nexus_operation_result(self, input: GetNexusOperationResultInput) -> Any:
        """Called for every :py:meth:`NexusOperationHandle.result` call that waits (a handle
        keeps the outcome once known)."""
        return await self.next.get_nexus_operation_result(input)

    async def cancel_nexus_operation(self, input: CancelNexusOperationInput) -> None:
        """Called for every :py:meth:`NexusOperationHandle.cancel` call."""
        await self.next.cancel_nexus_operation(input)

    async def terminate_nexus_operation(self, input: TerminateNexusOperationInput) -> None:
        """Called for every :py:meth:`NexusOperationHandle.terminate` call."""
        await self.next.terminate_nexus_operation(input)

    def list_nexus_operations(
        self, input: ListNexusOperationsInput
    ) -> NexusOperationExecutionAsyncIterator:
        """Called for every :py:meth:`Client.list_nexus_operations` call."""
        return self.next.list_nexus_operations(input)

    async def count_nexus_operations(
        self, input: CountNexusOperationsInput
    ) -> NexusOperationExecutionCount:
        """Called for every :py:meth:`Client.count_nexus_operations` call."""
        return await self.next.count_nexus_operations(input)

    # -- worker build-id compatibility (deprecated upstream) ------------------------------------

    async def update_worker_build_id_compatibility(
        self, input: UpdateWorkerBuildIdCompatibilityInput
    ) -> None:
        """Called for every :py:meth:`Client.update_worker_build_id_compatibility` call."""
        await self.next.update_worker_build_id_compatibility(input)

    async def get_worker_build_id_compatibility(
        self, input: GetWorkerBuildIdCompatibilityInput
    ) -> WorkerBuildIdVersionSets:
        """Called for every :py:meth:`Client.get_worker_build_id_compatibility` call."""
        return await self.next.get_worker_build_id_compatibility(input)

    async def get_worker_task_reachability(
        self, input: GetWorkerTaskReachabilityInput
    ) -> WorkerTaskReachability:
        """Called for every :py:meth:`Client.get_worker_task_reachability` call."""
        return await self.next.get_worker_task_reachability(input)
