"""tempyral's deterministic workflow engine and ``Replayer`` (history in, commands out, no I/O).

- :py:class:`Replayer` and :py:class:`WorkflowHistory` (the class of ``tempyral.client``): check
  stored histories against workflow code, in CI, with only this package installed (no worker,
  and gRPC is never imported).
- :py:class:`WorkflowInstance`: the sans-IO engine a worker drives per workflow task.
- :py:class:`NondeterminismError` (``TMPRL1100``) and :py:class:`CorruptHistoryError`
  (``TMPYRL1001``): the two ways replay itself fails.
- :py:class:`RestrictedWorkflowAccessError`: the determinism guard caught a call that breaks replay.
- Workflow interceptor classes and inputs (re-exported by ``tempyral.worker``, their official
  home): the engine calls them, so they are defined here.
- :py:class:`LocalActivityRequest` / :py:class:`LocalActivityResolution`: a local activity the
  engine asks the worker to run, and its outcome handed back.
"""

from typing import TYPE_CHECKING, Any

from tempyral.client import WorkflowHistory
from tempyral.replay._errors import (
    CorruptHistoryError,
    NondeterminismError,
    ReplayError,
    SourceLocation,
)
from tempyral.replay._guard import RestrictedWorkflowAccessError
from tempyral.replay._interceptor_api import (
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
from tempyral.replay._local_markers import LocalActivityRequest, LocalActivityResolution
from tempyral.replay._replayer import Replayer, WorkflowReplayResult, WorkflowReplayResults
from tempyral.replay._replayer_config import ReplayerConfig, ReplayerPlugin
from tempyral.replay._runner_api import (
    RunnerWorkflowInstance,
    WorkflowActivation,
    WorkflowActivationCompletion,
    WorkflowInstanceDetails,
    create_default_instance,
)

if TYPE_CHECKING:
    from tempyral.replay._instance import WorkflowInstance as WorkflowInstance
    from tempyral.replay._instance import WorkflowTaskCompletion as WorkflowTaskCompletion

# The engine proper (its machines, driver and runtime) loads with the first instance: importing
# a worker, or this package for its interceptor classes, does not pay for it.
_ENGINE_NAMES = frozenset({"WorkflowInstance", "WorkflowTaskCompletion"})


def __getattr__(name: str) -> Any:
    if name in _ENGINE_NAMES:
        from tempyral.replay import _instance

        value = getattr(_instance, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ContinueAsNewInput",
    "CorruptHistoryError",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "LocalActivityRequest",
    "LocalActivityResolution",
    "NondeterminismError",
    "PatchActivationInput",
    "ReplayError",
    "Replayer",
    "ReplayerConfig",
    "ReplayerPlugin",
    "RestrictedWorkflowAccessError",
    "RunnerWorkflowInstance",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "SourceLocation",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "StartNexusOperationInput",
    "WorkflowActivation",
    "WorkflowActivationCompletion",
    "WorkflowHistory",
    "WorkflowInboundInterceptor",
    "WorkflowInstance",
    "WorkflowInstanceDetails",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowTaskCompletion",
    "create_default_instance",
]
