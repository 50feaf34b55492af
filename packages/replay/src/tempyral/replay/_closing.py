"""The commands the runtime builds itself: those that close a run (complete, fail, accept
cancellation, continue as new) and the timer start.

Pure functions from what the workflow code returned or raised to the command; the runtime wraps
each in its intent.
"""

from __future__ import annotations

from typing import Any, cast

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1 import workflow_pb2 as workflow_enums
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.taskqueue.v1 import message_pb2 as taskqueue_pb2
from tempyral.common import RetryPolicy
from tempyral.converter import PayloadConverter, encode_search_attributes
from tempyral.workflow._context import ContinueAsNewError, Info
from tempyral.workflow._definition import _Definition

__all__ = [
    "cancel_command",
    "complete_command",
    "continue_as_new_command",
    "fail_command",
    "start_timer_command",
]

Command = command_pb2.Command


def complete_command(result: Any, converter: PayloadConverter) -> Command:
    attrs = command_pb2.CompleteWorkflowExecutionCommandAttributes(
        result=common_pb2.Payloads(payloads=converter.to_payloads([result]))
    )
    return Command(
        command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        complete_workflow_execution_command_attributes=attrs,
    )


def fail_command(failure: failure_pb2.Failure) -> Command:
    return Command(
        command_type=CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb2.FailWorkflowExecutionCommandAttributes(
            failure=failure
        ),
    )


def cancel_command() -> Command:
    return Command(
        command_type=CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        cancel_workflow_execution_command_attributes=command_pb2.CancelWorkflowExecutionCommandAttributes(),
    )


def continue_as_new_command(
    err: ContinueAsNewError, info: Info, converter: PayloadConverter
) -> Command:
    options = err.options
    workflow = options.get("workflow")
    name = info.workflow_type
    if isinstance(workflow, str):
        name = workflow
    elif workflow is not None:
        defn = _Definition.from_run_fn(workflow)
        name = defn.name if defn is not None and defn.name else name
    attrs = command_pb2.ContinueAsNewWorkflowExecutionCommandAttributes(
        workflow_type=common_pb2.WorkflowType(name=name),
        task_queue=taskqueue_pb2.TaskQueue(name=options.get("task_queue") or info.task_queue),
    )
    if err.input_args:
        attrs.input.payloads.extend(converter.to_payloads(list(err.input_args)))
    if options.get("run_timeout"):
        attrs.workflow_run_timeout.FromTimedelta(options["run_timeout"])
    if options.get("task_timeout"):
        attrs.workflow_task_timeout.FromTimedelta(options["task_timeout"])
    if options.get("backoff_start_interval"):
        attrs.backoff_start_interval.FromTimedelta(options["backoff_start_interval"])
    if isinstance(options.get("retry_policy"), RetryPolicy):
        options["retry_policy"].apply_to_proto(attrs.retry_policy)
    if options.get("initial_versioning_behavior"):  # a ContinueAsNewVersioningBehavior
        attrs.initial_versioning_behavior = cast(
            "workflow_enums.ContinueAsNewVersioningBehavior",
            int(options["initial_versioning_behavior"]),
        )
    for key, value in (options.get("memo") or {}).items():
        attrs.memo.fields[key].CopyFrom(converter.to_payloads([value])[0])
    if options.get("search_attributes"):
        encode_search_attributes(options["search_attributes"], attrs.search_attributes)
    for key, header in (options.get("headers") or {}).items():  # from workflow interceptors
        attrs.header.fields[key].CopyFrom(header)
    return Command(
        command_type=CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continue_as_new_workflow_execution_command_attributes=attrs,
    )


def start_timer_command(seq: int, delay: float) -> Command:
    attrs = command_pb2.StartTimerCommandAttributes(timer_id=str(seq))
    attrs.start_to_fire_timeout.FromNanoseconds(int(delay * 1e9))
    return Command(
        command_type=CommandType.COMMAND_TYPE_START_TIMER, start_timer_command_attributes=attrs
    )
