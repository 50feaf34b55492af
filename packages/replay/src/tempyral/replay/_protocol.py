"""The command that fails a workflow when the engine decides an error fails the workflow rather
than only its task (see ``WorkflowInstance.workflow_failure``).

Protocol messages (workflow updates) are answered by ``_update_protocol``.
"""

from __future__ import annotations

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION
from tempyral.api.failure.v1.message_pb2 import Failure

__all__ = ["fail_workflow_command"]


def fail_workflow_command(failure: Failure) -> command_pb2.Command:
    return command_pb2.Command(
        command_type=COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb2.FailWorkflowExecutionCommandAttributes(
            failure=failure
        ),
    )
