"""Workflow updates on the engine side: requests in, update machines, protocol messages out.

:py:class:`UpdateProtocol` is a collaborator of ``_driver.WorkflowMachines``. Requests reach it
three ways, as in the official Core SDK:

- protocol messages of the newest workflow task, each delivered just after the event named by
  its sequencing event id (so an update sees the signals that came before it);
- on replay, the ``WorkflowExecutionUpdateAccepted`` events among the commands that complete the
  task being applied: the request recorded there is delivered with that task, the validator not
  run again (a rejected update left no history, so it is never replayed);
- ``WorkflowExecutionUpdateAdmitted`` events (durable requests): delivered at once when new,
  kept on replay for the accepted event that follows.

The outgoing messages (acceptance, rejection, response) of the newest task are taken by the
instance for the task's completion; nothing is sent for a replayed task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as update_pb2
from tempyral.replay import _intents as i
from tempyral.replay._errors import CorruptHistoryError, IllegalMoveError
from tempyral.replay._flags import Flags
from tempyral.replay._history import EventType
from tempyral.replay._jobs import Job
from tempyral.replay._machines.update import UpdateMachine

__all__ = ["UpdateProtocol"]

HistoryEvent = history_pb2.HistoryEvent
E = EventType
_ADMITTED = E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED


@dataclass
class _Request:
    message_id: str
    protocol_instance_id: str
    sequencing_event_id: int  # delivered once this event has been applied
    request: update_pb2.Request


class UpdateProtocol:
    """The update machines of one run and their incoming and outgoing protocol messages."""

    __slots__ = ("_admitted", "_flags", "_outbox", "_pending", "machines")

    def __init__(self, flags: Flags) -> None:
        self._flags = flags
        self.machines: dict[str, UpdateMachine] = {}
        self._pending: list[_Request] = []
        self._admitted: dict[str, _Request] = {}
        self._outbox: list[Message] = []

    # -- requests in ----------------------------------------------------------------------------
    def receive(self, messages: Sequence[Message]) -> None:
        """Keep the newest task's update requests until their sequencing event is applied."""
        for message in messages:
            request = update_pb2.Request()
            if not message.body.Unpack(request):
                continue  # no other protocol exists yet; an unknown one is not ours to answer
            which = message.WhichOneof("sequencing_id")
            sequencing = message.event_id if which == "event_id" else 0
            self._pending.append(
                _Request(message.id, message.protocol_instance_id, sequencing, request)
            )

    def deliver_before(self, event: HistoryEvent | None, *, replaying: bool) -> list[Job]:
        """Requests due before ``event`` is applied (None: all that are left).

        An ``UpdateAdmitted`` event is read here: its request is due after it.
        """
        due: list[_Request] = []
        if not replaying and self._pending:
            due = [
                r for r in self._pending if event is None or r.sequencing_event_id < event.event_id
            ]
            self._pending = [r for r in self._pending if r not in due]
        if event is not None and event.event_type == _ADMITTED:
            self._admitted_event(event, replaying=replaying)
        return self._start(due, replaying=False)

    def _admitted_event(self, event: HistoryEvent, *, replaying: bool) -> None:
        request = event.workflow_execution_update_admitted_event_attributes.request
        update_id = request.meta.update_id
        delivered = _Request(f"{update_id}/request", update_id, event.event_id, request)
        if replaying:
            self._admitted[update_id] = delivered
        else:
            self._pending.append(delivered)

    def replayed_requests(self, following: Sequence[HistoryEvent], *, replaying: bool) -> list[Job]:
        """Requests accepted by the commands in ``following`` (the next task's events)."""
        requests = []
        for event in following:
            if event.event_type != E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                continue
            attrs = event.workflow_execution_update_accepted_event_attributes
            stashed = self._admitted.pop(attrs.protocol_instance_id, None)
            if stashed is None:
                if not attrs.HasField("accepted_request"):
                    raise CorruptHistoryError(
                        "an update accepted event has no accepted request", event=event
                    )
                stashed = _Request(
                    attrs.accepted_request_message_id,
                    attrs.protocol_instance_id,
                    attrs.accepted_request_sequencing_event_id,
                    attrs.accepted_request,
                )
            requests.append(stashed)
        return self._start(requests, replaying=replaying)

    def _start(self, requests: list[_Request], *, replaying: bool) -> list[Job]:
        jobs: list[Job] = []
        for r in requests:
            if r.protocol_instance_id in self.machines:
                continue  # the same update delivered twice: it runs once
            machine = UpdateMachine(
                r.message_id, r.protocol_instance_id, r.sequencing_event_id, r.request
            )
            machine.flags = self._flags
            machine.replaying = replaying
            self.machines[r.protocol_instance_id] = machine
            jobs.append(machine.do_update_job(replaying=replaying))
        return jobs

    # -- answers out ----------------------------------------------------------------------------
    def respond(self, intent: i.RespondToUpdate, *, replaying: bool) -> UpdateMachine:
        """Move the update's machine; its commands are left for the driver to queue."""
        machine = self.machines.get(intent.protocol_instance_id)
        if machine is None:
            raise IllegalMoveError(
                machine=f"update {intent.protocol_instance_id!r}",
                state="(never requested)",
                trigger=intent.response,
                path="",
                source=intent.source,
            )
        machine.respond(intent.response, intent.result, intent.failure)
        if not replaying:
            self._outbox.extend(machine.new_messages)
        machine.new_messages.clear()
        return machine

    def take_messages(self) -> list[Message]:
        messages, self._outbox = self._outbox, []
        return messages
