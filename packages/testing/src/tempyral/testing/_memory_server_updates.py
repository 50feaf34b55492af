"""Workflow updates on the in-memory server: admitted, handed to the worker, answered, awaited.

The lifecycle follows the official server's, so the histories replay in any SDK:

* ``UpdateWorkflowExecution`` admits an update (no event) and makes sure a workflow task is
  coming; an update id already known to the run answers with that update instead (deduplication);
* every workflow task handed out carries each admitted, not yet answered update as a protocol
  message (``temporal.api.update.v1.Request``) sequenced after the task's scheduled event, so a
  failed task's updates go out again with its retry;
* the worker's answers: an ``Acceptance`` writes ``WorkflowExecutionUpdateAccepted`` and a
  ``Response`` writes ``WorkflowExecutionUpdateCompleted``, each where its protocol-message
  command stands among the task's commands; a ``Rejection`` (the validator refused) writes
  nothing and completes the update with its failure;
* a run that closes first fails its open updates: NOT_FOUND for one not yet accepted (as the
  server answers), a failure outcome for one accepted.

Clients wait (``UpdateWorkflowExecution``'s wait policy, ``PollWorkflowExecutionUpdate``) with
time skipping wanted, so an update whose handler sleeps lets virtual time jump.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tempyral.api.enums.v1 import update_pb2 as stages
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.history.v1 import message_pb2 as h
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as u
from tempyral.service import RPCError, RPCStatusCode
from tempyral.testing._memory_server_execution import Execution
from tempyral.testing._memory_server_state import not_found

__all__ = ["Update", "UpdateBook"]

ADMITTED = stages.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
ACCEPTED = stages.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
COMPLETED = stages.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED

_RUN_CLOSED_FIRST = (
    "Workflow Update failed because the Workflow completed before the Update completed."
)


@dataclass
class Update:
    """One update of a run: its request, how far it got, and who waits for it."""

    request: u.Request
    stage: stages.UpdateWorkflowExecutionLifecycleStage = ADMITTED
    accepted_event_id: int = 0
    outcome: u.Outcome | None = None
    error: RPCError | None = None
    sent_with: bytes = b""  # token of the workflow task that last carried it
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def update_id(self) -> str:
        return self.request.meta.update_id

    @property
    def answered(self) -> bool:
        """Accepted or rejected: the worker has seen it; no task needs to carry it again."""
        return self.stage >= ACCEPTED or self.error is not None

    async def wait_for(self, stage: stages.UpdateWorkflowExecutionLifecycleStage) -> None:
        """Return once the update reached ``stage`` (ACCEPTED at least); raise its error."""
        while self.error is None and self.stage < max(stage, ACCEPTED):
            await self._changed.wait()
        if self.error is not None:
            raise self.error

    def advance(
        self, stage: stages.UpdateWorkflowExecutionLifecycleStage, outcome: u.Outcome | None = None
    ) -> None:
        self.stage = stage
        if outcome is not None:
            self.outcome = outcome
        self._wake()

    def fail(self, error: RPCError) -> None:
        self.error = error
        self._wake()

    def _wake(self) -> None:
        # Waiters hold the old event; a fresh one serves the next change.
        self._changed.set()
        self._changed = asyncio.Event()


def updates_of(run: Execution) -> dict[str, Update]:
    found: dict[str, Update] = run.extra.setdefault("updates", {})
    return found


class UpdateBook:
    """The server's side of the update protocol, over the runs' ``updates`` tables."""

    def admit(self, run: Execution, request: u.Request) -> Update:
        """The run's update of this id: a new one (a workflow task is on its way) or the known."""
        updates = updates_of(run)
        known = updates.get(request.meta.update_id)
        if known is not None:
            return known
        update = Update(request)
        updates[update.update_id] = update
        run.want_workflow_task()
        return update

    def find(self, run: Execution, update_id: str) -> Update:
        update = updates_of(run).get(update_id)
        if update is None:
            raise not_found(
                f"update {update_id!r} not found on workflow {run.workflow_id!r} (run {run.run_id})"
            )
        return update

    def messages_for_task(
        self, run: Execution, token: bytes, started_event_id: int
    ) -> list[Message]:
        """The requests a workflow task carries: every update not answered yet."""
        messages = []
        for update in updates_of(run).values():
            if update.answered:
                continue
            update.sent_with = token
            message = Message(
                id=f"{update.update_id}/request",
                protocol_instance_id=update.update_id,
                event_id=started_event_id - 1,
            )
            message.body.Pack(update.request)
            messages.append(message)
        return messages

    def unsent(self, run: Execution, token: bytes) -> bool:
        """Whether an update arrived that the task ``token`` did not carry."""
        return any(
            not update.answered and update.sent_with != token for update in updates_of(run).values()
        )

    def apply(self, run: Execution, message: Message) -> None:
        """One answer of the worker: write its event (if any) and move the update on."""
        update = self.find(run, message.protocol_instance_id)
        acceptance, response, rejection = u.Acceptance(), u.Response(), u.Rejection()
        if message.body.Unpack(acceptance):
            event = run.append(
                h.WorkflowExecutionUpdateAcceptedEventAttributes(
                    protocol_instance_id=update.update_id,
                    accepted_request_message_id=acceptance.accepted_request_message_id,
                    accepted_request_sequencing_event_id=(
                        acceptance.accepted_request_sequencing_event_id
                    ),
                    accepted_request=acceptance.accepted_request,
                )
            )
            update.accepted_event_id = event.event_id
            update.advance(ACCEPTED)
        elif message.body.Unpack(response):
            run.append(
                h.WorkflowExecutionUpdateCompletedEventAttributes(
                    meta=response.meta,
                    accepted_event_id=update.accepted_event_id,
                    outcome=response.outcome,
                )
            )
            update.advance(COMPLETED, response.outcome)
        elif message.body.Unpack(rejection):
            update.advance(COMPLETED, u.Outcome(failure=rejection.failure))
        else:
            raise RPCError(
                f"the in-process test environment got a protocol message of an unknown kind "
                f"({message.body.type_url}) for update {update.update_id!r}",
                RPCStatusCode.INVALID_ARGUMENT,
                b"",
            )

    def on_close(self, run: Execution) -> None:
        """The run closed: its open updates end."""
        for update in updates_of(run).values():
            if update.stage >= COMPLETED or update.error is not None:
                continue
            if update.stage < ACCEPTED:
                update.fail(not_found("workflow execution already completed"))
            else:
                failure = Failure(
                    message=_RUN_CLOSED_FIRST,
                    application_failure_info=ApplicationFailureInfo(
                        type="AcceptedUpdateCompletedWorkflow", non_retryable=True
                    ),
                )
                update.advance(COMPLETED, u.Outcome(failure=failure))
