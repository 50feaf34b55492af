"""Schedule calls of the default outbound implementation (``_impl``).

Pause, unpause, trigger and backfill are ``PatchSchedule`` calls; ``update`` describes the
schedule, hands the description to the caller's updater and sends what it returns with
``UpdateSchedule``.
"""

from __future__ import annotations

import inspect
import uuid
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.errordetails.v1.message_pb2 import WorkflowExecutionAlreadyStartedFailure
from tempyral.api.schedule.v1 import message_pb2 as schedule_pb
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._errors import ScheduleAlreadyRunningError
from tempyral.client._inputs import RpcMetadata
from tempyral.converter import encode_search_attributes
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from datetime import timedelta

    from tempyral.client._client import Client
    from tempyral.client._schedule import ScheduleHandle
    from tempyral.client._schedule_describe import (
        ScheduleAsyncIterator,
        ScheduleDescription,
    )
    from tempyral.client._schedule_inputs import (
        BackfillScheduleInput,
        CreateScheduleInput,
        DeleteScheduleInput,
        DescribeScheduleInput,
        ListSchedulesInput,
        PauseScheduleInput,
        TriggerScheduleInput,
        UnpauseScheduleInput,
        UpdateScheduleInput,
    )

__all__ = ["_ScheduleCalls"]


# The schedule classes are imported by the calls that use them: a client loads them with its
# first schedule call, not when it is imported.
class _ScheduleCalls:
    _client: Client

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        state = input.schedule.state
        if state.limited_actions and not state.remaining_actions:
            raise ValueError(
                "Must set limited actions to false if there are no remaining actions set"
            )
        if not state.limited_actions and state.remaining_actions:
            raise ValueError("Must set limited actions to true if there are remaining actions set")
        client = self._client
        request = ws.CreateScheduleRequest(
            namespace=client.namespace,
            schedule_id=input.id,
            schedule=await input.schedule._to_proto(client),
            identity=client.identity,
            request_id=str(uuid.uuid4()),
        )
        if input.trigger_immediately:
            request.initial_patch.trigger_immediately.overlap_policy = cast(
                Any, int(input.schedule.policy.overlap)
            )
        if input.backfill:
            request.initial_patch.backfill_request.extend(b._to_proto() for b in input.backfill)
        if input.memo:
            await client.data_converter._encode_memo_existing(input.memo, request.memo)
        if input.search_attributes:
            encode_search_attributes(input.search_attributes, request.search_attributes)
        try:
            await client.workflow_service.create_schedule(
                request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
            )
        except RPCError as err:
            details = err.grpc_status.details
            if (
                err.status == RPCStatusCode.ALREADY_EXISTS
                and details
                and details[0].Is(cast(Any, WorkflowExecutionAlreadyStartedFailure.DESCRIPTOR))
            ):
                raise ScheduleAlreadyRunningError() from err
            raise
        from tempyral.client._schedule import ScheduleHandle

        return ScheduleHandle(client, input.id)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        from tempyral.client._schedule_describe import ScheduleAsyncIterator

        return ScheduleAsyncIterator(self._client, input)

    async def _patch(
        self,
        schedule_id: str,
        patch: schedule_pb.SchedulePatch,
        metadata: RpcMetadata,
        timeout: timedelta | None,
    ) -> None:
        await self._client.workflow_service.patch_schedule(
            ws.PatchScheduleRequest(
                namespace=self._client.namespace,
                schedule_id=schedule_id,
                patch=patch,
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
            ),
            retry=True,
            metadata=metadata,
            timeout=timeout,
        )

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        patch = schedule_pb.SchedulePatch(backfill_request=[b._to_proto() for b in input.backfills])
        await self._patch(input.id, patch, input.rpc_metadata, input.rpc_timeout)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        patch = schedule_pb.SchedulePatch(pause=input.note or "Paused via Python SDK")
        await self._patch(input.id, patch, input.rpc_metadata, input.rpc_timeout)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        patch = schedule_pb.SchedulePatch(unpause=input.note or "Unpaused via Python SDK")
        await self._patch(input.id, patch, input.rpc_metadata, input.rpc_timeout)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        patch = schedule_pb.SchedulePatch(
            trigger_immediately=schedule_pb.TriggerImmediatelyRequest(
                overlap_policy=cast(Any, int(input.overlap or 0))
            )
        )
        await self._patch(input.id, patch, input.rpc_metadata, input.rpc_timeout)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        await self._client.workflow_service.delete_schedule(
            ws.DeleteScheduleRequest(
                namespace=self._client.namespace,
                schedule_id=input.id,
                identity=self._client.identity,
            ),
            retry=True,
            metadata=input.rpc_metadata,
            timeout=input.rpc_timeout,
        )

    async def _describe(
        self, schedule_id: str, metadata: RpcMetadata, timeout: timedelta | None
    ) -> ScheduleDescription:
        response = await self._client.workflow_service.describe_schedule(
            ws.DescribeScheduleRequest(namespace=self._client.namespace, schedule_id=schedule_id),
            retry=True,
            metadata=metadata,
            timeout=timeout,
        )
        from tempyral.client._schedule_describe import ScheduleDescription

        return ScheduleDescription._from_proto(schedule_id, response, self._client.data_converter)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        return await self._describe(input.id, input.rpc_metadata, input.rpc_timeout)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        description = await self._describe(input.id, input.rpc_metadata, input.rpc_timeout)
        from tempyral.client._schedule_describe import ScheduleUpdate, ScheduleUpdateInput

        update = input.updater(ScheduleUpdateInput(description=description))
        if inspect.isawaitable(update):
            update = await update
        if not update:
            return
        if not isinstance(update, ScheduleUpdate):
            raise TypeError(
                f"A schedule updater returns a ScheduleUpdate or None, not {type(update).__name__}"
            )
        request = ws.UpdateScheduleRequest(
            namespace=self._client.namespace,
            schedule_id=input.id,
            schedule=await update.schedule._to_proto(self._client),
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
        )
        if update.search_attributes is not None:
            # An empty (but present) map removes every search attribute.
            request.search_attributes.SetInParent()
            encode_search_attributes(update.search_attributes, request.search_attributes)
        await self._client.workflow_service.update_schedule(
            request, retry=True, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )
