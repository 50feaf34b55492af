"""The public names of tempyral.client, and their parity with temporalio.client.

The official SDK is inspected in a subprocess (tempyral's tests never import it). Every name,
method or parameter of the official client that tempyral leaves out is listed here with why.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tempyral.client

EXPECTED_NAMES = sorted(
    [
        "ActivityExecution",
        "ActivityExecutionAsyncIterator",
        "ActivityExecutionCount",
        "ActivityExecutionCountAggregationGroup",
        "ActivityExecutionDescription",
        "ActivityExecutionOptions",
        "ActivityExecutionStatus",
        "ActivityHandle",
        "ActivityOptionsKey",
        "ActivityOptionsKeys",
        "ActivityOptionsUpdate",
        "CancelActivityInput",
        "CountActivitiesInput",
        "DescribeActivityInput",
        "ListActivitiesInput",
        "PauseActivityInput",
        "PendingActivityState",
        "StartActivityInput",
        "TerminateActivityInput",
        "UnpauseActivityInput",
        "UpdateActivityOptionsInput",
        "CancelNexusOperationInput",
        "CountNexusOperationsInput",
        "DescribeNexusOperationInput",
        "GetNexusOperationResultInput",
        "ListNexusOperationsInput",
        "NexusClient",
        "NexusOperationExecution",
        "NexusOperationExecutionAsyncIterator",
        "NexusOperationExecutionCancellationInfo",
        "NexusOperationExecutionCount",
        "NexusOperationExecutionCountAggregationGroup",
        "NexusOperationExecutionDescription",
        "NexusOperationFailureError",
        "NexusOperationHandle",
        "StartNexusOperationInput",
        "TerminateNexusOperationInput",
        "ActivityCancellationDetails",
        "ActivityFailureError",
        "ActivitySerializationContext",
        "AnyType",
        "AsyncActivityCancelledError",
        "AsyncActivityHandle",
        "AsyncActivityIDReference",
        "BackfillScheduleInput",
        "BuildIdOp",
        "BuildIdOpAddNewCompatible",
        "BuildIdOpAddNewDefault",
        "BuildIdOpMergeSets",
        "BuildIdOpPromoteBuildIdWithinSet",
        "BuildIdOpPromoteSetByBuildId",
        "BuildIdReachability",
        "BuildIdVersionSet",
        "CallableAsyncNoParam",
        "CallableAsyncSingleParam",
        "CallableSyncNoParam",
        "CallableSyncSingleParam",
        "Callback",
        "CancelWorkflowInput",
        "Client",
        "ClientConfig",
        "ClientConnectConfig",
        "CloudOperationsClient",
        "CompleteAsyncActivityInput",
        "ConnectConfig",
        "CountWorkflowsInput",
        "CreateScheduleInput",
        "DataConverter",
        "DeleteScheduleInput",
        "DescribeScheduleInput",
        "DescribeWorkflowInput",
        "DnsLoadBalancingConfig",
        "FailAsyncActivityInput",
        "FetchWorkflowHistoryEventsInput",
        "GetWorkerBuildIdCompatibilityInput",
        "GetWorkerTaskReachabilityInput",
        "GrpcCompression",
        "HeaderCodecBehavior",
        "HeartbeatAsyncActivityInput",
        "HttpConnectProxyConfig",
        "Interceptor",
        "KeepAliveConfig",
        "ListSchedulesInput",
        "ListWorkflowsInput",
        "LocalReturnType",
        "MethodAsyncNoParam",
        "MethodAsyncSingleParam",
        "MethodSyncOrAsyncNoParam",
        "MethodSyncOrAsyncSingleParam",
        "MultiParamSpec",
        "OutboundInterceptor",
        "PayloadLimitsConfig",
        "ParamType",
        "PauseScheduleInput",
        "Plugin",
        "QueryWorkflowInput",
        "RPCError",
        "RPCStatusCode",
        "RPCTimeoutOrCancelledError",
        "ReportCancellationAsyncActivityInput",
        "RetryConfig",
        "ReturnType",
        "Schedule",
        "ScheduleAction",
        "ScheduleActionExecution",
        "ScheduleActionExecutionStartWorkflow",
        "ScheduleActionResult",
        "ScheduleActionStartWorkflow",
        "ScheduleAlreadyRunningError",
        "ScheduleAsyncIterator",
        "ScheduleBackfill",
        "ScheduleCalendarSpec",
        "ScheduleDescription",
        "ScheduleHandle",
        "ScheduleInfo",
        "ScheduleIntervalSpec",
        "ScheduleListAction",
        "ScheduleListActionStartWorkflow",
        "ScheduleListDescription",
        "ScheduleListInfo",
        "ScheduleListSchedule",
        "ScheduleListState",
        "ScheduleOverlapPolicy",
        "SchedulePolicy",
        "ScheduleRange",
        "ScheduleSpec",
        "ScheduleState",
        "ScheduleUpdate",
        "ScheduleUpdateInput",
        "SelfType",
        "SerializationContext",
        "ServiceClient",
        "SignalWorkflowInput",
        "StartWorkflowInput",
        "StartWorkflowUpdateInput",
        "StartWorkflowUpdateWithStartInput",
        "StorageDriverActivityInfo",
        "StorageDriverSelectContext",
        "StorageDriverStoreContext",
        "StorageDriverWorkflowInfo",
        "TLSConfig",
        "TaskReachabilityType",
        "TerminateWorkflowInput",
        "TriggerScheduleInput",
        "UnpauseScheduleInput",
        "UpdateScheduleInput",
        "UpdateWithStartStartWorkflowInput",
        "UpdateWithStartUpdateWorkflowInput",
        "UpdateWorkerBuildIdCompatibilityInput",
        "WithSerializationContext",
        "WithStartWorkflowOperation",
        "WorkerBuildIdVersionSets",
        "WorkerTaskReachability",
        "WorkflowContinuedAsNewError",
        "WorkflowExecution",
        "WorkflowExecutionAsyncIterator",
        "WorkflowExecutionCount",
        "WorkflowExecutionCountAggregationGroup",
        "WorkflowExecutionDescription",
        "WorkflowExecutionStatus",
        "WorkflowFailureError",
        "WorkflowHandle",
        "WorkflowHistory",
        "WorkflowHistoryEventAsyncIterator",
        "WorkflowHistoryEventFilterType",
        "WorkflowQueryFailedError",
        "WorkflowQueryRejectedError",
        "WorkflowSerializationContext",
        "WorkflowUpdateFailedError",
        "WorkflowUpdateHandle",
        "WorkflowUpdateRPCTimeoutOrCancelledError",
        "WorkflowUpdateStage",
        "_ClientImpl",
        "_apply_headers",
        "_decode_user_metadata",
        "_encode_user_metadata",
        "_history_from_json",
        "_pascal_case_match",
    ]
)

# Official names tempyral.client does not have, and why.
MISSING_NAMES = {
    "_fix_history_enum": "enum spellings are fixed from the message descriptors (_history)",
    "_fix_history_failure": "enum spellings are fixed from the message descriptors (_history)",
}

# Official methods (Class.method) tempyral leaves out, and parameters it does not take.
MISSING_METHODS: dict[str, str] = {}
MISSING_PARAMETERS: dict[str, dict[str, str]] = {}
# Re-exported from other tempyral modules; their parity is tested with those modules.
REEXPORTED = {"ConnectConfig", "DataConverter", "TLSConfig", "ServiceClient", "RPCError"}

_DUMP = textwrap.dedent(
    """
    import importlib, inspect, json, sys
    module = importlib.import_module(sys.argv[1])
    dump = {}
    for name in module.__all__:
        cls = getattr(module, name)
        if not isinstance(cls, type) or name.startswith("_"):
            continue
        members = {}
        for attr in dir(cls):
            if attr.startswith("_") and attr != "__init__":
                continue
            if not any(attr in vars(k) for k in cls.__mro__ if k is not object):
                continue
            value = inspect.getattr_static(cls, attr)
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                members[attr] = "property"
            elif callable(value):
                try:
                    params = inspect.signature(value).parameters.values()
                except (TypeError, ValueError):
                    continue
                members[attr] = [
                    [p.name, p.kind.name] for p in params if p.name not in ("self", "cls")
                ]
        dump[name] = members
    print(json.dumps({"all": list(module.__all__), "classes": dump}))
    """
)


@cache
def dump(module: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _DUMP, module], capture_output=True, text=True, check=True
    )
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_all_is_what_we_mean() -> None:
    assert sorted(tempyral.client.__all__) == EXPECTED_NAMES
    for name in tempyral.client.__all__:
        assert hasattr(tempyral.client, name), name


def test_names_match_the_official_client_except_listed_gaps() -> None:
    official = set(dump("temporalio.client")["all"])
    ours = set(tempyral.client.__all__)
    assert official - ours == set(MISSING_NAMES)
    assert ours - official == set()


def test_methods_and_parameters_match_the_official_client() -> None:
    official = dump("temporalio.client")["classes"]
    ours = dump("tempyral.client")["classes"]
    differences: list[str] = []
    for cls in sorted(set(official) & set(ours) - REEXPORTED):
        for method, theirs in official[cls].items():
            key = f"{cls}.{method}"
            mine = ours[cls].get(method)
            if mine is None:
                if key not in MISSING_METHODS:
                    differences.append(f"{key} is missing")
                continue
            if theirs == "property" or mine == "property":
                if theirs != mine:
                    differences.append(f"{key}: property in one SDK only")
                continue
            skipped = MISSING_PARAMETERS.get(key, {})
            expected = [p for p in theirs if p[0] not in skipped]
            if mine != expected:
                differences.append(f"{key}: {mine} != {expected}")
    assert differences == []
    # The gap lists name only what really is missing.
    for key in MISSING_METHODS:
        cls, method = key.split(".")
        assert method in official[cls], key
        assert method not in ours[cls], key


def test_names_are_imported_on_first_use_and_workflow_history_needs_no_grpc() -> None:
    script = textwrap.dedent(
        """
        import sys
        import tempyral.client
        assert not [m for m in sys.modules if m.startswith("tempyral.client.")]
        from tempyral.client import WorkflowHistory
        from tempyral.client._history import WorkflowHistory as defined
        assert WorkflowHistory is defined
        assert not [m for m in sys.modules if m == "grpc" or m.startswith("tempyral.service")]
        from tempyral.client import Client
        assert "grpc" in sys.modules
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_name_comes_from_the_module_the_type_checkers_see() -> None:
    # Type checkers read the `if TYPE_CHECKING:` imports; at run time __getattr__ reads the table.
    init = Path(tempyral.client.__file__)
    tree = ast.parse(init.read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If)]
    seen = {
        alias.name: node.module
        for block in blocks
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    assert seen == tempyral.client._DEFINED_IN
    for name, module in tempyral.client._DEFINED_IN.items():
        assert getattr(tempyral.client, name) is getattr(importlib.import_module(module), name)
    assert set(tempyral.client.__all__) <= set(dir(tempyral.client))
    with pytest.raises(AttributeError, match="has no attribute 'Clinet'"):
        _ = tempyral.client.Clinet  # type: ignore[attr-defined]
