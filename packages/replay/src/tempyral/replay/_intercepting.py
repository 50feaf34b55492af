"""The run's workflow interceptor chains, and the engine at the end of each.

:py:class:`WorkflowInterceptors` is a collaborator of
:py:class:`~tempyral.replay._runtime.WorkflowRuntime`: it instantiates the interceptor classes of
the run (the first one outermost), hands the outbound chain's engine end to ``init``, and keeps
the outbound interceptor ``init`` ended with. The runtime sends the run method, signals and
queries through ``inbound``; the workflow API's outbound calls go through ``outbound``. At the
inner ends, :py:class:`_EngineInbound` runs the workflow's own code and
:py:class:`_EngineOutbound` turns an input back into the engine's options, headers included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tempyral.replay._interceptor_api import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    StartNexusOperationInput,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
)
from tempyral.workflow._activities import ActivityHandle, ActivityOptions
from tempyral.workflow._children import ChildWorkflowHandle, ChildWorkflowOptions
from tempyral.workflow._context import ContinueAsNewError, Info
from tempyral.workflow._definition import _Definition
from tempyral.workflow._local_activities import LocalActivityOptions
from tempyral.workflow._nexus import NexusOperationCancellationType, NexusOperationHandle
from tempyral.workflow._signal_with_start import (
    SYSTEM_ENDPOINT,
    SYSTEM_OPERATION,
    SYSTEM_SERVICE,
    SignalWithStartWorkflowRequest,
    SignalWithStartWorkflowResponse,
)

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

OutputT = TypeVar("OutputT")

__all__ = [
    "WorkflowInterceptors",
    "activity_input",
    "child_input",
    "continue_as_new_input",
    "local_activity_input",
]


class WorkflowInterceptors:
    """The inbound and outbound interceptor chains of one run."""

    __slots__ = ("inbound", "outbound")

    def __init__(
        self,
        runtime: WorkflowRuntime,
        classes: Sequence[type[WorkflowInboundInterceptor]],
    ) -> None:
        self.outbound: WorkflowOutboundInterceptor = _EngineOutbound(runtime)
        inbound: WorkflowInboundInterceptor = _EngineInbound(runtime, self)
        for cls in reversed(list(classes)):
            inbound = cls(inbound)
        self.inbound = inbound
        inbound.init(self.outbound)


class _EngineInbound(WorkflowInboundInterceptor):
    """The innermost inbound interceptor: the workflow's own code."""

    def __init__(self, runtime: WorkflowRuntime, chains: WorkflowInterceptors) -> None:
        # No ``next``: this is the end of the chain.
        self._runtime = runtime
        self._chains = chains

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        self._chains.outbound = outbound

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        return await input.run_fn(*input.args)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        handlers = self._runtime.handlers
        defn = handlers.signals.get(input.signal) or handlers.signals.get(None)
        if defn is None:  # the handler went away since the signal was delivered
            return
        result = defn.bind_fn(self._runtime.object)(*input.args)
        if hasattr(result, "__await__"):
            await result

    async def handle_query(self, input: HandleQueryInput) -> Any:
        handlers = self._runtime.handlers
        defn = handlers.queries.get(input.query) or handlers.queries.get(None)
        if defn is None:
            known = sorted(k for k in handlers.queries if k)
            raise RuntimeError(
                f"Query handler for {input.query!r} expected but not found, known queries: {known}"
            )
        value = defn.bind_fn(self._runtime.object)(*input.args)
        if hasattr(value, "__await__"):
            value = await value
        return value

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        updates = self._runtime.update_calls
        defn = updates.definition(input.update)
        if defn is not None and defn.validator is not None:
            updates.validate(defn.validator, defn, input.args)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        defn = self._runtime.update_calls.definition(input.update)
        if defn is None:  # the handler went away since the update was accepted
            raise RuntimeError(f"Update handler for {input.update!r} is no longer registered")
        result = defn.bind_fn(self._runtime.object)(*input.args)
        if hasattr(result, "__await__"):
            result = await result
        return result


