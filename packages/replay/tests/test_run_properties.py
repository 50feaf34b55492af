"""Upserts, current details, built-in queries and the patch rules, without a server."""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

import pytest
from google.protobuf import json_format

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.sdk.v1 import enhanced_stack_trace_pb2 as stack_pb2
from tempyral.common import SearchAttributeKey
from tempyral.converter import DataConverter
from tempyral.replay import Replayer, RestrictedWorkflowAccessError, WorkflowInstance

from .histories import Builder

KEYWORD = SearchAttributeKey.for_keyword("CustomKeywordField")


def decode(p: Any) -> Any:
    return DataConverter.default.payload_converter.from_payloads([p])[0]


def instance(workflow_class: type) -> WorkflowInstance:
    return Replayer(workflows=[workflow_class]).new_instance("wf")


@workflow.defn
class LegacyUpsert:
    @workflow.run
    async def run(self) -> list[Any]:
        workflow.upsert_search_attributes({"CustomKeywordField": ["legacy"]})
        info = workflow.info()
        return [info.search_attributes["CustomKeywordField"], info.typed_search_attributes[KEYWORD]]


def test_the_dict_form_of_upsert_warns_and_still_updates_info() -> None:
    b = Builder()
    b.started("LegacyUpsert")
    with pytest.warns(DeprecationWarning, match="Dictionary-based search attributes"):
        commands = instance(LegacyUpsert).activate(b.events).commands
    assert [c.command_type for c in commands] == [
        CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    ]
    result = commands[-1].complete_workflow_execution_command_attributes.result.payloads[0]
    assert decode(result) == [["legacy"], "legacy"]


@workflow.defn
class OwnsChangeVersion:
    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes(
            [SearchAttributeKey.for_keyword_list("TemporalChangeVersion").value_set(["x"])]
        )


def test_the_change_version_attribute_is_the_engines_alone() -> None:
    b = Builder()
    b.started("OwnsChangeVersion")
    with pytest.warns(UserWarning, match="TemporalChangeVersion"):
        [upsert, _] = instance(OwnsChangeVersion).activate(b.events).commands
    attributes = upsert.upsert_workflow_search_attributes_command_attributes.search_attributes
    assert dict(attributes.indexed_fields) == {}


@workflow.defn
class Waiting:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        workflow.set_current_details("waiting for **done**")
        await workflow.wait_condition(lambda: self.done)


def test_the_stack_trace_query_shows_where_the_code_waits() -> None:
    b = Builder()
    b.started("Waiting")
    run = instance(Waiting)
    run.activate(b.events)
    stack = decode(run.query("__stack_trace"))
    assert "test_run_properties.py" in stack
    assert "await workflow.wait_condition(lambda: self.done)" in stack
    assert "query: __stack_trace" not in stack


def test_the_metadata_query_has_the_details_and_the_handlers() -> None:
    b = Builder()
    b.started("Waiting")
    run = instance(Waiting)
    run.activate(b.events)
    answer = run.query("__temporal_workflow_metadata")
    assert answer.metadata["encoding"] == b"json/protobuf"
    assert b"waiting for **done**" in answer.data
    assert b"__enhanced_stack_trace" in answer.data


@workflow.defn
class WaitingForSignal:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "finished"

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def lists_a_directory(self) -> list[str]:
        return os.listdir(".")


def _completion_result(commands: Any) -> Any:
    [command] = commands
    return decode(command.complete_workflow_execution_command_attributes.result.payloads[0])


def test_the_enhanced_stack_trace_names_the_sdk_the_sources_and_the_waiting_line() -> None:
    b = Builder()
    b.started("WaitingForSignal")
    run = instance(WaitingForSignal)
    run.activate(b.events)
    answer = run.query("__enhanced_stack_trace")
    assert answer.metadata["messageType"] == b"temporal.api.sdk.v1.EnhancedStackTrace"
    trace = json_format.Parse(answer.data, stack_pb2.EnhancedStackTrace())
    assert trace.sdk.name == "tempyral"
    assert trace.sdk.version == metadata.version("tempyral-replay")
    [stack] = trace.stacks  # the run method's task; the query's own task is not the workflow's
    here = [loc for loc in stack.locations if loc.file_path == __file__]
    assert [loc.function_name for loc in here] == ["run"]
    source_lines = trace.sources[__file__].content.splitlines()
    assert source_lines[here[0].line - 1].strip() == (
        "await workflow.wait_condition(lambda: self.done)"
    )
    assert {loc.file_path for loc in stack.locations} <= set(trace.sources)
    assert all(loc.column == -1 and not loc.internal_code for loc in stack.locations)


def test_the_run_goes_on_after_the_enhanced_stack_trace_query() -> None:
    b = Builder()
    b.started("WaitingForSignal")
    run = instance(WaitingForSignal)
    run.activate(b.events)
    run.query("__enhanced_stack_trace")
    assert "await workflow.wait_condition" in decode(run.query("__stack_trace"))
    already = len(b.events)
    b.completed()
    b.signal("finish")
    b.task()
    completion = run.activate(b.events[already:])
    assert completion.failure is None
    assert _completion_result(completion.commands) == "finished"


def test_a_query_the_guard_refuses_fails_alone_and_the_run_goes_on() -> None:
    b = Builder()
    b.started("WaitingForSignal")
    run = instance(WaitingForSignal)
    run.activate(b.events)
    with pytest.raises(RestrictedWorkflowAccessError, match=r"os\.listdir"):
        run.query("lists_a_directory")
    assert "await workflow.wait_condition" in decode(run.query("__stack_trace"))
    already = len(b.events)
    b.completed()
    b.signal("finish")
    b.task()
    completion = run.activate(b.events[already:])
    assert completion.failure is None
    assert _completion_result(completion.commands) == "finished"


@workflow.defn
class PatchedTwice:
    @workflow.run
    async def run(self) -> list[bool]:
        return [workflow.patched("a"), workflow.patched("a"), workflow.patched("b")]


def test_a_new_run_records_each_patch_once_with_the_ids_used_so_far() -> None:
    b = Builder()
    b.started("PatchedTwice")
    commands = instance(PatchedTwice).activate(b.events).commands
    kinds = [CommandType.Name(c.command_type).removeprefix("COMMAND_TYPE_") for c in commands]
    assert kinds == [
        "RECORD_MARKER",
        "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
        "RECORD_MARKER",
        "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
        "COMPLETE_WORKFLOW_EXECUTION",
    ]
    versions = [
        c.upsert_workflow_search_attributes_command_attributes.search_attributes.indexed_fields[
            "TemporalChangeVersion"
        ].data
        for c in commands
        if c.command_type == CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert versions == [b'["a"]', b'["a","b"]']


def test_replaying_without_the_marker_takes_the_old_path() -> None:
    b = Builder()
    b.started("PatchedTwice")
    b.completed()
    b.add("workflow_execution_completed")
    run = instance(PatchedTwice)
    completion = run.activate(b.events, history_complete=True)  # no marker: patched() is false
    assert completion.failure is None
    assert run.finished
