"""Protocol messages the engine answers, and the command that fails a workflow.

A workflow task carries protocol messages besides its history (today: workflow update requests);
the engine answers them in :py:attr:`WorkflowTaskCompletion.messages`. Until the engine runs
updates, every update request is rejected so that its caller gets an error at once instead of
waiting forever. The fail-workflow command is built here too: the engine decides when an error
fails the workflow rather than only its task (see ``WorkflowInstance.workflow_failure``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.enums.v1.command_type_pb2 import COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as update_pb2

__all__ = ["UPDATES_UNSUPPORTED", "fail_workflow_command", "reject_updates"]

UPDATES_UNSUPPORTED = (
    "workflow updates are not supported by this version of tempyral's workflow engine; run this "
    "workflow on a worker that supports them"
)


def reject_updates(messages: Sequence[Message]) -> list[Message]:
    """A rejection for every update request among ``messages`` (other messages are ignored)."""
    rejections = []
    for message in messages:
        request = update_pb2.Request()
        if not message.body.Unpack(request):
            continue
        rejection = update_pb2.Rejection(
            rejected_request_message_id=message.id,
            rejected_request_sequencing_event_id=message.event_id,
            rejected_request=request,
            failure=Failure(
                message=UPDATES_UNSUPPORTED,
                application_failure_info=ApplicationFailureInfo(
                    type="NotImplementedError", non_retryable=True
                ),
            ),
        )
        reply = Message(
            id=f"{message.protocol_instance_id}/reject",
            protocol_instance_id=message.protocol_instance_id,
        )
        reply.body.Pack(rejection)
        rejections.append(reply)
    return rejections


def fail_workflow_command(failure: Failure) -> command_pb2.Command:
    return command_pb2.Command(
        command_type=COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb2.FailWorkflowExecutionCommandAttributes(
            failure=failure
        ),
    )
