"""The public names of tempyral.activity and tempyral.worker.

A snapshot of each ``__all__`` (so a change to the public surface is deliberate), and a check
against the official SDK, described in its own process: every official public name exists here
with the same parameters, unless listed below as not supported yet.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

SNAPSHOT: dict[str, list[str]] = {
    "tempyral.activity": [
        "ActivityCancellationDetails",
        "CallableType",
        "Info",
        "LoggerAdapter",
        "cancellation_details",
        "client",
        "defn",
        "heartbeat",
        "in_activity",
        "info",
        "is_cancelled",
        "is_worker_shutdown",
        "logger",
        "metric_meter",
        "payload_converter",
        "raise_complete_async",
        "shield_thread_cancel_exception",
        "wait_for_cancelled",
        "wait_for_cancelled_sync",
        "wait_for_worker_shutdown",
        "wait_for_worker_shutdown_sync",
    ],
    "tempyral.worker": [
        "ActivityInboundInterceptor",
        "ActivityOutboundInterceptor",
        "ActivitySlotInfo",
        "ContinueAsNewInput",
        "CustomSlotSupplier",
        "ExecuteActivityInput",
        "ExecuteNexusOperationCancelInput",
        "ExecuteNexusOperationStartInput",
        "ExecuteWorkflowInput",
        "FixedSizeSlotSupplier",
        "HandleQueryInput",
        "HandleSignalInput",
        "HandleUpdateInput",
        "Interceptor",
        "LocalActivitySlotInfo",
        "NexusOperationInboundInterceptor",
        "NexusSlotInfo",
        "PatchActivationInput",
        "Plugin",
        "PollerBehavior",
        "PollerBehaviorAutoscaling",
        "PollerBehaviorSimpleMaximum",
        "Replayer",
        "ReplayerConfig",
        "ResourceBasedSlotConfig",
        "ResourceBasedSlotSupplier",
        "ResourceBasedTunerConfig",
        "SandboxedWorkflowRunner",
        "SharedHeartbeatSender",
        "SharedStateManager",
        "SignalChildWorkflowInput",
        "SignalExternalWorkflowInput",
        "SlotInfo",
        "SlotMarkUsedContext",
        "SlotPermit",
        "SlotReleaseContext",
        "SlotReserveContext",
        "StartActivityInput",
        "StartChildWorkflowInput",
        "StartLocalActivityInput",
        "StartNexusOperationInput",
        "UnsandboxedWorkflowRunner",
        "Worker",
        "WorkerConfig",
        "WorkerDeploymentConfig",
        "WorkerDeploymentVersion",
        "WorkerTuner",
        "WorkflowInboundInterceptor",
        "WorkflowInstance",
        "WorkflowInstanceDetails",
        "WorkflowInterceptorClassInput",
        "WorkflowOutboundInterceptor",
        "WorkflowReplayResult",
        "WorkflowReplayResults",
        "WorkflowRunner",
        "WorkflowSlotInfo",
        "load_default_build_id",
    ],
    "tempyral.worker.workflow_sandbox": ["SandboxRestrictions", "SandboxedWorkflowRunner"],
    "tempyral.plugin": ["PluginParameter", "SimplePlugin", "T"],
}

NOT_SUPPORTED_YET: dict[str, set[str]] = {
    "temporalio.worker": set(),
    "temporalio.plugin": set(),
    # The sandbox's own errors and matchers: tempyral has no sandbox.
    "temporalio.worker.workflow_sandbox": {
        "RestrictedWorkflowAccessError",
        "SandboxMatcher",
        "UnintentionalPassthroughError",
    },
}

# Describes a module's public API as JSON: parameters (name, kind, whether defaulted) of each
# function, class constructor and public method.
DESCRIBE = textwrap.dedent(
    """
    import importlib, inspect, json, sys, types

    def params(obj):
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return None
        return [
            [p.name, p.kind.name, p.default is not inspect.Parameter.empty]
            for p in signature.parameters.values()
            if p.name != "self"
        ]

    def describe(obj):
        if isinstance(obj, type):
            methods = {}
            for name in dir(obj):
                if name.startswith("_"):
                    continue
                attr = inspect.getattr_static(obj, name, None)
                if not isinstance(
                    attr, (types.FunctionType, staticmethod, classmethod, property)
                ):
                    continue
                is_property = isinstance(attr, property)
                methods[name] = "property" if is_property else params(getattr(obj, name))
            return {"__init__": params(obj), "methods": methods}
        if isinstance(obj, types.FunctionType):
            return {"call": params(obj)}
        return {"value": True}

    result = {}
    for module_name in sys.argv[1:]:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [
            n for n in dir(module)
            if not n.startswith("_")
            and getattr(getattr(module, n), "__module__", None) == module_name
        ]
        result[module_name] = {n: describe(getattr(module, n)) for n in names}
    print(json.dumps(result))
    """
)

OFFICIAL_MODULES = [name.replace("tempyral", "temporalio", 1) for name in SNAPSHOT]
# Parameters of shared names that tempyral does not take (the official SDK's are listed).
MISSING_PARAMETERS: dict[tuple[str, str, str], set[str]] = {
    # tempyral.replay's Replayer takes these as **kwargs and ignores them (no runner).
    ("temporalio.worker", "Replayer", "__init__"): {
        "workflow_task_executor",
        "workflow_runner",
        "unsandboxed_workflow_runner",
        "build_id",
        "identity",
        "runtime",
        "disable_safe_workflow_eviction",
    },
}
# Parameters tempyral adds (design: where we add, we add), each defaulted.
EXTRA_PARAMETERS: dict[tuple[str, str, str], set[str]] = {
    ("temporalio.worker", "Worker", "__init__"): {"workflow_deadlock_timeout"},
    ("temporalio.worker", "Replayer", "__init__"): {"determinism_guard", "_ignored"},
    ("temporalio.worker", "WorkflowReplayResult", "__init__"): {"events", "seconds"},
    ("temporalio.worker", "WorkflowReplayResults", "__init__"): {"results"},
}
# Parameters tempyral gives a default the official SDK does not (calls that work there work here).
DEFAULTED_HERE: dict[tuple[str, str, str], set[str]] = {
    ("temporalio.worker", "WorkflowReplayResults", "__init__"): {"replay_failures"},
}
# Methods of shared classes that belong to parts not built yet: a runner's workflow instances.
_RUNNER_METHODS = {
    "create_instance",
    "prepare_workflow",
    "set_worker_level_failure_exception_types",
}
MISSING_METHODS: dict[tuple[str, str], set[str]] = {
    ("temporalio.worker", "WorkflowRunner"): _RUNNER_METHODS,
    ("temporalio.worker", "UnsandboxedWorkflowRunner"): _RUNNER_METHODS,
    ("temporalio.worker.workflow_sandbox", "SandboxedWorkflowRunner"): _RUNNER_METHODS,
}


def _describe(modules: list[str]) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    described: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return described


@pytest.fixture(scope="module")
def both_apis() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    return _describe(list(SNAPSHOT)), _describe(OFFICIAL_MODULES)


@pytest.mark.parametrize("module_name", list(SNAPSHOT))
def test_public_names_snapshot(module_name: str) -> None:
    module = importlib.import_module(module_name)

    assert sorted(module.__all__) == SNAPSHOT[module_name]
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("official_name", OFFICIAL_MODULES)
def test_every_official_name_exists(
    both_apis: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]], official_name: str
) -> None:
    ours, theirs = both_apis
    our_names = set(ours[official_name.replace("temporalio", "tempyral", 1)])
    missing = set(theirs[official_name]) - our_names - NOT_SUPPORTED_YET.get(official_name, set())

    assert not missing, f"official names missing from tempyral: {sorted(missing)}"


@pytest.mark.parametrize("official_name", OFFICIAL_MODULES)
def test_shared_names_take_the_same_parameters(
    both_apis: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]], official_name: str
) -> None:
    ours, theirs = both_apis
    our_module = ours[official_name.replace("temporalio", "tempyral", 1)]
    problems: list[str] = []
    for name, description in theirs[official_name].items():
        if name not in our_module:
            continue
        mine = our_module[name]
        for key in ("call", "__init__"):
            if description.get(key) is None:
                continue
            where = (official_name, name, key)
            skipped = MISSING_PARAMETERS.get(where, set())
            defaulted = DEFAULTED_HERE.get(where, set())
            expected = [
                [p[0], p[1], p[2] or p[0] in defaulted]
                for p in description[key]
                if p[0] not in skipped
            ]
            extra = EXTRA_PARAMETERS.get(where, set())
            ours = [p for p in mine.get(key) or [] if p[0] not in extra]
            if ours != expected:
                problems.append(f"{name} {key}: {ours} != {expected}")
        for method, signature in description.get("methods", {}).items():
            if method in MISSING_METHODS.get((official_name, name), set()):
                continue
            our_signature = mine.get("methods", {}).get(method, "<missing>")
            if our_signature != signature:
                problems.append(f"{name}.{method}: {our_signature} != {signature}")

    assert not problems, "\n".join(problems)


def test_not_supported_lists_only_official_names(
    both_apis: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
) -> None:
    _, theirs = both_apis
    for official_name, names in NOT_SUPPORTED_YET.items():
        assert names <= set(theirs[official_name]), names - set(theirs[official_name])
