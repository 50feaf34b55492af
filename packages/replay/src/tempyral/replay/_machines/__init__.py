"""One state machine per command type; see ``_base`` for how they are declared and driven."""

from tempyral.replay._machines._base import Machine, QueuedCommand
from tempyral.replay._machines._terminal import TerminalMachine
from tempyral.replay._machines.activity import ActivityMachine, CancellationType
from tempyral.replay._machines.cancel_external import CancelExternalMachine
from tempyral.replay._machines.cancel_workflow import CancelWorkflowMachine
from tempyral.replay._machines.child_workflow import ChildCancellationType, ChildWorkflowMachine
from tempyral.replay._machines.complete_workflow import CompleteWorkflowMachine
from tempyral.replay._machines.continue_as_new import ContinueAsNewMachine
from tempyral.replay._machines.fail_workflow import FailWorkflowMachine
from tempyral.replay._machines.modify_properties import ModifyPropertiesMachine
from tempyral.replay._machines.nexus_operation import NexusCancellationType, NexusOperationMachine
from tempyral.replay._machines.patch import PatchMachine
from tempyral.replay._machines.signal_external import SignalExternalMachine
from tempyral.replay._machines.timer import TimerMachine
from tempyral.replay._machines.update import UpdateMachine
from tempyral.replay._machines.upsert_search_attributes import UpsertSearchAttributesMachine

__all__ = [
    "ActivityMachine",
    "CancelExternalMachine",
    "CancelWorkflowMachine",
    "CancellationType",
    "ChildCancellationType",
    "ChildWorkflowMachine",
    "CompleteWorkflowMachine",
    "ContinueAsNewMachine",
    "FailWorkflowMachine",
    "Machine",
    "ModifyPropertiesMachine",
    "NexusCancellationType",
    "NexusOperationMachine",
    "PatchMachine",
    "QueuedCommand",
    "SignalExternalMachine",
    "TerminalMachine",
    "TimerMachine",
    "UpdateMachine",
    "UpsertSearchAttributesMachine",
]
