"""The workflow API on the engine, task by task: signals (named, dynamic, registered late),
queries (read-only), cancellation, info, logging, and the commands that options produce."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.common import RawValue, RetryPolicy
from tempyral.converter import DataConverter
from tempyral.replay import Replayer, WorkflowInstance

from .histories import Builder, first_task

C = CommandType


@workflow.defn
class Signals:
    def __init__(self) -> None:
        self.got: list[str] = []

    @workflow.signal
    def add(self, value: str) -> None:
        self.got.append(value)

    @workflow.signal(dynamic=True)
    def anything(self, name: str, args: Sequence[RawValue]) -> None:
        self.got.append(f"dynamic {name} with {len(args)} args")

    @workflow.query
    def seen(self) -> list[str]:
        return list(self.got)

    @workflow.query
    async def writes(self) -> None:
        await workflow.sleep(1)

    @workflow.run
    async def run(self) -> list[str]:
        workflow.set_signal_handler("late", lambda value: self.got.append(f"late {value}"))
        await workflow.wait_condition(lambda: len(self.got) >= 4)
        return self.got


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self) -> str:
        workflow.logger.info("sleeping in %s", workflow.info().workflow_id)
        try:
            await workflow.sleep(timedelta(hours=1))
        except asyncio.CancelledError:
            return f"cancelled: {workflow.cancellation_reason()!r}"
        return "slept"


@workflow.defn
class Options:
    @workflow.run
    async def run(self, which: str) -> None:
        if which == "activity":
            await workflow.execute_activity(
                "act",
                1,
                task_queue="other",
                start_to_close_timeout=timedelta(seconds=5),
                heartbeat_timeout=timedelta(seconds=2),
                summary="sum",
                retry_policy=RetryPolicy(maximum_attempts=3),
                cancellation_type=workflow.ActivityCancellationType.ABANDON,
            )
        elif which == "child":
            await workflow.execute_child_workflow(
                "Kid",
                "x",
                id="kid",
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
                memo={"m": 1},
                cron_schedule="* * * * *",
            )
        elif which == "external":
            handle = workflow.get_external_workflow_handle("other-wf", run_id="r")
            await asyncio.gather(handle.signal("hi", 2), handle.cancel())
        elif which == "continue":
            workflow.continue_as_new(5, memo={"k": "v"})


def instance(workflow_class: type, workflow_id: str = "wf") -> WorkflowInstance:
    return Replayer(workflows=[workflow_class]).new_instance(workflow_id)


def payload(value: Any) -> Any:
    return DataConverter.default.payload_converter.to_payloads([value])[0]


def decode(p: Any) -> Any:
    return DataConverter.default.payload_converter.from_payloads([p])[0]


def test_signals_named_dynamic_and_registered_at_run_time_arrive_in_history_order() -> None:
    b = Builder()
    b.started("Signals")
    b.completed()
    b.signal("add", "a")
    b.signal("late", "early bird")  # its handler was registered by the code at run time
    b.signal("whatever", 1, 2)
    b.task()
    b.completed()
    b.signal("add", "b")
    b.task()
    run = instance(Signals)
    completion = run.activate(b.events)
    assert completion.failure is None
    [command] = completion.commands
    assert command.command_type == C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
    result = decode(command.complete_workflow_execution_command_attributes.result.payloads[0])
    assert result == ["a", "late early bird", "dynamic whatever with 2 args", "b"]
    assert decode(run.query("seen")) == result


@workflow.defn
class LateHandler:
    @workflow.run
    async def run(self) -> list[str]:
        got: list[str] = []
        workflow.set_signal_handler("early", got.append)
        await workflow.wait_condition(lambda: len(got) == 2)
        return got


def test_signals_before_their_handler_exists_are_buffered_then_delivered() -> None:
    b = Builder()
    b.events.append(first_task("LateHandler")[0])  # signals arrive before the first task
    b.signal("early", "one")
    b.signal("early", "two")
    b.task()
    [command] = instance(LateHandler).activate(b.events).commands
    result = command.complete_workflow_execution_command_attributes.result.payloads[0]
    assert decode(result) == ["one", "two"]


def test_queries_are_read_only() -> None:
    b = Builder()
    b.started("Signals")
    run = instance(Signals)
    run.activate(b.events)
    with pytest.raises(workflow.ReadOnlyContextError):
        run.query("writes")
    with pytest.raises(RuntimeError, match="known queries"):
        run.query("nope")


def test_cancellation_reaches_the_code_and_cancels_its_timer() -> None:
    b = Builder()
    b.started("Sleeper")
    b.completed()
    b.add("timer_started", timer_id="1")
    b.add("workflow_execution_cancel_requested", cause="enough")
    b.task()
    completion = instance(Sleeper).activate(b.events)
    types = [c.command_type for c in completion.commands]
    assert types == [C.COMMAND_TYPE_CANCEL_TIMER, C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    result = completion.commands[1].complete_workflow_execution_command_attributes.result
    assert decode(result.payloads[0]) == "cancelled: 'enough'"


def test_logger_is_silent_while_replaying(caplog: pytest.LogCaptureFixture) -> None:
    b = Builder()
    b.started("Sleeper")
    caplog.set_level(logging.INFO, logger="tempyral.workflow")
    instance(Sleeper).activate(b.events)  # a new task: logs
    assert "sleeping in wf" in caplog.text
    caplog.clear()
    b.completed()
    b.add("timer_started", timer_id="1")
    instance(Sleeper).activate(b.events, history_complete=True)  # replayed: silent
    assert caplog.text == ""


def test_activity_options_become_command_attributes() -> None:
    b = Builder()
    b.started("Options", "activity")
    [command] = instance(Options).activate(b.events).commands
    attrs = command.schedule_activity_task_command_attributes
    assert attrs.activity_type.name == "act"
    assert attrs.activity_id == "1"
    assert attrs.task_queue.name == "other"
    assert attrs.start_to_close_timeout.seconds == 5
    assert attrs.heartbeat_timeout.seconds == 2
    assert attrs.retry_policy.maximum_attempts == 3
    assert decode(attrs.input.payloads[0]) == 1
    assert decode(command.user_metadata.summary) == "sum"


def test_child_options_become_command_attributes() -> None:
    b = Builder()
    b.started("Options", "child")
    [command] = instance(Options).activate(b.events).commands
    attrs = command.start_child_workflow_execution_command_attributes
    assert (attrs.workflow_id, attrs.workflow_type.name, attrs.task_queue.name) == (
        "kid",
        "Kid",
        "tq",
    )
    assert attrs.parent_close_policy == 3
    assert attrs.cron_schedule == "* * * * *"
    assert decode(attrs.memo.fields["m"]) == 1


def test_external_signal_and_cancel_commands() -> None:
    b = Builder()
    b.started("Options", "external")
    commands = instance(Options).activate(b.events).commands
    assert [c.command_type for c in commands] == [
        C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    ]
    signal = commands[0].signal_external_workflow_execution_command_attributes
    assert (signal.execution.workflow_id, signal.execution.run_id, signal.signal_name) == (
        "other-wf",
        "r",
        "hi",
    )
    cancel = commands[1].request_cancel_external_workflow_execution_command_attributes
    assert cancel.workflow_id == "other-wf"


def test_continue_as_new_command() -> None:
    b = Builder()
    b.started("Options", "continue")
    [command] = instance(Options).activate(b.events).commands
    attrs = command.continue_as_new_workflow_execution_command_attributes
    assert attrs.workflow_type.name == "Options"
    assert attrs.task_queue.name == "tq"
    assert decode(attrs.input.payloads[0]) == 5
    assert decode(attrs.memo.fields["k"]) == "v"


def test_a_new_task_records_the_flags_it_uses_once() -> None:
    b = Builder()
    b.started("Sleeper")
    run = instance(Sleeper)
    first = run.activate(b.events)
    assert list(first.sdk_metadata.core_used_flags) == [1, 2, 3]  # all known, as Core does
    assert first.sdk_metadata.sdk_name == "tempyral"
    b.completed()
    b.add("timer_started", timer_id="1")
    b.add("workflow_execution_cancel_requested")
    b.task()
    second = run.activate(b.events[3:])
    assert list(second.sdk_metadata.core_used_flags) == []
    assert second.sdk_metadata.sdk_name == ""


def test_workflow_functions_outside_a_workflow_say_so() -> None:
    with pytest.raises(RuntimeError, match="Not in workflow event loop"):
        workflow.info()
    assert not workflow.in_workflow()


class Greeter:
    async def hello(self, name: str) -> str:
        return name

    async def __call__(self, name: str) -> str:
        return name


@workflow.defn
class InitAndForms:
    @workflow.init
    def __init__(self, name: str) -> None:
        self.name = name

    @workflow.run
    async def run(self, name: str) -> None:
        memo = workflow.memo()
        assert workflow.memo_value("absent", "fallback") == "fallback"
        await asyncio.gather(
            workflow.execute_activity_method(
                Greeter.hello, self.name, start_to_close_timeout=timedelta(seconds=1)
            ),
            workflow.execute_activity_class(
                Greeter, str(memo), start_to_close_timeout=timedelta(seconds=1)
            ),
        )


def test_init_method_and_class_activity_forms() -> None:
    b = Builder()
    b.started("InitAndForms", "ann")
    commands = instance(InitAndForms).activate(b.events).commands
    names = [c.schedule_activity_task_command_attributes.activity_type.name for c in commands]
    assert names == ["hello", "Greeter"]
    first = commands[0].schedule_activity_task_command_attributes.input.payloads[0]
    assert decode(first) == "ann"
    assert [c.schedule_activity_task_command_attributes.activity_id for c in commands] == ["1", "2"]
