"""An in-memory model of the Temporal server's WorkflowService, for ``MockTransport``.

``MemoryServer(namespace=...)`` is a ``MockTransport`` handler: ``handler(rpc, request)`` answers
the RPCs a ``Client`` and a tempyral ``Worker`` make (start, signal, query, cancel, terminate,
describe, history with long poll, updates; workflow and activity task polls and responses,
heartbeats, queries) from the state in ``_memory_server_state`` and its collaborators
(activities, commands, updates).
Any other RPC fails with UNIMPLEMENTED and a message naming it and saying where it runs.

Time is virtual (``_memory_server_clock``): waiting on a result lets idle time jump ahead.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from google.protobuf.message import Message

from tempyral.api.common.v1.grpc_status_pb2 import GrpcStatus
from tempyral.api.dependencies.google.protobuf.any_pb2 import Any as AnyProto
from tempyral.api.enums.v1 import failed_cause_pb2 as fc
from tempyral.api.enums.v1 import query_pb2 as qp
from tempyral.api.enums.v1 import workflow_pb2 as wf
from tempyral.api.enums.v1.namespace_pb2 import NAMESPACE_STATE_REGISTERED
from tempyral.api.enums.v1.task_queue_pb2 import TASK_QUEUE_KIND_NORMAL
from tempyral.api.errordetails.v1.message_pb2 import (
    MultiOperationExecutionFailure,
    WorkflowExecutionAlreadyStartedFailure,
)
from tempyral.api.failure.v1.message_pb2 import MultiOperationExecutionAborted
from tempyral.api.history.v1 import message_pb2 as h
from tempyral.api.namespace.v1.message_pb2 import NamespaceInfo
from tempyral.api.query.v1.message_pb2 import QueryRejected
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflow.v1.message_pb2 import WorkflowExecutionConfig, WorkflowExecutionInfo
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.converter import DataConverter
from tempyral.service import HealthCheckResponse, RPCError, RPCStatusCode
from tempyral.testing._memory_server_activities import ActivityBook
from tempyral.testing._memory_server_commands import (
    CLOSING_COMMANDS,
    apply_commands,
    unsupported_command,
)
from tempyral.testing._memory_server_execution import Execution, timestamp
from tempyral.testing._memory_server_state import QueryTask, RunStart, ServerState, not_found
from tempyral.testing._memory_server_updates import UpdateBook

__all__ = ["MemoryServer"]

_RETRY_WORKFLOW_TASK_SECONDS = 0.2


class MemoryServer:
    """The WorkflowService of one namespace, in memory; call it as a MockTransport handler."""

    def __init__(
        self,
        *,
        namespace: str = "default",
        start_time: datetime | None = None,
        data_converter: Callable[[], DataConverter] = lambda: DataConverter.default,
    ) -> None:
        self.state = ServerState(namespace=namespace, start_time=start_time)
        self.activities = ActivityBook(self.state, converter=data_converter)
        self.updates = UpdateBook()
        self.state.on_close.append(self._apply_parent_close_policy)
        self.state.on_close.append(self.updates.on_close)
        self._query_tasks: dict[bytes, QueryTask] = {}
        self._handlers: dict[str, Callable[[Any], Message | Awaitable[Message]]] = {
            "GetSystemInfo": self._get_system_info,
            "DescribeNamespace": self._describe_namespace,
            "Check": lambda _request: HealthCheckResponse(
                status=HealthCheckResponse.ServingStatus.SERVING
            ),
            "ShutdownWorker": self._shutdown_worker,
            "StartWorkflowExecution": self._start_workflow,
            "SignalWithStartWorkflowExecution": self._signal_with_start,
            "SignalWorkflowExecution": self._signal,
            "RequestCancelWorkflowExecution": self._request_cancel,
            "TerminateWorkflowExecution": self._terminate,
            "DescribeWorkflowExecution": self._describe,
            "GetWorkflowExecutionHistory": self._history,
            "QueryWorkflow": self._query,
            "UpdateWorkflowExecution": self._update,
            "PollWorkflowExecutionUpdate": self._poll_update,
            "ExecuteMultiOperation": self._update_with_start,
            "PollWorkflowTaskQueue": self._poll_workflow_task,
            "RespondWorkflowTaskCompleted": self._workflow_task_completed,
            "RespondWorkflowTaskFailed": self._workflow_task_failed,
            "RespondQueryTaskCompleted": self._query_task_completed,
            "PollActivityTaskQueue": self._poll_activity_task,
            "RecordActivityTaskHeartbeat": self._heartbeat,
            "RespondActivityTaskCompleted": self._activity_completed,
            "RespondActivityTaskFailed": self._activity_failed,
            "RespondActivityTaskCanceled": self._activity_canceled,
        }

    @property
    def namespace(self) -> str:
        return self.state.namespace

    def __call__(self, rpc: str, request: Message) -> Message | Awaitable[Message]:
        handler = self._handlers.get(rpc)
        if handler is None:
            raise RPCError(
                f"the in-process test environment does not support the {rpc} call; run this test "
                "against a real server (--tempyral-env=local, or "
                "WorkflowEnvironment.start_local())",
                RPCStatusCode.UNIMPLEMENTED,
                b"",
            )
        namespace = getattr(request, "namespace", None)
        if isinstance(namespace, str) and namespace and namespace != self.namespace:
            raise not_found(
                f"namespace {namespace!r} not found (the in-process server has only "
                f"{self.namespace!r})"
            )
        return handler(request)

    def close(self) -> None:
        self.state.clock.close()

    # -- server and namespace -----------------------------------------------------------------

    def _get_system_info(self, _request: ws.GetSystemInfoRequest) -> ws.GetSystemInfoResponse:
        response = ws.GetSystemInfoResponse(server_version="tempyral-in-process")
        capabilities = response.capabilities
        capabilities.signal_and_query_header = True
        capabilities.internal_error_differentiation = True
        capabilities.activity_failure_include_heartbeat = True
        capabilities.encoded_failure_attributes = True
        capabilities.upsert_memo = True
        capabilities.sdk_metadata = True
        return response

    def _describe_namespace(
        self, _request: ws.DescribeNamespaceRequest
    ) -> ws.DescribeNamespaceResponse:
        info = NamespaceInfo(
            name=self.namespace, state=NAMESPACE_STATE_REGISTERED, id=str(uuid.UUID(int=1))
        )
        return ws.DescribeNamespaceResponse(namespace_info=info)

    def _shutdown_worker(self, request: ws.ShutdownWorkerRequest) -> ws.ShutdownWorkerResponse:
        if request.sticky_task_queue:
            self.state.move_sticky_tasks(request.sticky_task_queue)
        return ws.ShutdownWorkerResponse()

    # -- client calls -------------------------------------------------------------------------

    def _start_workflow(
        self, request: ws.StartWorkflowExecutionRequest
    ) -> ws.StartWorkflowExecutionResponse:
        existing = self._reusable(
            request.workflow_id,
            request.workflow_type.name,
            request.request_id,
            request.workflow_id_reuse_policy,
            request.workflow_id_conflict_policy,
        )
        if existing is not None:
            return ws.StartWorkflowExecutionResponse(
                run_id=existing.run_id, started=False, status=existing.status
            )
        run = self.state.start_run(self._run_start(request))
        return ws.StartWorkflowExecutionResponse(run_id=run.run_id, started=True, status=run.status)

    def _signal_with_start(
        self, request: ws.SignalWithStartWorkflowExecutionRequest
    ) -> ws.SignalWithStartWorkflowExecutionResponse:
        current = self.state.latest.get((self.namespace, request.workflow_id))
        signal = h.WorkflowExecutionSignaledEventAttributes(
            signal_name=request.signal_name,
            input=request.signal_input,
            identity=request.identity,
            header=request.header,
            request_id=request.request_id,
        )
        if current is not None and current.running:
            current.deliver(signal)
            return ws.SignalWithStartWorkflowExecutionResponse(run_id=current.run_id, started=False)
        self._reusable(
            request.workflow_id, request.workflow_type.name, "", request.workflow_id_reuse_policy, 0
        )
        start = self._run_start(request)
        start.signal = signal
        run = self.state.start_run(start)
        return ws.SignalWithStartWorkflowExecutionResponse(run_id=run.run_id, started=True)

    def _run_start(self, request: Any) -> RunStart:
        if request.cron_schedule:
            raise _unsupported_option("cron_schedule")
        attributes = h.WorkflowExecutionStartedEventAttributes(
            workflow_type=request.workflow_type,
            task_queue=TaskQueue(name=request.task_queue.name, kind=TASK_QUEUE_KIND_NORMAL),
            input=request.input,
            workflow_execution_timeout=request.workflow_execution_timeout,
            workflow_run_timeout=request.workflow_run_timeout,
            workflow_task_timeout=request.workflow_task_timeout,
            identity=request.identity,
            retry_policy=request.retry_policy,
            memo=request.memo,
            search_attributes=request.search_attributes,
            header=request.header,
            priority=request.priority,
        )
        delay = (
            request.workflow_start_delay.ToTimedelta()
            if request.HasField("workflow_start_delay")
            else None
        )
        start = RunStart(
            self.namespace, request.workflow_id, attributes, request_id=request.request_id
        )
        if delay:
            start.first_task_delay = delay
        return start

    def _reusable(
        self, workflow_id: str, workflow_type: str, request_id: str, reuse: int, conflict: int
    ) -> Execution | None:
        """The run to answer with instead of starting (USE_EXISTING, a retried request), or None;
        raises ALREADY_EXISTS when the policies forbid a start."""
        current = self.state.latest.get((self.namespace, workflow_id))
        if current is None:
            return None
        if current.running:
            if request_id and current.request_id == request_id:
                return current
            if conflict == wf.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
                return current
            if (
                conflict == wf.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
                or reuse == wf.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
            ):
                self.state.terminate(
                    current, "terminated by a start with the TERMINATE_EXISTING policy"
                )
                return None
            raise _already_started(current, "workflow execution already started")
        if reuse == wf.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE or (
            reuse == wf.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
            and current.status == wf.WORKFLOW_EXECUTION_STATUS_COMPLETED
        ):
            raise _already_started(
                current,
                f"workflow id {workflow_id!r} was used before and its reuse policy forbids "
                "a new run",
            )
        return None

    def _signal(
        self, request: ws.SignalWorkflowExecutionRequest
    ) -> ws.SignalWorkflowExecutionResponse:
        run = self._open_run(request.namespace, request.workflow_execution)
        signal = h.WorkflowExecutionSignaledEventAttributes(
            signal_name=request.signal_name,
            input=request.input,
            identity=request.identity,
            header=request.header,
            request_id=request.request_id,
        )
        run.deliver(signal)
        return ws.SignalWorkflowExecutionResponse()

    def _request_cancel(
        self, request: ws.RequestCancelWorkflowExecutionRequest
    ) -> ws.RequestCancelWorkflowExecutionResponse:
        run = self._open_run(request.namespace, request.workflow_execution)
        self.state.request_cancel(run, reason=request.reason, identity=request.identity)
        return ws.RequestCancelWorkflowExecutionResponse()

    def _terminate(
        self, request: ws.TerminateWorkflowExecutionRequest
    ) -> ws.TerminateWorkflowExecutionResponse:
        run = self._open_run(request.namespace, request.workflow_execution)
        attributes = h.WorkflowExecutionTerminatedEventAttributes(
            reason=request.reason, identity=request.identity, details=request.details
        )
        self.state.close_run(run, wf.WORKFLOW_EXECUTION_STATUS_TERMINATED, attributes)
        return ws.TerminateWorkflowExecutionResponse()

    def _open_run(self, namespace: str, execution: Any) -> Execution:
        run = self.state.run(namespace or self.namespace, execution)
        if not run.running:
            raise not_found("workflow execution already completed")
        return run

    def _describe(
        self, request: ws.DescribeWorkflowExecutionRequest
    ) -> ws.DescribeWorkflowExecutionResponse:
        run = self.state.run(request.namespace, request.execution)
        started = run.events[0].workflow_execution_started_event_attributes
        info = WorkflowExecutionInfo(
            execution=run.execution,
            type=run.workflow_type,
            start_time=timestamp(run.start_time),
            status=run.status,
            history_length=len(run.events),
            execution_time=timestamp(run.start_time),
            memo=started.memo,
            search_attributes=started.search_attributes,
            task_queue=run.task_queue,
            first_run_id=started.first_execution_run_id,
        )
        if run.close_time is not None:
            info.close_time.CopyFrom(timestamp(run.close_time))
        if started.HasField("parent_workflow_execution"):
            info.parent_execution.CopyFrom(started.parent_workflow_execution)
        config = WorkflowExecutionConfig(
            task_queue=TaskQueue(name=run.task_queue, kind=TASK_QUEUE_KIND_NORMAL),
            workflow_execution_timeout=started.workflow_execution_timeout,
            workflow_run_timeout=started.workflow_run_timeout,
            default_workflow_task_timeout=started.workflow_task_timeout,
        )
        return ws.DescribeWorkflowExecutionResponse(
            execution_config=config, workflow_execution_info=info
        )

    async def _history(
        self, request: ws.GetWorkflowExecutionHistoryRequest
    ) -> ws.GetWorkflowExecutionHistoryResponse:
        run = self.state.run(request.namespace, request.execution)
        close_only = request.history_event_filter_type == 2
        if request.wait_new_event:
            seen = int(request.next_page_token or b"0")
            with self.state.clock.skipping_wanted():
                while run.running and (close_only or len(run.events) <= seen):
                    await run.wait_for_change()
            if not close_only:
                events = run.events[seen:]
                token = str(len(run.events)).encode() if run.running else b""
                return ws.GetWorkflowExecutionHistoryResponse(
                    history=h.History(events=events), next_page_token=token
                )
        if close_only:
            events = [run.events[-1]] if not run.running else []
            return ws.GetWorkflowExecutionHistoryResponse(history=h.History(events=events))
        return ws.GetWorkflowExecutionHistoryResponse(history=h.History(events=run.events))

    async def _query(self, request: ws.QueryWorkflowRequest) -> ws.QueryWorkflowResponse:
        run = self.state.run(request.namespace, request.execution)
        condition = request.query_reject_condition
        if not run.running and (
            condition == qp.QUERY_REJECT_CONDITION_NOT_OPEN
            or (
                condition == qp.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY
                and run.status != wf.WORKFLOW_EXECUTION_STATUS_COMPLETED
            )
        ):
            return ws.QueryWorkflowResponse(query_rejected=QueryRejected(status=run.status))
        answer: asyncio.Future[ws.RespondQueryTaskCompletedRequest] = (
            asyncio.get_running_loop().create_future()
        )
        task = QueryTask(run, request.query, answer)
        self._query_tasks[task.token] = task
        try:
            await self._dispatch_query(task)
            completed = await answer
        finally:
            self._query_tasks.pop(task.token, None)
        if completed.completed_type == qp.QUERY_RESULT_TYPE_ANSWERED:
            return ws.QueryWorkflowResponse(query_result=completed.query_result)
        raise RPCError(
            completed.error_message or "query failed", RPCStatusCode.INVALID_ARGUMENT, b""
        )

    async def _update(
        self, request: ws.UpdateWorkflowExecutionRequest
    ) -> ws.UpdateWorkflowExecutionResponse:
        run = self._open_run(request.namespace, request.workflow_execution)
        return await self._admit_update(run, request)

    async def _admit_update(
        self, run: Execution, request: ws.UpdateWorkflowExecutionRequest
    ) -> ws.UpdateWorkflowExecutionResponse:
        update = self.updates.admit(run, request.request)
        with self.state.clock.skipping_wanted():
            await update.wait_for(request.wait_policy.lifecycle_stage)
        response = ws.UpdateWorkflowExecutionResponse(stage=update.stage)
        response.update_ref.workflow_execution.CopyFrom(run.execution)
        response.update_ref.update_id = update.update_id
        if update.outcome is not None:
            response.outcome.CopyFrom(update.outcome)
        return response

    async def _update_with_start(
        self, request: ws.ExecuteMultiOperationRequest
    ) -> ws.ExecuteMultiOperationResponse:
        """Update-with-start: the start (or, by its conflict policy, the running run), then the
        update on that run. A start that fails aborts the update, reported as the server does."""
        operations = list(request.operations)
        if [operation.WhichOneof("operation") for operation in operations] != [
            "start_workflow",
            "update_workflow",
        ]:
            raise RPCError(
                "the in-process test environment supports ExecuteMultiOperation only as "
                "update-with-start (a start_workflow, then an update_workflow operation)",
                RPCStatusCode.INVALID_ARGUMENT,
                b"",
            )
        try:
            started = self._start_workflow(operations[0].start_workflow)
        except RPCError as err:
            raise _multi_operation_failure(err) from err
        run = self.state.runs[started.run_id]
        updated = await self._admit_update(run, operations[1].update_workflow)
        Response = ws.ExecuteMultiOperationResponse.Response
        return ws.ExecuteMultiOperationResponse(
            responses=[Response(start_workflow=started), Response(update_workflow=updated)]
        )

    async def _poll_update(
        self, request: ws.PollWorkflowExecutionUpdateRequest
    ) -> ws.PollWorkflowExecutionUpdateResponse:
        reference = request.update_ref
        run = self.state.run(request.namespace, reference.workflow_execution)
        update = self.updates.find(run, reference.update_id)
        with self.state.clock.skipping_wanted():
            await update.wait_for(request.wait_policy.lifecycle_stage)
        response = ws.PollWorkflowExecutionUpdateResponse(stage=update.stage)
        response.update_ref.CopyFrom(reference)
        response.update_ref.workflow_execution.run_id = run.run_id
        if update.outcome is not None:
            response.outcome.CopyFrom(update.outcome)
        return response

    async def _dispatch_query(self, task: QueryTask) -> None:
        # A query waits for a running workflow task to finish, as on the server, so the worker
        # never has the run's task and a query in hand at once.
        run = task.run
        while run.running and run.workflow_task is not None and run.workflow_task.started:
            await run.wait_for_change()
        self.state.workflow_queues[run.sticky_queue or run.task_queue].put(task)

    # -- workflow tasks -----------------------------------------------------------------------

    async def _poll_workflow_task(
        self, request: ws.PollWorkflowTaskQueueRequest
    ) -> ws.PollWorkflowTaskQueueResponse:
        queue = self.state.workflow_queues[request.task_queue.name]
        while True:
            item = await queue.poll()
            response = self.state.hand_out(item, request.task_queue.name, request.identity)
            if response is not None:
                if isinstance(item, Execution):
                    response.messages.extend(
                        self.updates.messages_for_task(
                            item, response.task_token, response.started_event_id
                        )
                    )
                return response

    def _workflow_task_completed(
        self, request: ws.RespondWorkflowTaskCompletedRequest
    ) -> ws.RespondWorkflowTaskCompletedResponse:
        run = self._run_of_workflow_task(request.task_token)
        commands = list(request.commands)
        error = unsupported_command(commands)
        if error is not None:
            raise error
        closing = any(command.command_type in CLOSING_COMMANDS for command in commands)
        unsent_updates = self.updates.unsent(run, request.task_token)
        if closing and (run.has_buffered_events() or unsent_updates):
            # New events or updates arrived while the task ran: the workflow must see them first.
            failure_cause = fc.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
            run.fail_workflow_task(
                cause=failure_cause, failure=None, identity=request.identity, retry_in=None
            )
            return ws.RespondWorkflowTaskCompletedResponse()
        run.sticky_queue = (
            request.sticky_attributes.worker_task_queue.name
            if request.HasField("sticky_attributes")
            else ""
        )
        completed = h.WorkflowTaskCompletedEventAttributes(
            identity=request.identity,
            binary_checksum=request.binary_checksum,
            sdk_metadata=request.sdk_metadata,
            worker_version=request.worker_version_stamp,
            metering_metadata=request.metering_metadata,
        )
        completed_id = run.begin_completion(completed)
        messages = {message.id: message for message in request.messages}
        answered: set[str] = set()

        def on_protocol_message(message_id: str) -> None:
            message = messages.get(message_id)
            if message is None:
                raise RPCError(
                    f"a protocol-message command names message {message_id!r}, which the "
                    "task's completion does not carry",
                    RPCStatusCode.INVALID_ARGUMENT,
                    b"",
                )
            answered.add(message_id)
            self.updates.apply(run, message)

        after = apply_commands(
            self.state, self.activities, run, commands, completed_id, on_protocol_message
        )
        for message in request.messages:  # those without a command (rejections) come last
            if message.id not in answered:
                self.updates.apply(run, message)
        run.end_completion(new_task=request.force_create_new_workflow_task or unsent_updates)
        for action in after:
            action()
        self.state.clock.poke()
        return ws.RespondWorkflowTaskCompletedResponse()

    def _workflow_task_failed(
        self, request: ws.RespondWorkflowTaskFailedRequest
    ) -> ws.RespondWorkflowTaskFailedResponse:
        run = self._run_of_workflow_task(request.task_token)
        run.fail_workflow_task(
            cause=request.cause,
            failure=request.failure,
            identity=request.identity,
            retry_in=_RETRY_WORKFLOW_TASK_SECONDS,
        )
        return ws.RespondWorkflowTaskFailedResponse()

    def _run_of_workflow_task(self, token: bytes) -> Execution:
        for run in self.state.runs.values():
            task = run.workflow_task
            if task is not None and task.token == token and task.started:
                return run
        raise not_found(
            "workflow task not found (its run closed, or the task was already answered)"
        )

    def _query_task_completed(
        self, request: ws.RespondQueryTaskCompletedRequest
    ) -> ws.RespondQueryTaskCompletedResponse:
        task = self._query_tasks.get(request.task_token)
        if task is None or task.answer.done():
            raise not_found("query task not found (the query was answered or abandoned)")
        task.answer.set_result(request)
        return ws.RespondQueryTaskCompletedResponse()

    # -- activity tasks -----------------------------------------------------------------------

    async def _poll_activity_task(
        self, request: ws.PollActivityTaskQueueRequest
    ) -> ws.PollActivityTaskQueueResponse:
        queue = self.activities.queues[request.task_queue.name]
        while True:
            activity = await queue.poll()
            response = self.activities.hand_out(activity, request.identity)
            if response is not None:
                return response

    def _heartbeat(
        self, request: ws.RecordActivityTaskHeartbeatRequest
    ) -> ws.RecordActivityTaskHeartbeatResponse:
        details = request.details if request.HasField("details") else None
        return ws.RecordActivityTaskHeartbeatResponse(
            cancel_requested=self.activities.heartbeat(request.task_token, details)
        )

    def _activity_completed(
        self, request: ws.RespondActivityTaskCompletedRequest
    ) -> ws.RespondActivityTaskCompletedResponse:
        self.activities.complete(
            request.task_token,
            request.result if request.HasField("result") else None,
            request.identity,
        )
        return ws.RespondActivityTaskCompletedResponse()

    def _activity_failed(
        self, request: ws.RespondActivityTaskFailedRequest
    ) -> ws.RespondActivityTaskFailedResponse:
        details = (
            request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
        )
        self.activities.fail(request.task_token, request.failure, request.identity, details)
        return ws.RespondActivityTaskFailedResponse()

    def _activity_canceled(
        self, request: ws.RespondActivityTaskCanceledRequest
    ) -> ws.RespondActivityTaskCanceledResponse:
        self.activities.canceled(
            request.task_token,
            request.details if request.HasField("details") else None,
            request.identity,
        )
        return ws.RespondActivityTaskCanceledResponse()

    # -- close policies -----------------------------------------------------------------------

    def _apply_parent_close_policy(self, run: Execution) -> None:
        for child in run.extra.get("children", []):
            if not child.running:
                continue
            policy = child.extra.get("parent_close_policy", wf.PARENT_CLOSE_POLICY_TERMINATE)
            if policy in (wf.PARENT_CLOSE_POLICY_TERMINATE, wf.PARENT_CLOSE_POLICY_UNSPECIFIED):
                self.state.terminate(child, "by parent close policy")
            elif policy == wf.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
                self.state.request_cancel(child, reason="by parent close policy")


def _already_started(run: Execution, message: str) -> RPCError:
    details = WorkflowExecutionAlreadyStartedFailure(
        start_request_id=run.request_id, run_id=run.run_id
    )
    packed = AnyProto()
    packed.Pack(details, type_url_prefix="type.googleapis.com/")
    status = GrpcStatus(code=RPCStatusCode.ALREADY_EXISTS.value, message=message, details=[packed])
    return RPCError(message, RPCStatusCode.ALREADY_EXISTS, status.SerializeToString())


def _multi_operation_failure(start_error: RPCError) -> RPCError:
    """The start's error as the first operation's status; the update's: aborted."""
    Status = MultiOperationExecutionFailure.OperationStatus
    aborted = AnyProto()
    aborted.Pack(MultiOperationExecutionAborted(), type_url_prefix="type.googleapis.com/")
    failure = MultiOperationExecutionFailure(
        statuses=[
            Status(
                code=start_error.status.value,
                message=start_error.message,
                details=start_error.grpc_status.details,
            ),
            Status(
                code=RPCStatusCode.ABORTED.value,
                message="operation was aborted",
                details=[aborted],
            ),
        ]
    )
    packed = AnyProto()
    packed.Pack(failure, type_url_prefix="type.googleapis.com/")
    message = f"update-with-start failed: {start_error.message}"
    status = GrpcStatus(code=start_error.status.value, message=message, details=[packed])
    return RPCError(message, start_error.status, status.SerializeToString())


def _unsupported_option(what: str) -> RPCError:
    return RPCError(
        f"the in-process test environment does not support {what}; run this test against a real "
        "server (--tempyral-env=local, or WorkflowEnvironment.start_local())",
        RPCStatusCode.UNIMPLEMENTED,
        b"",
    )
