"""Worker for processing Temporal workflows and/or activities (mirrors ``temporalio.worker``).

``Worker(client, task_queue=..., workflows=[...], activities=[...])`` polls the task queue and runs
the workflows (on tempyral's engine, ``tempyral.replay``) and activities; ``await worker.run()``
(or ``async with worker:``) until ``await worker.shutdown()``. ``Replayer`` and its results are
``tempyral.replay``'s, re-exported here under the official names, as are the workflow
interceptor classes and inputs (the engine calls them).

Nexus services (``nexus_service_handlers=``) are served by a Nexus task poller (see
``tempyral.nexus``). Differences from ``temporalio.worker``: process-pool activity executors
raise ``NotImplementedError``;
``SandboxedWorkflowRunner`` / ``UnsandboxedWorkflowRunner`` are accepted for source
compatibility (tempyral has no per-run sandbox); ``workflow_deadlock_timeout`` is tempyral's
own. Logging goes through loguru and is off unless enabled: ``logger.enable("tempyral")``.
"""

from typing import TYPE_CHECKING

from tempyral.common import WorkerDeploymentVersion, loaded_on_first_use
from tempyral.replay import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    PatchActivationInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    StartNexusOperationInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from tempyral.worker._config import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    WorkerConfig,
)
from tempyral.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    ExecuteNexusOperationCancelInput,
    ExecuteNexusOperationStartInput,
    Interceptor,
    NexusOperationInboundInterceptor,
)
from tempyral.worker._plugin import Plugin
from tempyral.worker._runners import (
    SandboxedWorkflowRunner,
    UnsandboxedWorkflowRunner,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from tempyral.worker._shared_state import SharedHeartbeatSender, SharedStateManager
from tempyral.worker._tuner import (
    ActivitySlotInfo,
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    LocalActivitySlotInfo,
    NexusSlotInfo,
    ResourceBasedSlotConfig,
    ResourceBasedSlotSupplier,
    ResourceBasedTunerConfig,
    SlotInfo,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    WorkerTuner,
    WorkflowSlotInfo,
)
from tempyral.worker._versioning import WorkerDeploymentConfig, load_default_build_id
from tempyral.worker._worker import Worker

if TYPE_CHECKING:
    from tempyral.replay import Replayer as Replayer
    from tempyral.replay import ReplayerConfig as ReplayerConfig
    from tempyral.replay import WorkflowReplayResult as WorkflowReplayResult
    from tempyral.replay import WorkflowReplayResults as WorkflowReplayResults

# tempyral.replay's Replayer, re-exported under the official names, loads on first use (PEP 562),
# as tempyral.client's names do: a worker program that replays nothing does not import it.
_FROM_REPLAY = frozenset(
    {"Replayer", "ReplayerConfig", "WorkflowReplayResult", "WorkflowReplayResults"}
)


_import_on_first_use, __dir__ = loaded_on_first_use(
    __name__, dict.fromkeys(_FROM_REPLAY, "tempyral.replay")
)

if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use

__all__ = [
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
]
