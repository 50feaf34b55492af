"""Async activity completion calls of the default outbound implementation (``_impl``).

A handle made from a task token uses ``RecordActivityTaskHeartbeat`` and
``RespondActivityTask{Completed,Failed,Canceled}``; one made from ids uses their ``ById`` forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._activity import AsyncActivityIDReference
from tempyral.client._errors import ActivityCancellationDetails, AsyncActivityCancelledError
from tempyral.client._helpers import _encode_args
from tempyral.client._inputs import (
    CompleteAsyncActivityInput,
    FailAsyncActivityInput,
    HeartbeatAsyncActivityInput,
    ReportCancellationAsyncActivityInput,
)
from tempyral.common import _arg_unset
from tempyral.converter import DataConverter

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["_AsyncActivityCalls"]


class _AsyncActivityCalls:
    _client: Client

    def _activity_converter(self, override: DataConverter | None) -> DataConverter:
        return override or self._client.data_converter

    async def _activity_payloads(
        self, converter: DataConverter, values: Sequence[Any], what: str
    ) -> Payloads | None:
        if not values:
            return None
        return Payloads(payloads=await _encode_args(converter, values, what))

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        converter = self._activity_converter(input.data_converter_override)
        details = await self._activity_payloads(converter, input.details, "the heartbeat details")
        client, target = self._client, input.id_or_token
        response: (
            ws.RecordActivityTaskHeartbeatByIdResponse | ws.RecordActivityTaskHeartbeatResponse
        )
        if isinstance(target, AsyncActivityIDReference):
            response = await client.workflow_service.record_activity_task_heartbeat_by_id(
                ws.RecordActivityTaskHeartbeatByIdRequest(
                    workflow_id=target.workflow_id or "",
                    run_id=target.run_id or "",
                    activity_id=target.activity_id,
                    namespace=client.namespace,
                    identity=client.identity,
                    details=details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
        else:
            response = await client.workflow_service.record_activity_task_heartbeat(
                ws.RecordActivityTaskHeartbeatRequest(
                    task_token=target,
                    namespace=client.namespace,
                    identity=client.identity,
                    details=details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
        if response.cancel_requested or response.activity_paused or response.activity_reset:
            raise AsyncActivityCancelledError(
                details=ActivityCancellationDetails(
                    cancel_requested=response.cancel_requested,
                    paused=response.activity_paused,
                    reset=response.activity_reset,
                )
            )

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        converter = self._activity_converter(input.data_converter_override)
        result = (
            None
            if input.result is _arg_unset
            else await self._activity_payloads(converter, [input.result], "the activity result")
        )
        client, target = self._client, input.id_or_token
        if isinstance(target, AsyncActivityIDReference):
            await client.workflow_service.respond_activity_task_completed_by_id(
                ws.RespondActivityTaskCompletedByIdRequest(
                    workflow_id=target.workflow_id or "",
                    run_id=target.run_id or "",
                    activity_id=target.activity_id,
                    namespace=client.namespace,
                    identity=client.identity,
                    result=result,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
        else:
            await client.workflow_service.respond_activity_task_completed(
                ws.RespondActivityTaskCompletedRequest(
                    task_token=target,
                    namespace=client.namespace,
                    identity=client.identity,
                    result=result,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        converter = self._activity_converter(input.data_converter_override)
        failure = Failure()
        await converter.encode_failure(input.error, failure)
        last_details = await self._activity_payloads(
            converter, input.last_heartbeat_details, "the last heartbeat details"
        )
        client, target = self._client, input.id_or_token
        if isinstance(target, AsyncActivityIDReference):
            await client.workflow_service.respond_activity_task_failed_by_id(
                ws.RespondActivityTaskFailedByIdRequest(
                    workflow_id=target.workflow_id or "",
                    run_id=target.run_id or "",
                    activity_id=target.activity_id,
                    namespace=client.namespace,
                    identity=client.identity,
                    failure=failure,
                    last_heartbeat_details=last_details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
        else:
            await client.workflow_service.respond_activity_task_failed(
                ws.RespondActivityTaskFailedRequest(
                    task_token=target,
                    namespace=client.namespace,
                    identity=client.identity,
                    failure=failure,
                    last_heartbeat_details=last_details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )

    async def report_cancellation_async_activity(
        self, input: ReportCancellationAsyncActivityInput
    ) -> None:
        converter = self._activity_converter(input.data_converter_override)
        details = await self._activity_payloads(
            converter, input.details, "the cancellation details"
        )
        client, target = self._client, input.id_or_token
        if isinstance(target, AsyncActivityIDReference):
            await client.workflow_service.respond_activity_task_canceled_by_id(
                ws.RespondActivityTaskCanceledByIdRequest(
                    workflow_id=target.workflow_id or "",
                    run_id=target.run_id or "",
                    activity_id=target.activity_id,
                    namespace=client.namespace,
                    identity=client.identity,
                    details=details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
        else:
            await client.workflow_service.respond_activity_task_canceled(
                ws.RespondActivityTaskCanceledRequest(
                    task_token=target,
                    namespace=client.namespace,
                    identity=client.identity,
                    details=details,
                ),
                retry=True,
                metadata=input.rpc_metadata,
                timeout=input.rpc_timeout,
            )
