"""The public names of tempyral.converter, .common, .exceptions and .contrib.pydantic.

A snapshot of each ``__all__`` (so a change to the public surface is deliberate), and a check
against the official SDK: every official public name exists here with the same parameters,
unless listed as not supported yet. The official SDK is described in its own process.
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
    "tempyral.converter": [
        "ActivitySerializationContext",
        "AdvancedJSONEncoder",
        "BinaryNullPayloadConverter",
        "BinaryPlainPayloadConverter",
        "BinaryProtoPayloadConverter",
        "CompositePayloadConverter",
        "DataConverter",
        "DefaultFailureConverter",
        "DefaultFailureConverterWithEncodedAttributes",
        "DefaultPayloadConverter",
        "EncodingPayloadConverter",
        "ExternalStorage",
        "FailureConverter",
        "JSONPlainPayloadConverter",
        "JSONProtoPayloadConverter",
        "JSONTypeConverter",
        "JSONTypeConverterUnhandled",
        "NexusSerializationContext",
        "PayloadCodec",
        "PayloadConverter",
        "SerializationContext",
        "StorageDriver",
        "StorageDriverActivityInfo",
        "StorageDriverClaim",
        "StorageDriverRetrieveContext",
        "StorageDriverSelectContext",
        "StorageDriverStoreContext",
        "StorageDriverWorkflowInfo",
        "StorageWarning",
        "TransferTypeConverter",
        "WithSerializationContext",
        "WorkflowSerializationContext",
        "create_payload_validation_error",
        "decode_search_attributes",
        "decode_typed_search_attributes",
        "default",
        "encode_search_attribute_values",
        "encode_search_attributes",
        "encode_typed_search_attribute_value",
        "transfer_type_convertible",
        "value_to_type",
    ],
    "tempyral.common": [
        "ActivityIDConflictPolicy",
        "ActivityIDReusePolicy",
        "AutoUpgradeVersioningOverride",
        "HeaderCodecBehavior",
        "MetricAttributes",
        "MetricCommon",
        "MetricCounter",
        "MetricGauge",
        "MetricGaugeFloat",
        "MetricHistogram",
        "MetricHistogramFloat",
        "MetricHistogramTimedelta",
        "MetricMeter",
        "NexusOperationCancellationState",
        "NexusOperationExecutionStatus",
        "NexusOperationIDConflictPolicy",
        "NexusOperationIDReusePolicy",
        "OneTimeVersioningOverride",
        "PendingNexusOperationExecutionState",
        "PinnedVersioningOverride",
        "Priority",
        "QueryRejectCondition",
        "RawValue",
        "RetryPolicy",
        "SearchAttributeIndexedValueType",
        "SearchAttributeKey",
        "SearchAttributePair",
        "SearchAttributeUpdate",
        "SearchAttributeValue",
        "SearchAttributeValueType",
        "SearchAttributeValues",
        "SearchAttributes",
        "TypedSearchAttributes",
        "VersioningBehavior",
        "VersioningOverride",
        "WorkerDeploymentVersion",
        "WorkflowIDConflictPolicy",
        "WorkflowIDReusePolicy",
        "configure_logging",
        "logger",
    ],
    "tempyral.exceptions": [
        "ActivityAlreadyStartedError",
        "ActivityError",
        "ApplicationError",
        "ApplicationErrorCategory",
        "CancelledError",
        "ChildWorkflowError",
        "FailureError",
        "InvalidVersioningOverrideError",
        "NexusOperationAlreadyStartedError",
        "NexusOperationError",
        "RetryState",
        "ServerError",
        "TemporalError",
        "TerminatedError",
        "TimeoutError",
        "TimeoutType",
        "WorkflowAlreadyStartedError",
        "is_cancelled_exception",
    ],
    "tempyral.contrib.pydantic": [
        "PydanticJSONPlainPayloadConverter",
        "PydanticPayloadConverter",
        "ToJsonOptions",
        "pydantic_data_converter",
    ],
}

# Official names tempyral does not offer yet.
NOT_SUPPORTED_YET: dict[str, set[str]] = {}
# Parameters of shared names that tempyral does not take yet.
MISSING_PARAMETERS: dict[tuple[str, str, str], set[str]] = {}

# Describes a module's public API as JSON: parameters (name, kind, whether defaulted) of each
# function, class constructor and public method, and the members of each enum.
DESCRIBE = textwrap.dedent(
    """
    import enum, importlib, inspect, json, sys, types

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
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            return {"enum": {m.name: m.value for m in obj}}
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
        if callable(obj):
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


def _compare(official: str, name: str, ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if "enum" in theirs:
        if ours.get("enum") != theirs["enum"]:
            problems.append(f"{name}: enum members {ours.get('enum')} != {theirs['enum']}")
        return problems
    for key in ("call", "__init__"):
        if key in theirs and theirs[key] is not None:
            skipped = MISSING_PARAMETERS.get((official, name, key), set())
            expected = [p for p in theirs[key] if p[0] not in skipped]
            if ours.get(key) != expected:
                problems.append(
                    f"{name}{'' if key == 'call' else '.__init__'}: {ours.get(key)} != {expected}"
                )
    for method, signature in theirs.get("methods", {}).items():
        our_signature = ours.get("methods", {}).get(method, "<missing>")
        if our_signature != signature:
            problems.append(f"{name}.{method}: {our_signature} != {signature}")
    return problems


@pytest.mark.parametrize("official_name", OFFICIAL_MODULES)
def test_shared_names_take_the_same_parameters(
    both_apis: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]], official_name: str
) -> None:
    ours, theirs = both_apis
    our_module = ours[official_name.replace("temporalio", "tempyral", 1)]
    problems: list[str] = []
    for name, description in theirs[official_name].items():
        if name in our_module:
            problems += _compare(official_name, name, our_module[name], description)

    assert not problems, "\n".join(problems)
