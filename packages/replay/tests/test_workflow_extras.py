"""Dynamic workflow configuration, the workflow logger's class, continue-as-new versioning and
uuid7, on synthetic histories (no server)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.enums.v1.workflow_pb2 import ContinueAsNewVersioningBehavior as CanBehavior
from tempyral.common import RawValue
from tempyral.converter import DataConverter
from tempyral.replay import Replayer, WorkflowTaskCompletion

from .histories import Builder

C = CommandType


class Refused(Exception):
    pass


@workflow.defn(dynamic=True)
class ConfiguredPerType:
    """Fails the workflow on ``Refused`` only for the type named ``Strict``."""

    @workflow.dynamic_config
    def config(self) -> workflow.DynamicWorkflowConfig:
        if workflow.info().workflow_type == "Strict":
            return workflow.DynamicWorkflowConfig(failure_exception_types=[Refused])
        return workflow.DynamicWorkflowConfig()

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> None:
        raise Refused("no")


def _first_task(workflow_class: type, workflow_type: str, *args: Any) -> WorkflowTaskCompletion:
    b = Builder()
    b.started(workflow_type, *args)
    return Replayer(workflows=[workflow_class]).new_instance("wf").activate(b.events)


def test_dynamic_config_sets_failure_exception_types_per_workflow_type() -> None:
    strict = _first_task(ConfiguredPerType, "Strict")
    assert strict.failure is None
    [command] = strict.commands
    assert command.command_type == C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION
    assert command.fail_workflow_execution_command_attributes.failure.message == "no"
    lenient = _first_task(ConfiguredPerType, "Lenient")
    assert lenient.failure is not None  # the task fails (and is retried), the workflow does not
    assert lenient.commands == []


def test_dynamic_config_is_refused_where_it_cannot_work() -> None:
    with pytest.raises(ValueError, match="only for dynamic workflows"):

        @workflow.defn
        class Named:
            @workflow.dynamic_config
            def config(self) -> workflow.DynamicWorkflowConfig:
                return workflow.DynamicWorkflowConfig()

            @workflow.run
            async def run(self) -> None:
                pass

    with pytest.raises(ValueError, match="synchronous"):

        class Async:
            @workflow.dynamic_config  # type: ignore[type-var]
            async def config(self) -> workflow.DynamicWorkflowConfig:
                return workflow.DynamicWorkflowConfig()

    with pytest.raises(ValueError, match="only self"):

        class TakesMore:
            @workflow.dynamic_config  # type: ignore[type-var]
            def config(self, extra: int) -> workflow.DynamicWorkflowConfig:
                return workflow.DynamicWorkflowConfig()


custom_logger = workflow.LoggerAdapter(logging.getLogger("wfnames.custom"), None)


@workflow.defn
class Logs:
    @workflow.run
    async def run(self, on_message: bool) -> None:
        custom_logger.workflow_info_on_message = on_message
        custom_logger.full_workflow_info_on_extra = not on_message
        custom_logger.info("hello", extra={"mine": 1})


def test_a_logger_adapter_of_ones_own_adds_the_workflow_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="wfnames.custom")
    _first_task(Logs, "Logs", True)
    [record] = caplog.records
    assert record.getMessage().startswith("hello (")
    assert "'workflow_type': 'Logs'" in record.getMessage()
    assert record.temporal_workflow["workflow_id"] == "wf"  # type: ignore[attr-defined]
    assert record.mine == 1  # type: ignore[attr-defined]
    assert not hasattr(record, "workflow_info")
    caplog.clear()
    _first_task(Logs, "Logs", False)
    [record] = caplog.records
    assert record.getMessage() == "hello"
    assert record.workflow_info.workflow_type == "Logs"  # type: ignore[attr-defined]
    assert custom_logger.base_logger is logging.getLogger("wfnames.custom")


def test_the_workflow_logger_is_a_logger_adapter() -> None:
    assert isinstance(workflow.logger, workflow.LoggerAdapter)
    assert workflow.logger.log_during_replay is False


@workflow.defn
class ContinuesOnRamping:
    @workflow.run
    async def run(self) -> None:
        workflow.continue_as_new(
            initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.USE_RAMPING_VERSION
        )


def test_continue_as_new_carries_the_initial_versioning_behavior() -> None:
    [command] = _first_task(ContinuesOnRamping, "ContinuesOnRamping").commands
    attrs = command.continue_as_new_workflow_execution_command_attributes
    assert attrs.initial_versioning_behavior == (
        CanBehavior.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_USE_RAMPING_VERSION
    )


@workflow.defn
class MakesIds:
    @workflow.run
    async def run(self) -> list[str]:
        return [str(workflow.uuid7()) for _ in range(3)]


def test_uuid7_is_version_7_with_the_workflow_time_and_replays_the_same() -> None:
    b = Builder()
    b.started("MakesIds")
    completion = Replayer(workflows=[MakesIds]).new_instance("wf").activate(b.events)
    [command] = completion.commands
    result = command.complete_workflow_execution_command_attributes.result.payloads[0]
    ids = [
        uuid.UUID(text)
        for text in DataConverter.default.payload_converter.from_payloads([result])[0]
    ]
    assert len(set(ids)) == 3
    task_started_ms = b.events[-1].event_time.ToMilliseconds()
    for value in ids:
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert value.int >> 80 == task_started_ms
    again = Replayer(workflows=[MakesIds]).new_instance("wf").activate(b.events)
    assert again.commands == completion.commands
