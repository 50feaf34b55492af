"""Client for Temporal (mirrors ``temporalio.client``).

``client = await Client.connect("localhost:7233")``, then start workflows
(``start_workflow`` / ``execute_workflow``, by type name or ``MyWorkflow.run``), talk to them
through a :py:class:`WorkflowHandle` (result, signal, query, update, cancel, terminate,
describe, history), list and count them, complete activities asynchronously
(:py:class:`AsyncActivityHandle`) and manage schedules (:py:class:`ScheduleHandle`). Calls go
through :py:class:`Interceptor` chains, as in the official SDK.

The Temporal Cloud operations API has a client of its own: :py:class:`CloudOperationsClient`.
Standalone activities (started by the client, no workflow) come with :py:class:`ActivityHandle`.
Large payloads can go to external storage (``DataConverter(external_storage=...)``).

Standalone Nexus operations (started by the client, no workflow; experimental) come with
:py:meth:`Client.create_nexus_client` and :py:class:`NexusOperationHandle`.

Logging goes through loguru and is off unless enabled: ``logger.enable("tempyral")``.

Each name is imported on first use (PEP 562): ``import tempyral.client`` imports none of its
modules, and ``WorkflowHistory`` (which tempyral-replay uses) comes without gRPC.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What type checkers and IDEs see; `X as X` marks each name as re-exported.
    from tempyral.client._activity import AsyncActivityHandle as AsyncActivityHandle
    from tempyral.client._activity import AsyncActivityIDReference as AsyncActivityIDReference
    from tempyral.client._async_activity_inputs import (
        CompleteAsyncActivityInput as CompleteAsyncActivityInput,
    )
    from tempyral.client._async_activity_inputs import (
        FailAsyncActivityInput as FailAsyncActivityInput,
    )
    from tempyral.client._async_activity_inputs import (
        HeartbeatAsyncActivityInput as HeartbeatAsyncActivityInput,
    )
    from tempyral.client._async_activity_inputs import (
        ReportCancellationAsyncActivityInput as ReportCancellationAsyncActivityInput,
    )
    from tempyral.client._build_id import BuildIdOp as BuildIdOp
    from tempyral.client._build_id import BuildIdOpAddNewCompatible as BuildIdOpAddNewCompatible
    from tempyral.client._build_id import BuildIdOpAddNewDefault as BuildIdOpAddNewDefault
    from tempyral.client._build_id import BuildIdOpMergeSets as BuildIdOpMergeSets
    from tempyral.client._build_id import (
        BuildIdOpPromoteBuildIdWithinSet as BuildIdOpPromoteBuildIdWithinSet,
    )
    from tempyral.client._build_id import (
        BuildIdOpPromoteSetByBuildId as BuildIdOpPromoteSetByBuildId,
    )
    from tempyral.client._build_id import BuildIdReachability as BuildIdReachability
    from tempyral.client._build_id import BuildIdVersionSet as BuildIdVersionSet
    from tempyral.client._build_id import (
        GetWorkerBuildIdCompatibilityInput as GetWorkerBuildIdCompatibilityInput,
    )
    from tempyral.client._build_id import (
        GetWorkerTaskReachabilityInput as GetWorkerTaskReachabilityInput,
    )
    from tempyral.client._build_id import TaskReachabilityType as TaskReachabilityType
    from tempyral.client._build_id import (
        UpdateWorkerBuildIdCompatibilityInput as UpdateWorkerBuildIdCompatibilityInput,
    )
    from tempyral.client._build_id import WorkerBuildIdVersionSets as WorkerBuildIdVersionSets
    from tempyral.client._build_id import WorkerTaskReachability as WorkerTaskReachability
    from tempyral.client._client import Client as Client
    from tempyral.client._client import ClientConfig as ClientConfig
    from tempyral.client._client import ClientConnectConfig as ClientConnectConfig
    from tempyral.client._errors import ActivityCancellationDetails as ActivityCancellationDetails
    from tempyral.client._errors import ActivityFailureError as ActivityFailureError
    from tempyral.client._errors import AsyncActivityCancelledError as AsyncActivityCancelledError
    from tempyral.client._errors import RPCTimeoutOrCancelledError as RPCTimeoutOrCancelledError
    from tempyral.client._errors import ScheduleAlreadyRunningError as ScheduleAlreadyRunningError
    from tempyral.client._errors import WorkflowContinuedAsNewError as WorkflowContinuedAsNewError
    from tempyral.client._errors import WorkflowFailureError as WorkflowFailureError
    from tempyral.client._errors import WorkflowQueryFailedError as WorkflowQueryFailedError
    from tempyral.client._errors import WorkflowQueryRejectedError as WorkflowQueryRejectedError
    from tempyral.client._errors import WorkflowUpdateFailedError as WorkflowUpdateFailedError
    from tempyral.client._errors import (
        WorkflowUpdateRPCTimeoutOrCancelledError as WorkflowUpdateRPCTimeoutOrCancelledError,
    )
    from tempyral.client._handle import WorkflowHandle as WorkflowHandle
    from tempyral.client._helpers import _apply_headers as _apply_headers
    from tempyral.client._helpers import _decode_user_metadata as _decode_user_metadata
    from tempyral.client._helpers import _encode_user_metadata as _encode_user_metadata
    from tempyral.client._history import WorkflowHistory as WorkflowHistory
    from tempyral.client._history import (
        WorkflowHistoryEventFilterType as WorkflowHistoryEventFilterType,
    )
    from tempyral.client._history import _history_from_json as _history_from_json
    from tempyral.client._history import _pascal_case_match as _pascal_case_match
    from tempyral.client._impl import _ClientImpl as _ClientImpl
    from tempyral.client._inputs import CancelWorkflowInput as CancelWorkflowInput
    from tempyral.client._inputs import CountWorkflowsInput as CountWorkflowsInput
    from tempyral.client._inputs import DescribeWorkflowInput as DescribeWorkflowInput
    from tempyral.client._inputs import (
        FetchWorkflowHistoryEventsInput as FetchWorkflowHistoryEventsInput,
    )
    from tempyral.client._inputs import ListWorkflowsInput as ListWorkflowsInput
    from tempyral.client._inputs import QueryWorkflowInput as QueryWorkflowInput
    from tempyral.client._inputs import SignalWorkflowInput as SignalWorkflowInput
    from tempyral.client._inputs import StartWorkflowInput as StartWorkflowInput
    from tempyral.client._inputs import StartWorkflowUpdateInput as StartWorkflowUpdateInput
    from tempyral.client._inputs import TerminateWorkflowInput as TerminateWorkflowInput
    from tempyral.client._interceptor import Interceptor as Interceptor
    from tempyral.client._interceptor import OutboundInterceptor as OutboundInterceptor
    from tempyral.client._list import WorkflowExecution as WorkflowExecution
    from tempyral.client._list import (
        WorkflowExecutionAsyncIterator as WorkflowExecutionAsyncIterator,
    )
    from tempyral.client._list import WorkflowExecutionCount as WorkflowExecutionCount
    from tempyral.client._list import (
        WorkflowExecutionCountAggregationGroup as WorkflowExecutionCountAggregationGroup,
    )
    from tempyral.client._list import WorkflowExecutionDescription as WorkflowExecutionDescription
    from tempyral.client._list import WorkflowExecutionStatus as WorkflowExecutionStatus
    from tempyral.client._list import (
        WorkflowHistoryEventAsyncIterator as WorkflowHistoryEventAsyncIterator,
    )
    from tempyral.client._plugin import Plugin as Plugin
    from tempyral.client._schedule import Schedule as Schedule
    from tempyral.client._schedule import ScheduleBackfill as ScheduleBackfill
    from tempyral.client._schedule import ScheduleCalendarSpec as ScheduleCalendarSpec
    from tempyral.client._schedule import ScheduleHandle as ScheduleHandle
    from tempyral.client._schedule import ScheduleIntervalSpec as ScheduleIntervalSpec
    from tempyral.client._schedule import ScheduleOverlapPolicy as ScheduleOverlapPolicy
    from tempyral.client._schedule import SchedulePolicy as SchedulePolicy
    from tempyral.client._schedule import ScheduleRange as ScheduleRange
    from tempyral.client._schedule import ScheduleSpec as ScheduleSpec
    from tempyral.client._schedule import ScheduleState as ScheduleState
    from tempyral.client._schedule_action import ScheduleAction as ScheduleAction
    from tempyral.client._schedule_action import (
        ScheduleActionStartWorkflow as ScheduleActionStartWorkflow,
    )
    from tempyral.client._schedule_describe import (
        ScheduleActionExecution as ScheduleActionExecution,
    )
    from tempyral.client._schedule_describe import (
        ScheduleActionExecutionStartWorkflow as ScheduleActionExecutionStartWorkflow,
    )
    from tempyral.client._schedule_describe import ScheduleActionResult as ScheduleActionResult
    from tempyral.client._schedule_describe import ScheduleAsyncIterator as ScheduleAsyncIterator
    from tempyral.client._schedule_describe import ScheduleDescription as ScheduleDescription
    from tempyral.client._schedule_describe import ScheduleInfo as ScheduleInfo
    from tempyral.client._schedule_describe import ScheduleListAction as ScheduleListAction
    from tempyral.client._schedule_describe import (
        ScheduleListActionStartWorkflow as ScheduleListActionStartWorkflow,
    )
    from tempyral.client._schedule_describe import (
        ScheduleListDescription as ScheduleListDescription,
    )
    from tempyral.client._schedule_describe import ScheduleListInfo as ScheduleListInfo
    from tempyral.client._schedule_describe import ScheduleListSchedule as ScheduleListSchedule
    from tempyral.client._schedule_describe import ScheduleListState as ScheduleListState
    from tempyral.client._schedule_describe import ScheduleUpdate as ScheduleUpdate
    from tempyral.client._schedule_describe import ScheduleUpdateInput as ScheduleUpdateInput
    from tempyral.client._schedule_inputs import BackfillScheduleInput as BackfillScheduleInput
    from tempyral.client._schedule_inputs import CreateScheduleInput as CreateScheduleInput
    from tempyral.client._schedule_inputs import DeleteScheduleInput as DeleteScheduleInput
    from tempyral.client._schedule_inputs import DescribeScheduleInput as DescribeScheduleInput
    from tempyral.client._schedule_inputs import ListSchedulesInput as ListSchedulesInput
    from tempyral.client._schedule_inputs import PauseScheduleInput as PauseScheduleInput
    from tempyral.client._schedule_inputs import TriggerScheduleInput as TriggerScheduleInput
    from tempyral.client._schedule_inputs import UnpauseScheduleInput as UnpauseScheduleInput
    from tempyral.client._schedule_inputs import UpdateScheduleInput as UpdateScheduleInput

    # Standalone activities.
    from tempyral.client._standalone_activity_handle import (
        ActivityExecutionAsyncIterator as ActivityExecutionAsyncIterator,
    )
    from tempyral.client._standalone_activity_handle import ActivityHandle as ActivityHandle
    from tempyral.client._standalone_activity_info import ActivityExecution as ActivityExecution
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionCount as ActivityExecutionCount,
    )
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionCountAggregationGroup as ActivityExecutionCountAggregationGroup,
    )
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionDescription as ActivityExecutionDescription,
    )
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionStatus as ActivityExecutionStatus,
    )
    from tempyral.client._standalone_activity_info import (
        PendingActivityState as PendingActivityState,
    )
    from tempyral.client._standalone_activity_inputs import (
        CancelActivityInput as CancelActivityInput,
    )
    from tempyral.client._standalone_activity_inputs import (
        CountActivitiesInput as CountActivitiesInput,
    )
    from tempyral.client._standalone_activity_inputs import (
        DescribeActivityInput as DescribeActivityInput,
    )
    from tempyral.client._standalone_activity_inputs import (
        ListActivitiesInput as ListActivitiesInput,
    )
    from tempyral.client._standalone_activity_inputs import PauseActivityInput as PauseActivityInput
    from tempyral.client._standalone_activity_inputs import StartActivityInput as StartActivityInput
    from tempyral.client._standalone_activity_inputs import (
        TerminateActivityInput as TerminateActivityInput,
    )
    from tempyral.client._standalone_activity_inputs import (
        UnpauseActivityInput as UnpauseActivityInput,
    )
    from tempyral.client._standalone_activity_inputs import (
        UpdateActivityOptionsInput as UpdateActivityOptionsInput,
    )
    from tempyral.client._standalone_activity_options import (
        ActivityExecutionOptions as ActivityExecutionOptions,
    )
    from tempyral.client._standalone_activity_options import (
        ActivityOptionsKey as ActivityOptionsKey,
    )
    from tempyral.client._standalone_activity_options import (
        ActivityOptionsKeys as ActivityOptionsKeys,
    )
    from tempyral.client._standalone_activity_options import (
        ActivityOptionsUpdate as ActivityOptionsUpdate,
    )
    from tempyral.client._types import AnyType as AnyType
    from tempyral.client._types import CallableAsyncNoParam as CallableAsyncNoParam
    from tempyral.client._types import CallableAsyncSingleParam as CallableAsyncSingleParam
    from tempyral.client._types import CallableSyncNoParam as CallableSyncNoParam
    from tempyral.client._types import CallableSyncSingleParam as CallableSyncSingleParam
    from tempyral.client._types import LocalReturnType as LocalReturnType
    from tempyral.client._types import MethodAsyncNoParam as MethodAsyncNoParam
    from tempyral.client._types import MethodAsyncSingleParam as MethodAsyncSingleParam
    from tempyral.client._types import MethodSyncOrAsyncNoParam as MethodSyncOrAsyncNoParam
    from tempyral.client._types import MethodSyncOrAsyncSingleParam as MethodSyncOrAsyncSingleParam
    from tempyral.client._types import MultiParamSpec as MultiParamSpec
    from tempyral.client._types import ParamType as ParamType
    from tempyral.client._types import ReturnType as ReturnType
    from tempyral.client._types import SelfType as SelfType
    from tempyral.client._update import WorkflowUpdateHandle as WorkflowUpdateHandle
    from tempyral.client._update import WorkflowUpdateStage as WorkflowUpdateStage
    from tempyral.client._with_start import WithStartWorkflowOperation as WithStartWorkflowOperation
    from tempyral.client._with_start_inputs import (
        StartWorkflowUpdateWithStartInput as StartWorkflowUpdateWithStartInput,
    )
    from tempyral.client._with_start_inputs import (
        UpdateWithStartStartWorkflowInput as UpdateWithStartStartWorkflowInput,
    )
    from tempyral.client._with_start_inputs import (
        UpdateWithStartUpdateWorkflowInput as UpdateWithStartUpdateWorkflowInput,
    )
    from tempyral.client.nexus_hooks import Callback as Callback
    from tempyral.common import HeaderCodecBehavior as HeaderCodecBehavior
    from tempyral.converter import ActivitySerializationContext as ActivitySerializationContext
    from tempyral.converter import DataConverter as DataConverter
    from tempyral.converter import SerializationContext as SerializationContext
    from tempyral.converter import StorageDriverActivityInfo as StorageDriverActivityInfo
    from tempyral.converter import StorageDriverSelectContext as StorageDriverSelectContext
    from tempyral.converter import StorageDriverStoreContext as StorageDriverStoreContext
    from tempyral.converter import StorageDriverWorkflowInfo as StorageDriverWorkflowInfo
    from tempyral.converter import WithSerializationContext as WithSerializationContext
    from tempyral.converter import WorkflowSerializationContext as WorkflowSerializationContext
    from tempyral.service import ConnectConfig as ConnectConfig
    from tempyral.service import DnsLoadBalancingConfig as DnsLoadBalancingConfig
    from tempyral.service import GrpcCompression as GrpcCompression
    from tempyral.service import HttpConnectProxyConfig as HttpConnectProxyConfig
    from tempyral.service import KeepAliveConfig as KeepAliveConfig
    from tempyral.service import PayloadLimitsConfig as PayloadLimitsConfig
    from tempyral.service import RetryConfig as RetryConfig
    from tempyral.service import RPCError as RPCError
    from tempyral.service import RPCStatusCode as RPCStatusCode
    from tempyral.service import ServiceClient as ServiceClient
    from tempyral.service import TLSConfig as TLSConfig

if TYPE_CHECKING:
    # The Cloud operations API client.
    from tempyral.client._cloud import CloudOperationsClient as CloudOperationsClient

if TYPE_CHECKING:
    # Standalone Nexus operations (experimental).
    from tempyral.client._errors import NexusOperationFailureError as NexusOperationFailureError
    from tempyral.client._nexus_client import NexusClient as NexusClient
    from tempyral.client._nexus_handle import (
        NexusOperationExecutionAsyncIterator as NexusOperationExecutionAsyncIterator,
    )
    from tempyral.client._nexus_handle import NexusOperationHandle as NexusOperationHandle
    from tempyral.client._nexus_info import NexusOperationExecution as NexusOperationExecution
    from tempyral.client._nexus_info import (
        NexusOperationExecutionCancellationInfo as NexusOperationExecutionCancellationInfo,
    )
    from tempyral.client._nexus_info import (
        NexusOperationExecutionCount as NexusOperationExecutionCount,
    )
    from tempyral.client._nexus_info import (
        NexusOperationExecutionCountAggregationGroup as NexusOperationExecutionCountAggregationGroup,  # noqa: E501
    )
    from tempyral.client._nexus_info import (
        NexusOperationExecutionDescription as NexusOperationExecutionDescription,
    )
    from tempyral.client._nexus_inputs import CancelNexusOperationInput as CancelNexusOperationInput
    from tempyral.client._nexus_inputs import CountNexusOperationsInput as CountNexusOperationsInput
    from tempyral.client._nexus_inputs import (
        DescribeNexusOperationInput as DescribeNexusOperationInput,
    )
    from tempyral.client._nexus_inputs import (
        GetNexusOperationResultInput as GetNexusOperationResultInput,
    )
    from tempyral.client._nexus_inputs import ListNexusOperationsInput as ListNexusOperationsInput
    from tempyral.client._nexus_inputs import StartNexusOperationInput as StartNexusOperationInput
    from tempyral.client._nexus_inputs import (
        TerminateNexusOperationInput as TerminateNexusOperationInput,
    )

# The public names (and the private ones other tempyral packages use), with the module that
# defines each: the one list that ``__all__``, ``__getattr__`` and ``__dir__`` read.
_DEFINED_IN: dict[str, str] = {
    "ActivityCancellationDetails": "tempyral.client._errors",
    "ActivityFailureError": "tempyral.client._errors",
    "ActivitySerializationContext": "tempyral.converter",
    "AnyType": "tempyral.client._types",
    "AsyncActivityCancelledError": "tempyral.client._errors",
    "AsyncActivityHandle": "tempyral.client._activity",
    "AsyncActivityIDReference": "tempyral.client._activity",
    "BackfillScheduleInput": "tempyral.client._schedule_inputs",
    "CallableAsyncNoParam": "tempyral.client._types",
    "CallableAsyncSingleParam": "tempyral.client._types",
    "CallableSyncNoParam": "tempyral.client._types",
    "CallableSyncSingleParam": "tempyral.client._types",
    "Callback": "tempyral.client.nexus_hooks",
    "CancelWorkflowInput": "tempyral.client._inputs",
    "Client": "tempyral.client._client",
    "ClientConfig": "tempyral.client._client",
    "ClientConnectConfig": "tempyral.client._client",
    "CompleteAsyncActivityInput": "tempyral.client._async_activity_inputs",
    "ConnectConfig": "tempyral.service",
    "CountWorkflowsInput": "tempyral.client._inputs",
    "CreateScheduleInput": "tempyral.client._schedule_inputs",
    "DataConverter": "tempyral.converter",
    "DeleteScheduleInput": "tempyral.client._schedule_inputs",
    "DescribeScheduleInput": "tempyral.client._schedule_inputs",
    "DescribeWorkflowInput": "tempyral.client._inputs",
    "DnsLoadBalancingConfig": "tempyral.service",
    "FailAsyncActivityInput": "tempyral.client._async_activity_inputs",
    "FetchWorkflowHistoryEventsInput": "tempyral.client._inputs",
    "GrpcCompression": "tempyral.service",
    "HeaderCodecBehavior": "tempyral.common",
    "HeartbeatAsyncActivityInput": "tempyral.client._async_activity_inputs",
    "HttpConnectProxyConfig": "tempyral.service",
    "Interceptor": "tempyral.client._interceptor",
    "KeepAliveConfig": "tempyral.service",
    "ListSchedulesInput": "tempyral.client._schedule_inputs",
    "ListWorkflowsInput": "tempyral.client._inputs",
    "LocalReturnType": "tempyral.client._types",
    "MethodAsyncNoParam": "tempyral.client._types",
    "MethodAsyncSingleParam": "tempyral.client._types",
    "MethodSyncOrAsyncNoParam": "tempyral.client._types",
    "MethodSyncOrAsyncSingleParam": "tempyral.client._types",
    "MultiParamSpec": "tempyral.client._types",
    "OutboundInterceptor": "tempyral.client._interceptor",
    "PayloadLimitsConfig": "tempyral.service",
    "Plugin": "tempyral.client._plugin",
    "ParamType": "tempyral.client._types",
    "PauseScheduleInput": "tempyral.client._schedule_inputs",
    "QueryWorkflowInput": "tempyral.client._inputs",
    "RPCError": "tempyral.service",
    "RPCStatusCode": "tempyral.service",
    "RPCTimeoutOrCancelledError": "tempyral.client._errors",
    "ReportCancellationAsyncActivityInput": "tempyral.client._async_activity_inputs",
    "RetryConfig": "tempyral.service",
    "ReturnType": "tempyral.client._types",
    "Schedule": "tempyral.client._schedule",
    "ScheduleAction": "tempyral.client._schedule_action",
    "ScheduleActionExecution": "tempyral.client._schedule_describe",
    "ScheduleActionExecutionStartWorkflow": "tempyral.client._schedule_describe",
    "ScheduleActionResult": "tempyral.client._schedule_describe",
    "ScheduleActionStartWorkflow": "tempyral.client._schedule_action",
    "ScheduleAlreadyRunningError": "tempyral.client._errors",
    "ScheduleAsyncIterator": "tempyral.client._schedule_describe",
    "ScheduleBackfill": "tempyral.client._schedule",
    "ScheduleCalendarSpec": "tempyral.client._schedule",
    "ScheduleDescription": "tempyral.client._schedule_describe",
    "ScheduleHandle": "tempyral.client._schedule",
    "ScheduleInfo": "tempyral.client._schedule_describe",
    "ScheduleIntervalSpec": "tempyral.client._schedule",
    "ScheduleListAction": "tempyral.client._schedule_describe",
    "ScheduleListActionStartWorkflow": "tempyral.client._schedule_describe",
    "ScheduleListDescription": "tempyral.client._schedule_describe",
    "ScheduleListInfo": "tempyral.client._schedule_describe",
    "ScheduleListSchedule": "tempyral.client._schedule_describe",
    "ScheduleListState": "tempyral.client._schedule_describe",
    "ScheduleOverlapPolicy": "tempyral.client._schedule",
    "SchedulePolicy": "tempyral.client._schedule",
    "ScheduleRange": "tempyral.client._schedule",
    "ScheduleSpec": "tempyral.client._schedule",
    "ScheduleState": "tempyral.client._schedule",
    "ScheduleUpdate": "tempyral.client._schedule_describe",
    "ScheduleUpdateInput": "tempyral.client._schedule_describe",
    "SelfType": "tempyral.client._types",
    "SerializationContext": "tempyral.converter",
    "ServiceClient": "tempyral.service",
    "SignalWorkflowInput": "tempyral.client._inputs",
    "StartWorkflowInput": "tempyral.client._inputs",
    "StartWorkflowUpdateInput": "tempyral.client._inputs",
    "StartWorkflowUpdateWithStartInput": "tempyral.client._with_start_inputs",
    "TLSConfig": "tempyral.service",
    "TerminateWorkflowInput": "tempyral.client._inputs",
    "TriggerScheduleInput": "tempyral.client._schedule_inputs",
    "UnpauseScheduleInput": "tempyral.client._schedule_inputs",
    "UpdateScheduleInput": "tempyral.client._schedule_inputs",
    "UpdateWithStartStartWorkflowInput": "tempyral.client._with_start_inputs",
    "UpdateWithStartUpdateWorkflowInput": "tempyral.client._with_start_inputs",
    "WithSerializationContext": "tempyral.converter",
    "WithStartWorkflowOperation": "tempyral.client._with_start",
    "WorkflowContinuedAsNewError": "tempyral.client._errors",
    "WorkflowExecution": "tempyral.client._list",
    "WorkflowExecutionAsyncIterator": "tempyral.client._list",
    "WorkflowExecutionCount": "tempyral.client._list",
    "WorkflowExecutionCountAggregationGroup": "tempyral.client._list",
    "WorkflowExecutionDescription": "tempyral.client._list",
    "WorkflowExecutionStatus": "tempyral.client._list",
    "WorkflowFailureError": "tempyral.client._errors",
    "WorkflowHandle": "tempyral.client._handle",
    "WorkflowHistory": "tempyral.client._history",
    "WorkflowHistoryEventAsyncIterator": "tempyral.client._list",
    "WorkflowHistoryEventFilterType": "tempyral.client._history",
    "WorkflowQueryFailedError": "tempyral.client._errors",
    "WorkflowQueryRejectedError": "tempyral.client._errors",
    "WorkflowSerializationContext": "tempyral.converter",
    "WorkflowUpdateFailedError": "tempyral.client._errors",
    "WorkflowUpdateHandle": "tempyral.client._update",
    "WorkflowUpdateRPCTimeoutOrCancelledError": "tempyral.client._errors",
    "WorkflowUpdateStage": "tempyral.client._update",
    "_ClientImpl": "tempyral.client._impl",
    "_apply_headers": "tempyral.client._helpers",
    "_decode_user_metadata": "tempyral.client._helpers",
    "_encode_user_metadata": "tempyral.client._helpers",
    "_history_from_json": "tempyral.client._history",
    "_pascal_case_match": "tempyral.client._history",
    # External payload storage, as the official client re-exports it.
    "StorageDriverActivityInfo": "tempyral.converter",
    "StorageDriverSelectContext": "tempyral.converter",
    "StorageDriverStoreContext": "tempyral.converter",
    "StorageDriverWorkflowInfo": "tempyral.converter",
}

# The Cloud operations API client.
_DEFINED_IN.update({"CloudOperationsClient": "tempyral.client._cloud"})
# Standalone activities.
_DEFINED_IN.update(
    {
        "ActivityExecutionAsyncIterator": "tempyral.client._standalone_activity_handle",
        "ActivityHandle": "tempyral.client._standalone_activity_handle",
        "ActivityExecution": "tempyral.client._standalone_activity_info",
        "ActivityExecutionCount": "tempyral.client._standalone_activity_info",
        "ActivityExecutionCountAggregationGroup": "tempyral.client._standalone_activity_info",
        "ActivityExecutionDescription": "tempyral.client._standalone_activity_info",
        "ActivityExecutionStatus": "tempyral.client._standalone_activity_info",
        "PendingActivityState": "tempyral.client._standalone_activity_info",
        "CancelActivityInput": "tempyral.client._standalone_activity_inputs",
        "CountActivitiesInput": "tempyral.client._standalone_activity_inputs",
        "DescribeActivityInput": "tempyral.client._standalone_activity_inputs",
        "ListActivitiesInput": "tempyral.client._standalone_activity_inputs",
        "PauseActivityInput": "tempyral.client._standalone_activity_inputs",
        "StartActivityInput": "tempyral.client._standalone_activity_inputs",
        "TerminateActivityInput": "tempyral.client._standalone_activity_inputs",
        "UnpauseActivityInput": "tempyral.client._standalone_activity_inputs",
        "UpdateActivityOptionsInput": "tempyral.client._standalone_activity_inputs",
        "ActivityExecutionOptions": "tempyral.client._standalone_activity_options",
        "ActivityOptionsKey": "tempyral.client._standalone_activity_options",
        "ActivityOptionsKeys": "tempyral.client._standalone_activity_options",
        "ActivityOptionsUpdate": "tempyral.client._standalone_activity_options",
    }
)

# Worker build-id compatibility (legacy worker versioning).
_DEFINED_IN.update(
    dict.fromkeys(
        [
            "BuildIdOp",
            "BuildIdOpAddNewCompatible",
            "BuildIdOpAddNewDefault",
            "BuildIdOpMergeSets",
            "BuildIdOpPromoteBuildIdWithinSet",
            "BuildIdOpPromoteSetByBuildId",
            "BuildIdReachability",
            "BuildIdVersionSet",
            "GetWorkerBuildIdCompatibilityInput",
            "GetWorkerTaskReachabilityInput",
            "TaskReachabilityType",
            "UpdateWorkerBuildIdCompatibilityInput",
            "WorkerBuildIdVersionSets",
            "WorkerTaskReachability",
        ],
        "tempyral.client._build_id",
    )
)

# Standalone Nexus operations (experimental).
_DEFINED_IN.update(
    {
        "NexusOperationFailureError": "tempyral.client._errors",
        "NexusClient": "tempyral.client._nexus_client",
        "NexusOperationExecutionAsyncIterator": "tempyral.client._nexus_handle",
        "NexusOperationHandle": "tempyral.client._nexus_handle",
        "NexusOperationExecution": "tempyral.client._nexus_info",
        "NexusOperationExecutionCancellationInfo": "tempyral.client._nexus_info",
        "NexusOperationExecutionCount": "tempyral.client._nexus_info",
        "NexusOperationExecutionCountAggregationGroup": "tempyral.client._nexus_info",
        "NexusOperationExecutionDescription": "tempyral.client._nexus_info",
        "CancelNexusOperationInput": "tempyral.client._nexus_inputs",
        "CountNexusOperationsInput": "tempyral.client._nexus_inputs",
        "DescribeNexusOperationInput": "tempyral.client._nexus_inputs",
        "GetNexusOperationResultInput": "tempyral.client._nexus_inputs",
        "ListNexusOperationsInput": "tempyral.client._nexus_inputs",
        "StartNexusOperationInput": "tempyral.client._nexus_inputs",
        "TerminateNexusOperationInput": "tempyral.client._nexus_inputs",
    }
)

__all__ = list(_DEFINED_IN)


def _import_on_first_use(name: str) -> object:
    """PEP 562 module ``__getattr__``: import the module defining ``name``, keep the value."""
    module = _DEFINED_IN.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups find it without calling __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_DEFINED_IN})


if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use
