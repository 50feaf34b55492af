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

from typing import TYPE_CHECKING

from tempyral.common import loaded_on_first_use
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
from tempyral.replay._runner_api import (
    RunnerWorkflowInstance,
    WorkflowActivation,
    WorkflowActivationCompletion,
    WorkflowInstanceDetails,
    create_default_instance,
)

if TYPE_CHECKING:
    from tempyral.client import WorkflowHistory as WorkflowHistory
    from tempyral.replay._instance import WorkflowInstance as WorkflowInstance
    from tempyral.replay._instance import WorkflowTaskCompletion as WorkflowTaskCompletion
    from tempyral.replay._local_markers import LocalActivityRequest as LocalActivityRequest
    from tempyral.replay._local_markers import LocalActivityResolution as LocalActivityResolution
    from tempyral.replay._replayer import Replayer as Replayer
    from tempyral.replay._replayer import WorkflowReplayResult as WorkflowReplayResult
    from tempyral.replay._replayer import WorkflowReplayResults as WorkflowReplayResults
    from tempyral.replay._replayer_config import ReplayerConfig as ReplayerConfig
    from tempyral.replay._replayer_config import ReplayerPlugin as ReplayerPlugin

# Loaded on first use, each with the module defining it: the engine proper (its machines,
# driver and runtime) with the first instance; the Replayer (and the history it reads) and the
# local activity markers with a replayer or a worker's workflow half. Importing a worker, or
# this package for its interceptor classes, pays for none of them.
_DEFINED_IN = {
    "WorkflowInstance": "tempyral.replay._instance",
    "WorkflowTaskCompletion": "tempyral.replay._instance",
    "Replayer": "tempyral.replay._replayer",
    "WorkflowReplayResult": "tempyral.replay._replayer",
    "WorkflowReplayResults": "tempyral.replay._replayer",
    "ReplayerConfig": "tempyral.replay._replayer_config",
    "ReplayerPlugin": "tempyral.replay._replayer_config",
    "WorkflowHistory": "tempyral.client",
    "LocalActivityRequest": "tempyral.replay._local_markers",
    "LocalActivityResolution": "tempyral.replay._local_markers",
}


_import_on_first_use, __dir__ = loaded_on_first_use(__name__, _DEFINED_IN)

if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use


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
