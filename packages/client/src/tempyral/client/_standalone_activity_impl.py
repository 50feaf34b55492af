"""Standalone activity calls of the default outbound implementation (mixed into ``_ClientImpl``).

Each call is one RPC of the ``*ActivityExecution`` family. Arguments and results are converted
with the activity's ``ActivitySerializationContext`` (no workflow in it), as the worker that runs
the activity converts them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.common.v1.message_pb2 import ActivityType, Payload
from tempyral.api.enums.v1 import activity_pb2 as activity_enums
from tempyral.api.errordetails.v1.message_pb2 import ActivityExecutionAlreadyStartedFailure
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client._helpers import _encode_args, _encode_user_metadata
from tempyral.client.nexus_hooks import start_workflow_hook
from tempyral.converter import ActivitySerializationContext, DataConverter, encode_search_attributes
from tempyral.exceptions import ActivityAlreadyStartedError
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from tempyral.client._client import Client
    from tempyral.client._standalone_activity_handle import (
        ActivityExecutionAsyncIterator,
        ActivityHandle,
    )
    from tempyral.client._standalone_activity_info import (
        ActivityExecutionCount,
        ActivityExecutionDescription,
    )
    from tempyral.client._standalone_activity_inputs import (
        CancelActivityInput,
        CountActivitiesInput,
        DescribeActivityInput,
        ListActivitiesInput,
        PauseActivityInput,
        StartActivityInput,
        TerminateActivityInput,
        UnpauseActivityInput,
        UpdateActivityOptionsInput,
    )
    from tempyral.client._standalone_activity_options import ActivityExecutionOptions

__all__ = ["_StandaloneActivityCalls"]


def _already_started(err: RPCError, input: StartActivityInput) -> Exception | None:
    """The ActivityAlreadyStartedError an ALREADY_EXISTS error stands for, if it does."""
    if err.status != RPCStatusCode.ALREADY_EXISTS or not err.grpc_status.details:
        return None
    details = ActivityExecutionAlreadyStartedFailure()
    if not err.grpc_status.details[0].Unpack(details):
        return None
    return ActivityAlreadyStartedError(input.id, input.activity_type, run_id=details.run_id)


# The standalone activity classes are imported by the calls that use them: a client loads them
# with its first standalone activity call, not when it is imported.
class _StandaloneActivityCalls:
    _client: Client

    if TYPE_CHECKING:

        async def _apply_headers(self, source: Mapping[str, Payload] | None, dest: Any) -> None: ...

    def _standalone_converter(
        self, activity_id: str, activity_type: str | None, task_queue: str | None
    ) -> DataConverter:
        return self._client.data_converter.with_context(
            ActivitySerializationContext(
                namespace=self._client.namespace,
                activity_id=activity_id,
                activity_type=activity_type,
                activity_task_queue=task_queue,
                workflow_id=None,
                workflow_type=None,
                is_local=False,
            )
        )

    def _activity_rpc_options(self, input: Any) -> dict[str, Any]:
        return {"retry": True, "metadata": input.rpc_metadata, "timeout": input.rpc_timeout}

    async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Start the activity with ``StartActivityExecution``.

        Raises:
            ValueError: Neither timeout that bounds an attempt is set, or the start delay is
                negative.
            ActivityAlreadyStartedError: The id is taken and the id policies refuse the start.
        """
        if not (input.start_to_close_timeout or input.schedule_to_close_timeout):
            raise ValueError(
                f"Activity {input.activity_type!r} (id {input.id!r}) has neither "
                "start_to_close_timeout nor schedule_to_close_timeout; set at least one"
            )
        if input.start_delay is not None and input.start_delay < timedelta(0):
            # The official SDK's wording, which callers match on, plus the value given.
            raise ValueError(f"start_delay must be non-negative (got {input.start_delay!r})")
        request = await self._start_activity_request(input)
        hook = start_workflow_hook.get()
        if hook is not None:
            hook.before_start_activity(request)
        try:
            response = await self._client.workflow_service.start_activity_execution(
                request, **self._activity_rpc_options(input)
            )
        except RPCError as err:
            already = _already_started(err, input)
            if already is not None:
                raise already from err
            raise
        if hook is not None:
            hook.after_start_activity(input.id, response)
        from tempyral.client._standalone_activity_handle import ActivityHandle

        return ActivityHandle(
            self._client, input.id, run_id=response.run_id, result_type=input.result_type
        )

    async def _start_activity_request(
        self, input: StartActivityInput
    ) -> ws.StartActivityExecutionRequest:
        converter = self._standalone_converter(input.id, input.activity_type, input.task_queue)
        request = ws.StartActivityExecutionRequest(
            namespace=self._client.namespace,
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
            activity_id=input.id,
            activity_type=ActivityType(name=input.activity_type),
            task_queue=TaskQueue(name=input.task_queue),
            id_reuse_policy=cast(
                "activity_enums.ActivityIdReusePolicy", int(input.id_reuse_policy)
            ),
            id_conflict_policy=cast(
                "activity_enums.ActivityIdConflictPolicy", int(input.id_conflict_policy)
            ),
            priority=input.priority._to_proto(),
        )
        for name in (
            "schedule_to_close_timeout",
            "start_to_close_timeout",
            "schedule_to_start_timeout",
            "heartbeat_timeout",
            "start_delay",
        ):
            value: timedelta | None = getattr(input, name)
            if value is not None:
                getattr(request, name).FromTimedelta(value)
        if input.retry_policy is not None:
            input.retry_policy.apply_to_proto(request.retry_policy)
        if input.args:
            what = f"activity {input.activity_type!r}"
            request.input.payloads.extend(await _encode_args(converter, input.args, what))
        if input.search_attributes is not None:
            encode_search_attributes(input.search_attributes, request.search_attributes)
        metadata = await _encode_user_metadata(converter, input.summary, None)
        if metadata is not None:
            request.user_metadata.CopyFrom(metadata)
        if input.headers:
            await self._apply_headers(input.headers, request.header.fields)
        return request

    async def cancel_activity(self, input: CancelActivityInput) -> None:
        """Request cancellation with ``RequestCancelActivityExecution``."""
        await self._client.workflow_service.request_cancel_activity_execution(
            ws.RequestCancelActivityExecutionRequest(
                namespace=self._client.namespace,
                activity_id=input.activity_id,
                run_id=input.activity_run_id or "",
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                reason=input.reason or "",
            ),
            **self._activity_rpc_options(input),
        )

    async def terminate_activity(self, input: TerminateActivityInput) -> None:
        """Terminate with ``TerminateActivityExecution``."""
        await self._client.workflow_service.terminate_activity_execution(
            ws.TerminateActivityExecutionRequest(
                namespace=self._client.namespace,
                activity_id=input.activity_id,
                run_id=input.activity_run_id or "",
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                reason=input.reason or "",
            ),
            **self._activity_rpc_options(input),
        )

    async def pause_activity(self, input: PauseActivityInput) -> None:
        """Pause with ``PauseActivityExecution``."""
        await self._client.workflow_service.pause_activity_execution(
            ws.PauseActivityExecutionRequest(
                namespace=self._client.namespace,
                activity_id=input.activity_id,
                run_id=input.activity_run_id or "",
                identity=self._client.identity,
                request_id=str(uuid.uuid4()),
                reason=input.reason or "",
            ),
            **self._activity_rpc_options(input),
        )

    async def unpause_activity(self, input: UnpauseActivityInput) -> None:
        """Unpause with ``UnpauseActivityExecution``."""
        request = ws.UnpauseActivityExecutionRequest(
            namespace=self._client.namespace,
            activity_id=input.activity_id,
            run_id=input.activity_run_id or "",
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
            reason=input.reason or "",
        )
        if input.jitter is not None:
            request.jitter.FromTimedelta(input.jitter)
        await self._client.workflow_service.unpause_activity_execution(
            request, **self._activity_rpc_options(input)
        )

    async def update_activity_options(
        self, input: UpdateActivityOptionsInput
    ) -> ActivityExecutionOptions:
        """Change or restore options with ``UpdateActivityExecutionOptions``.

        Raises:
            ValueError: A restore comes with updates, or the updates name an option twice.
        """
        from tempyral.client._standalone_activity_options import (
            ActivityExecutionOptions,
            _apply_option_updates,
        )

        if input.restore_original and input.updates:
            raise ValueError(
                "restore_original cannot be combined with option updates; make two calls"
            )
        request = ws.UpdateActivityExecutionOptionsRequest(
            namespace=self._client.namespace,
            activity_id=input.activity_id,
            run_id=input.activity_run_id or "",
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
            restore_original=input.restore_original,
        )
        paths: list[str] = []
        _apply_option_updates(input.updates, request.activity_options, paths)
        request.update_mask.paths.extend(paths)
        response = await self._client.workflow_service.update_activity_execution_options(
            request, **self._activity_rpc_options(input)
        )
        return ActivityExecutionOptions._from_proto(response.activity_options)

    async def describe_activity(self, input: DescribeActivityInput) -> ActivityExecutionDescription:
        """Describe with ``DescribeActivityExecution``."""
        from tempyral.client._standalone_activity_info import ActivityExecutionDescription

        response = await self._client.workflow_service.describe_activity_execution(
            ws.DescribeActivityExecutionRequest(
                namespace=self._client.namespace,
                activity_id=input.activity_id,
                run_id=input.activity_run_id or "",
                include_input=input.include_input,
                include_outcome=input.include_outcome,
                include_heartbeat_details=input.include_heartbeat_details,
                include_last_failure=input.include_last_failure,
            ),
            **self._activity_rpc_options(input),
        )
        info = response.info
        converter = self._standalone_converter(
            info.activity_id, info.activity_type.name, info.task_queue
        )
        return ActivityExecutionDescription._from_resp(
            response, namespace=self._client.namespace, data_converter=converter
        )

    def list_activities(self, input: ListActivitiesInput) -> ActivityExecutionAsyncIterator:
        """An iterator over ``ListActivityExecutions`` pages."""
        from tempyral.client._standalone_activity_handle import ActivityExecutionAsyncIterator

        return ActivityExecutionAsyncIterator(self._client, input)

    async def count_activities(self, input: CountActivitiesInput) -> ActivityExecutionCount:
        """Count with ``CountActivityExecutions``."""
        from tempyral.client._standalone_activity_info import ActivityExecutionCount

        response = await self._client.workflow_service.count_activity_executions(
            ws.CountActivityExecutionsRequest(
                namespace=self._client.namespace, query=input.query or ""
            ),
            **self._activity_rpc_options(input),
        )
        return ActivityExecutionCount._from_raw(response)
