"""Types shared by the client, workers and workflows (mirrors ``temporalio.common``).

Retry policies, start policies, typed search attributes, raw payload values, priorities,
worker versioning and the metric interfaces; and tempyral's own diagnostics logger
(:py:data:`logger`, loguru), whose warnings reach standard :py:mod:`logging`
(:py:func:`configure_logging`).
"""

from tempyral.common._enums import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    HeaderCodecBehavior,
    NexusOperationCancellationState,
    NexusOperationExecutionStatus,
    NexusOperationIDConflictPolicy,
    NexusOperationIDReusePolicy,
    PendingNexusOperationExecutionState,
    QueryRejectCondition,
    VersioningBehavior,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

# For tempyral's own packages' lazily loaded names; not in __all__ (no official counterpart).
from tempyral.common._first_use import loaded_on_first_use as loaded_on_first_use
from tempyral.common._helpers import _apply_headers as _apply_headers
from tempyral.common._helpers import _arg_or_args as _arg_or_args
from tempyral.common._helpers import _arg_unset as _arg_unset
from tempyral.common._helpers import _type_hints_from_func as _type_hints_from_func
from tempyral.common._logging import configure_logging, logger
from tempyral.common._metrics import (
    MetricAttributes,
    MetricCommon,
    MetricCounter,
    MetricGauge,
    MetricGaugeFloat,
    MetricHistogram,
    MetricHistogramFloat,
    MetricHistogramTimedelta,
    MetricMeter,
)
from tempyral.common._priority import Priority
from tempyral.common._raw_value import RawValue
from tempyral.common._retry import RetryPolicy
from tempyral.common._search_attributes import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeUpdate,
    SearchAttributeValue,
    SearchAttributeValues,
    SearchAttributeValueType,
    TypedSearchAttributes,
)
from tempyral.common._search_attributes import (
    _warn_on_deprecated_search_attributes as _warn_on_deprecated_search_attributes,
)
from tempyral.common._versioning import (
    AutoUpgradeVersioningOverride,
    OneTimeVersioningOverride,
    PinnedVersioningOverride,
    VersioningOverride,
    WorkerDeploymentVersion,
)

__all__ = [
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
]
