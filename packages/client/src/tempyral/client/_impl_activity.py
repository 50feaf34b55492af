"""Async activity completion calls of the default outbound implementation (``_impl``).

A handle made from a task token uses ``RecordActivityTaskHeartbeat`` and
``RespondActivityTask{Completed,Failed,Canceled}``; one made from ids uses their ``ById`` forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf.message import Message

from tempyral.api.common.v1.message_pb2 import Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._errors import ActivityCancellationDetails, AsyncActivityCancelledError
from tempyral.client._helpers import _encode_args
from tempyral.common import _arg_unset
from tempyral.converter import DataConverter

if TYPE_CHECKING:
    from tempyral.client._async_activity_inputs import (
        CompleteAsyncActivityInput,
        FailAsyncActivityInput,
        HeartbeatAsyncActivityInput,
        ReportCancellationAsyncActivityInput,
    )
    from tempyral.client._client import Client

    _AsyncActivityInput = (
        HeartbeatAsyncActivityInput
        | CompleteAsyncActivityInput
        | FailAsyncActivityInput
        | ReportCancellationAsyncActivityInput
    )

__all__ = ["_AsyncActivityCalls"]
_ByIdResponse = TypeVar("_ByIdResponse")
_ByTokenResponse = TypeVar("_ByTokenResponse")


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

    async def _call_for_target(
        self,
        input: _AsyncActivityInput,
        by_id: Callable[..., Awaitable[_ByIdResponse]],
        by_id_request: Callable[..., Message],
        by_token: Callable[..., Awaitable[_ByTokenResponse]],
        by_token_request: Callable[..., Message],
        **fields: Any,
    ) -> _ByIdResponse | _ByTokenResponse:
        # Each completion RPC comes in a task-token form and a ById form whose requests
        # differ only in how they name the activity; the payload fields are shared.
        client, target = self._client, input.id_or_token
        common = {"namespace": client.namespace, "identity": client.identity, **fields}
        call = {"retry": True, "metadata": input.rpc_metadata, "timeout": input.rpc_timeout}
        # Loaded already: the handle that made this input is defined there.
        from tempyral.client._activity import AsyncActivityIDReference

        if isinstance(target, AsyncActivityIDReference):
            request = by_id_request(
                workflow_id=target.workflow_id or "",
                run_id=target.run_id or "",
                activity_id=target.activity_id,
                **common,
            )
            return await by_id(request, **call)
        return await by_token(by_token_request(task_token=target, **common), **call)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        converter = self._activity_converter(input.data_converter_override)
        details = await self._activity_payloads(converter, input.details, "the heartbeat details")
        service = self._client.workflow_service
        response = await self._call_for_target(
            input,
            service.record_activity_task_heartbeat_by_id,
            ws.RecordActivityTaskHeartbeatByIdRequest,
            service.record_activity_task_heartbeat,
            ws.RecordActivityTaskHeartbeatRequest,
            details=details,
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
        service = self._client.workflow_service
        await self._call_for_target(
            input,
            service.respond_activity_task_completed_by_id,
            ws.RespondActivityTaskCompletedByIdRequest,
            service.respond_activity_task_completed,
            ws.RespondActivityTaskCompletedRequest,
            result=result,
        )

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        converter = self._activity_converter(input.data_converter_override)
        failure = Failure()
        await converter.encode_failure(input.error, failure)
        last_details = await self._activity_payloads(
            converter, input.last_heartbeat_details, "the last heartbeat details"
        )
        service = self._client.workflow_service
        await self._call_for_target(
            input,
            service.respond_activity_task_failed_by_id,
            ws.RespondActivityTaskFailedByIdRequest,
            service.respond_activity_task_failed,
            ws.RespondActivityTaskFailedRequest,
            failure=failure,
            last_heartbeat_details=last_details,
        )

    async def report_cancellation_async_activity(
        self, input: ReportCancellationAsyncActivityInput
    ) -> None:
        converter = self._activity_converter(input.data_converter_override)
        details = await self._activity_payloads(
            converter, input.details, "the cancellation details"
        )
        service = self._client.workflow_service
        await self._call_for_target(
            input,
            service.respond_activity_task_canceled_by_id,
            ws.RespondActivityTaskCanceledByIdRequest,
            service.respond_activity_task_canceled,
            ws.RespondActivityTaskCanceledRequest,
            details=details,
        )
