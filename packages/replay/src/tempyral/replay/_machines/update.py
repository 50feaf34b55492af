"""The workflow update state machine: one update request, from delivery to its recorded outcome.

A request (a protocol message, or on replay the ``WorkflowExecutionUpdateAccepted`` event that
records it) creates the machine and the ``DoUpdate`` job. The workflow code answers it:
``accept`` sends an ``Acceptance`` message with a protocol-message command (recorded as
``...UpdateAccepted``); ``reject`` before acceptance sends a ``Rejection`` message and no command
(nothing reaches history); ``complete``, or ``reject`` after acceptance, sends a ``Response``
message with a second protocol-message command (recorded as ``...UpdateCompleted``). Message ids
are the request message id with ``/accept``, ``/reject`` or ``/complete`` appended, as the
official Core SDK names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

from google.protobuf.message import Message as ProtoMessage

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as update_pb2
from tempyral.replay._jobs import DoUpdate, Job
from tempyral.replay._machines._base import Command, Handler, HistoryEvent, Machine

__all__ = ["UpdateMachine"]


class S(Enum):
    REQUESTED = 0
    ACCEPT_COMMAND_CREATED = 1
    ACCEPT_COMMAND_RECORDED = 2
    # Completed in the task that accepted it: the accept event is still to come.
    COMPLETED_BEFORE_ACCEPT_RECORDED = 3
    COMPLETE_COMMAND_CREATED = 4
    COMPLETE_COMMAND_RECORDED = 5
    REJECTED = 6


_ACCEPTED_EVENT = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
_COMPLETED_EVENT = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED


def protocol_command(message_id: str) -> Command:
    return Command(
        command_type=CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
        protocol_message_command_attributes=command_pb2.ProtocolMessageCommandAttributes(
            message_id=message_id
        ),
    )


class UpdateMachine(Machine):
    kind = "update"
    State = S
    INITIAL = S.REQUESTED
    FINAL = frozenset({S.COMPLETE_COMMAND_RECORDED, S.REJECTED})
    TRANSITIONS: ClassVar[Mapping[tuple[Enum, str], Enum | tuple[Enum, ...]]] = {
        (S.REQUESTED, "accept"): S.ACCEPT_COMMAND_CREATED,
        (S.REQUESTED, "reject"): S.REJECTED,
        (S.ACCEPT_COMMAND_CREATED, "workflow_execution_update_accepted"): (
            S.ACCEPT_COMMAND_RECORDED
        ),
        (S.ACCEPT_COMMAND_CREATED, "complete"): S.COMPLETED_BEFORE_ACCEPT_RECORDED,
        (S.ACCEPT_COMMAND_CREATED, "reject"): S.COMPLETED_BEFORE_ACCEPT_RECORDED,
        (S.COMPLETED_BEFORE_ACCEPT_RECORDED, "workflow_execution_update_accepted"): (
            S.COMPLETE_COMMAND_CREATED
        ),
        (S.ACCEPT_COMMAND_RECORDED, "complete"): S.COMPLETE_COMMAND_CREATED,
        (S.ACCEPT_COMMAND_RECORDED, "reject"): S.COMPLETE_COMMAND_CREATED,
        (S.COMPLETE_COMMAND_CREATED, "workflow_execution_update_completed"): (
            S.COMPLETE_COMMAND_RECORDED
        ),
    }

    def __init__(
        self,
        message_id: str,
        protocol_instance_id: str,
        sequencing_event_id: int,
        request: update_pb2.Request,
    ) -> None:
        super().__init__(0, None)
        self.message_id = message_id
        self.protocol_instance_id = protocol_instance_id
        self.sequencing_event_id = sequencing_event_id
        self.request = request
        self.command = protocol_command(f"{message_id}/accept")
        self.new_messages: list[Message] = []  # taken by the update protocol
        self._result: common_pb2.Payload | None = None
        self._failure: failure_pb2.Failure | None = None

    def do_update_job(self, *, replaying: bool) -> DoUpdate:
        request_input = self.request.input
        return DoUpdate(
            id=self.request.meta.update_id,
            protocol_instance_id=self.protocol_instance_id,
            name=request_input.name,
            input=list(request_input.args.payloads),
            headers=dict(request_input.header.fields),
            run_validator=not replaying,
        )

    # -- the workflow code's answers ------------------------------------------------------------
    def respond(
        self,
        response: str,
        result: common_pb2.Payload | None,
        failure: failure_pb2.Failure | None,
    ) -> list[Job]:
        self._result, self._failure = result, failure
        return self.fire(response)

    def on_accept(self, event: HistoryEvent | None) -> list[Job]:
        acceptance = update_pb2.Acceptance(
            accepted_request_message_id=self.message_id,
            accepted_request_sequencing_event_id=self.sequencing_event_id,
            accepted_request=self.request,
        )
        self._send(f"{self.message_id}/accept", acceptance, with_command=True)
        return []

    def on_reject(self, event: HistoryEvent | None) -> list[Job]:
        failure = self._failure or failure_pb2.Failure()
        if self.state is S.REQUESTED:
            rejection = update_pb2.Rejection(
                rejected_request_message_id=self.message_id,
                rejected_request_sequencing_event_id=self.sequencing_event_id,
                rejected_request=self.request,
                failure=failure,
            )
            self._send(f"{self.message_id}/reject", rejection, with_command=False)
        else:
            self._send_response(update_pb2.Outcome(failure=failure))
        return []

    def on_complete(self, event: HistoryEvent | None) -> list[Job]:
        payloads = common_pb2.Payloads()
        if self._result is not None:
            payloads.payloads.append(self._result)
        self._send_response(update_pb2.Outcome(success=payloads))
        return []

    def _send_response(self, outcome: update_pb2.Outcome) -> None:
        response = update_pb2.Response(meta=self.request.meta, outcome=outcome)
        self._send(f"{self.message_id}/complete", response, with_command=True)

    def _send(self, message_id: str, body: ProtoMessage, *, with_command: bool) -> None:
        message = Message(id=message_id, protocol_instance_id=self.protocol_instance_id)
        message.body.Pack(body)
        self.new_messages.append(message)
        if with_command:
            self.issue(protocol_command(message_id))

    # -- matching history -----------------------------------------------------------------------
    def expected_event(self, command: Command) -> int | None:
        if command.command_type != CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
            return None
        message_id = command.protocol_message_command_attributes.message_id
        return _ACCEPTED_EVENT if message_id.endswith("/accept") else _COMPLETED_EVENT

    def check_command_event(self, command: Command, event: HistoryEvent) -> None:
        if event.event_type == _ACCEPTED_EVENT:
            recorded = event.workflow_execution_update_accepted_event_attributes
            recorded_id = recorded.protocol_instance_id
        else:
            recorded_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
        if recorded_id and recorded_id != self.protocol_instance_id:
            raise self.mismatch(
                f"history records update {recorded_id!r} here, the code answered update"
                f" {self.protocol_instance_id!r} (updates are answered in the order they ran)",
                event,
                command,
            )

    HANDLERS: ClassVar[Mapping[str, Handler]] = {
        "accept": on_accept,
        "reject": on_reject,
        "complete": on_complete,
    }
