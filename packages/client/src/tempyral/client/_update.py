"""Workflow updates: :py:class:`WorkflowUpdateStage` and :py:class:`WorkflowUpdateHandle`.

An update is sent with ``UpdateWorkflowExecution`` (see ``_impl``); its outcome is fetched with
``PollWorkflowExecutionUpdate`` long polls until the server has it. Each poll is bounded by the
service's long-poll deadline (or ``rpc_timeout``); a poll that runs out of time or is cancelled
raises :py:class:`WorkflowUpdateRPCTimeoutOrCancelledError`, which says nothing about the update
itself.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Mapping
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Generic, cast

from tempyral.api.common.v1.message_pb2 import WorkflowExecution
from tempyral.api.enums.v1 import update_pb2 as update_enums
from tempyral.api.update.v1.message_pb2 import Outcome, UpdateRef, WaitPolicy
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollWorkflowExecutionUpdateRequest,
)
from tempyral.client._errors import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from tempyral.client._helpers import NO_METADATA
from tempyral.client._types import LocalReturnType
from tempyral.common._logging import logger
from tempyral.converter import DataConverter, WorkflowSerializationContext
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["WorkflowUpdateHandle", "WorkflowUpdateStage"]

_STAGE_COMPLETED = update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED


class WorkflowUpdateStage(IntEnum):
    """Stage an update must reach before ``start_update`` returns."""

    ADMITTED = int(update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED)
    """The server has the update (not supported as a wait stage yet)."""
    ACCEPTED = int(update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED)
    """The workflow's validator accepted the update."""
    COMPLETED = int(update_enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED)
    """The update handler finished (successfully or not)."""


def _is_timeout_or_cancel(err: RPCError) -> bool:
    return err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


class WorkflowUpdateHandle(Generic[LocalReturnType]):
    """Handle for a workflow update request; :py:meth:`result` waits for its outcome."""

    def __init__(
        self,
        client: Client,
        id: str,
        workflow_id: str,
        *,
        workflow_run_id: str | None = None,
        result_type: type | None = None,
        known_outcome: Outcome | None = None,
    ) -> None:
        """Create an update handle; use ``WorkflowHandle.start_update`` or
        ``WorkflowHandle.get_update_handle`` instead of calling this."""
        self._client = client
        self._id = id
        self._workflow_id = workflow_id
        self._workflow_run_id = workflow_run_id
        self._result_type = result_type
        self._known_outcome = known_outcome

    @functools.cached_property
    def _data_converter(self) -> DataConverter:
        return self._client.data_converter.with_context(
            WorkflowSerializationContext(
                namespace=self._client.namespace, workflow_id=self._workflow_id
            )
        )

    @property
    def id(self) -> str:
        """ID of this update request."""
        return self._id

    @property
    def workflow_id(self) -> str:
        """ID of the workflow the update targets."""
        return self._workflow_id

    @property
    def workflow_run_id(self) -> str | None:
        """Run of the workflow the update targets, if one was given."""
        return self._workflow_run_id

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> LocalReturnType:
        """Wait for the update's outcome and return its result.

        No call is made when the outcome is already known.

        Args:
            rpc_metadata: Headers for each poll call; they override the client's.
            rpc_timeout: Deadline of each poll call (not of the whole wait).

        Raises:
            WorkflowUpdateFailedError: The update was rejected or its handler failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: A poll call timed out or was cancelled.
            RPCError: The outcome could not be fetched for another reason.
        """
        outcome = await self._poll_until_outcome(rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        if outcome.HasField("failure"):
            raise WorkflowUpdateFailedError(
                await self._data_converter.decode_failure(outcome.failure)
            )
        if not outcome.success.payloads:
            return cast(LocalReturnType, None)
        type_hints = [self._result_type] if self._result_type else None
        results = await self._data_converter.decode(outcome.success.payloads, type_hints)
        if not results:
            return cast(LocalReturnType, None)
        if len(results) > 1:
            warnings.warn(f"Expected single update result, got {len(results)}", stacklevel=2)
        return cast(LocalReturnType, results[0])

    async def _poll_until_outcome(
        self,
        rpc_metadata: Mapping[str, str | bytes] = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Outcome:
        if self._known_outcome is not None:
            return self._known_outcome
        request = PollWorkflowExecutionUpdateRequest(
            namespace=self._client.namespace,
            update_ref=UpdateRef(
                workflow_execution=WorkflowExecution(
                    workflow_id=self._workflow_id, run_id=self._workflow_run_id or ""
                ),
                update_id=self._id,
            ),
            identity=self._client.identity,
            wait_policy=WaitPolicy(lifecycle_stage=_STAGE_COMPLETED),
        )
        while True:
            try:
                response = await self._client.workflow_service.poll_workflow_execution_update(
                    request, retry=True, metadata=rpc_metadata, timeout=rpc_timeout
                )
            except RPCError as err:
                if _is_timeout_or_cancel(err):
                    raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
                raise
            except asyncio.CancelledError as err:
                raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
            if response.HasField("outcome"):
                self._known_outcome = response.outcome
                return response.outcome
            logger.debug(
                "Update {} of workflow {} has no outcome yet; polling again",
                self._id,
                self._workflow_id,
            )
