"""tempyral's deterministic workflow engine and ``Replayer`` (history in, commands out, no I/O).

- :py:class:`Replayer` and :py:class:`WorkflowHistory` (the class of ``tempyral.client``): check
  stored histories against workflow code, in CI, with only this package installed (no worker,
  and gRPC is never imported).
- :py:class:`WorkflowInstance`: the sans-IO engine a worker drives per workflow task.
- :py:class:`NondeterminismError` (``TMPRL1100``) and :py:class:`CorruptHistoryError`
  (``TMPYRL1001``): the two ways replay itself fails.
- :py:class:`RestrictedWorkflowAccessError`: the determinism guard caught a call that breaks replay.
- :py:class:`LocalActivityRequest` / :py:class:`LocalActivityResolution`: a local activity the
  engine asks the worker to run, and its outcome handed back.
"""

from tempyral.client import WorkflowHistory
from tempyral.replay._errors import (
    CorruptHistoryError,
    NondeterminismError,
    ReplayError,
    SourceLocation,
)
from tempyral.replay._guard import RestrictedWorkflowAccessError
from tempyral.replay._instance import WorkflowInstance, WorkflowTaskCompletion
from tempyral.replay._local_markers import LocalActivityRequest, LocalActivityResolution
from tempyral.replay._replayer import Replayer, WorkflowReplayResult, WorkflowReplayResults

__all__ = [
    "CorruptHistoryError",
    "LocalActivityRequest",
    "LocalActivityResolution",
    "NondeterminismError",
    "ReplayError",
    "Replayer",
    "RestrictedWorkflowAccessError",
    "SourceLocation",
    "WorkflowHistory",
    "WorkflowInstance",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowTaskCompletion",
]
