"""The public names of tempyral.replay and tempyral.workflow are the ones we mean to offer."""

from __future__ import annotations

import tempyral.replay
import tempyral.workflow

REPLAY = [
    "ContinueAsNewInput",
    "CorruptHistoryError",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "LocalActivityRequest",
    "LocalActivityResolution",
    "NondeterminismError",
    "ReplayError",
    "Replayer",
    "ReplayerConfig",
    "ReplayerPlugin",
    "RestrictedWorkflowAccessError",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "SourceLocation",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "WorkflowHistory",
    "WorkflowInboundInterceptor",
    "WorkflowInstance",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowTaskCompletion",
]

WORKFLOW = [
    "ActivityCancellationType",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "HandlerUnfinishedPolicy",
    "Info",
    "NondeterminismError",
    "ParentClosePolicy",
    "ParentInfo",
    "ReadOnlyContextError",
    "RootInfo",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "all_handlers_finished",
    "as_completed",
    "cancellation_reason",
    "continue_as_new",
    "current_update_info",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_local_activity",
    "execute_local_activity_class",
    "execute_local_activity_method",
    "patched",
    "start_local_activity",
    "start_local_activity_class",
    "start_local_activity_method",
    "upsert_memo",
    "upsert_search_attributes",
    "execute_activity_class",
    "execute_activity_method",
    "execute_child_workflow",
    "get_current_details",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "in_workflow",
    "info",
    "init",
    "instance",
    "is_failure_exception",
    "logger",
    "memo",
    "metric_meter",
    "memo_value",
    "now",
    "payload_converter",
    "query",
    "random",
    "run",
    "set_current_details",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "sleep",
    "start_activity",
    "start_activity_class",
    "start_activity_method",
    "start_child_workflow",
    "time",
    "time_ns",
    "unsafe",
    "update",
    "uuid4",
    "wait",
    "wait_condition",
]


def test_replay_public_names() -> None:
    assert sorted(tempyral.replay.__all__) == sorted(REPLAY)
    assert all(hasattr(tempyral.replay, name) for name in REPLAY)


def test_workflow_public_names() -> None:
    assert sorted(tempyral.workflow.__all__) == sorted(WORKFLOW)
    assert all(hasattr(tempyral.workflow, name) for name in WORKFLOW)


def test_workflow_names_exist_in_the_official_module_too() -> None:
    """Every name we offer is one ``temporalio.workflow`` offers (we add nothing under it)."""
    import subprocess
    import sys

    code = (
        "import temporalio.workflow as w, sys;"
        " print(' '.join(n for n in sys.argv[1:] if not hasattr(w, n)))"
    )
    missing = subprocess.run(
        [sys.executable, "-c", code, *WORKFLOW], check=True, capture_output=True, text=True
    ).stdout.split()
    assert missing == []


SIGNATURES_CHECKED = [
    "defn",
    "signal",
    "query",
    "update",
    "start_activity",
    "execute_activity",
    "start_activity_method",
    "execute_activity_method",
    "start_activity_class",
    "execute_activity_class",
    "start_child_workflow",
    "execute_child_workflow",
    "start_local_activity",
    "execute_local_activity",
    "start_local_activity_method",
    "execute_local_activity_method",
    "start_local_activity_class",
    "execute_local_activity_class",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "sleep",
    "wait_condition",
    "continue_as_new",
    "memo_value",
    "set_signal_handler",
    "set_query_handler",
    "set_update_handler",
    "set_dynamic_update_handler",
    "current_update_info",
    "all_handlers_finished",
]


def test_signatures_take_the_official_parameter_names() -> None:
    """Keyword names match the official functions', so calls written for it bind the same."""
    import inspect
    import json
    import subprocess
    import sys

    code = (
        "import inspect, json, sys, temporalio.workflow as w;"
        " print(json.dumps({n: sorted(inspect.signature(getattr(w, n)).parameters)"
        " for n in sys.argv[1:]}))"
    )
    theirs = json.loads(
        subprocess.run(
            [sys.executable, "-c", code, *SIGNATURES_CHECKED],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    for name in SIGNATURES_CHECKED:
        ours = sorted(inspect.signature(getattr(tempyral.workflow, name)).parameters)
        assert ours == theirs[name], name