class _EngineOutbound(WorkflowOutboundInterceptor):
    """The innermost outbound interceptor: the engine's commands."""

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        raise ContinueAsNewError(
            *input.args,
            task_queue=input.task_queue,
            run_timeout=input.run_timeout,
            task_timeout=input.task_timeout,
            retry_policy=input.retry_policy,
            memo=input.memo,
            search_attributes=input.search_attributes,
            workflow=input.workflow,
            backoff_start_interval=input.backoff_start_interval,
            initial_versioning_behavior=input.initial_versioning_behavior,
            headers=input.headers,
        )

    def info(self) -> Info:
        return self._runtime.info

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        await self._runtime.externals.signal(
            input.child_workflow_id,
            None,
            input.signal,
            input.args,
            child_workflow_only=True,
            headers=input.headers,
        )

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        await self._runtime.externals.signal(
            input.workflow_id,
            input.workflow_run_id,
            input.signal,
            input.args,
            child_workflow_only=False,
            headers=input.headers,
        )

    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        options = ActivityOptions(
            activity=input.activity,
            args=input.args,
            task_queue=input.task_queue,
            schedule_to_close_timeout=input.schedule_to_close_timeout,
            schedule_to_start_timeout=input.schedule_to_start_timeout,
            start_to_close_timeout=input.start_to_close_timeout,
            heartbeat_timeout=input.heartbeat_timeout,
            retry_policy=input.retry_policy,
            cancellation_type=input.cancellation_type,
            activity_id=input.activity_id,
            versioning_intent=input.versioning_intent,
            summary=input.summary,
            priority=input.priority,
            result_type=input.ret_type,
            disable_eager_execution=input.disable_eager_execution,
        )
        return self._runtime.activities.start(options, headers=input.headers)

    async def start_child_workflow(
        self, input: StartChildWorkflowInput
    ) -> ChildWorkflowHandle[Any, Any]:
        options = ChildWorkflowOptions(
            workflow=input.workflow,
            args=input.args,
            id=input.id,
            task_queue=input.task_queue,
            cancellation_type=input.cancellation_type,
            parent_close_policy=input.parent_close_policy,
            execution_timeout=input.execution_timeout,
            run_timeout=input.run_timeout,
            task_timeout=input.task_timeout,
            id_reuse_policy=input.id_reuse_policy,
            retry_policy=input.retry_policy,
            cron_schedule=input.cron_schedule,
            memo=input.memo,
            search_attributes=input.search_attributes,
            static_summary=input.static_summary,
            static_details=input.static_details,
            priority=input.priority,
            result_type=input.ret_type,
        )
        return await self._runtime.children.start(options, headers=input.headers)

    def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
        options = LocalActivityOptions(
            activity=input.activity,
            args=input.args,
            schedule_to_close_timeout=input.schedule_to_close_timeout,
            schedule_to_start_timeout=input.schedule_to_start_timeout,
            start_to_close_timeout=input.start_to_close_timeout,
            retry_policy=input.retry_policy,
            local_retry_threshold=input.local_retry_threshold,
            cancellation_type=input.cancellation_type,
            activity_id=input.activity_id,
            summary=input.summary,
            result_type=input.ret_type,
        )
        return self._runtime.local_activities.start(options, headers=input.headers)

    async def start_nexus_operation(
        self, input: StartNexusOperationInput[Any, OutputT]
    ) -> NexusOperationHandle[OutputT]:
        return await self._runtime.nexus.start(input)

    async def start_system_nexus_operation(
        self, input: StartNexusOperationInput[Any, OutputT]
    ) -> NexusOperationHandle[OutputT]:
        return await self._runtime.nexus.start(input)

    async def start_signal_with_start_workflow(
        self, request: SignalWithStartWorkflowRequest
    ) -> NexusOperationHandle[SignalWithStartWorkflowResponse]:
        # As the official SDK: the request becomes the system endpoint's operation input, which
        # goes through the outbound chain once more as a system Nexus operation.
        input: StartNexusOperationInput[Any, SignalWithStartWorkflowResponse] = (
            StartNexusOperationInput(
                endpoint=SYSTEM_ENDPOINT,
                service=SYSTEM_SERVICE,
                operation=SYSTEM_OPERATION,
                input=request,
                output_type=SignalWithStartWorkflowResponse,
                schedule_to_close_timeout=None,
                schedule_to_start_timeout=None,
                start_to_close_timeout=None,
                cancellation_type=NexusOperationCancellationType.WAIT_COMPLETED,
                headers=None,
                summary=None,
            )
        )
        return await self._runtime.interceptors.outbound.start_system_nexus_operation(input)


def activity_input(options: ActivityOptions) -> StartActivityInput:
    """What the outbound chain sees of a ``start_activity`` call (no headers yet)."""
    return StartActivityInput(
        activity=options.activity,
        args=options.args,
        activity_id=options.activity_id,
        task_queue=options.task_queue,
        schedule_to_close_timeout=options.schedule_to_close_timeout,
        schedule_to_start_timeout=options.schedule_to_start_timeout,
        start_to_close_timeout=options.start_to_close_timeout,
        heartbeat_timeout=options.heartbeat_timeout,
        retry_policy=options.retry_policy,
        cancellation_type=options.cancellation_type,
        headers={},
        disable_eager_execution=options.disable_eager_execution,
        versioning_intent=options.versioning_intent,
        summary=options.summary,
        priority=options.priority,
        arg_types=None,
        ret_type=options.result_type,
    )


def local_activity_input(options: LocalActivityOptions) -> StartLocalActivityInput:
    """What the outbound chain sees of a ``start_local_activity`` call (no headers yet)."""
    return StartLocalActivityInput(
        activity=options.activity,
        args=options.args,
        activity_id=options.activity_id,
        schedule_to_close_timeout=options.schedule_to_close_timeout,
        schedule_to_start_timeout=options.schedule_to_start_timeout,
        start_to_close_timeout=options.start_to_close_timeout,
        retry_policy=options.retry_policy,
        local_retry_threshold=options.local_retry_threshold,
        cancellation_type=options.cancellation_type,
        headers={},
        summary=options.summary,
        arg_types=None,
        ret_type=options.result_type,
    )


def child_input(options: ChildWorkflowOptions) -> StartChildWorkflowInput:
    """What the outbound chain sees of a ``start_child_workflow`` call (no headers yet)."""
    return StartChildWorkflowInput(
        workflow=options.workflow,
        args=options.args,
        id=options.id,
        task_queue=options.task_queue,
        cancellation_type=options.cancellation_type,
        parent_close_policy=options.parent_close_policy,
        execution_timeout=options.execution_timeout,
        run_timeout=options.run_timeout,
        task_timeout=options.task_timeout,
        id_reuse_policy=options.id_reuse_policy,
        retry_policy=options.retry_policy,
        cron_schedule=options.cron_schedule,
        memo=options.memo,
        search_attributes=options.search_attributes,
        headers={},
        versioning_intent=None,
        static_summary=options.static_summary,
        static_details=options.static_details,
        priority=options.priority,
        arg_types=None,
        ret_type=options.result_type,
    )


def continue_as_new_input(
    args: Sequence[Any], options: Mapping[str, Any], info: Info
) -> ContinueAsNewInput:
    """What the outbound chain sees of a ``continue_as_new`` call (no headers yet); a workflow
    given as its run method is named, as officially."""
    workflow = options.get("workflow")
    if workflow is not None and not isinstance(workflow, str):
        defn = _Definition.from_run_fn(workflow)
        workflow = defn.name if defn is not None and defn.name else info.workflow_type
    return ContinueAsNewInput(
        workflow=workflow,
        args=args,
        task_queue=options.get("task_queue"),
        run_timeout=options.get("run_timeout"),
        task_timeout=options.get("task_timeout"),
        backoff_start_interval=options.get("backoff_start_interval"),
        retry_policy=options.get("retry_policy"),
        memo=options.get("memo"),
        search_attributes=options.get("search_attributes"),
        headers={},
        versioning_intent=options.get("versioning_intent"),
        initial_versioning_behavior=options.get("initial_versioning_behavior"),
    )
