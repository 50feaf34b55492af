"""SDK flags decide behaviour: read from history when replaying, used and recorded when new."""

from __future__ import annotations

import asyncio

from tempyral import workflow
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.replay import Replayer, WorkflowHistory

from .histories import Builder

C = CommandType


@workflow.defn
class CommandAfterTheEnd:
    @workflow.run
    async def run(self) -> str:
        asyncio.get_running_loop().create_task(workflow.sleep(5))  # runs after the return below
        return "done"


REPLAYER = Replayer(workflows=[CommandAfterTheEnd])


def test_a_new_task_moves_commands_issued_after_the_end_before_it() -> None:
    b = Builder()
    b.started("CommandAfterTheEnd")
    completion = REPLAYER.new_instance("wf").activate(b.events)
    assert [c.command_type for c in completion.commands] == [
        C.COMMAND_TYPE_START_TIMER,
        C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    ]
    assert 3 in completion.sdk_metadata.core_used_flags


def test_history_without_the_flag_replays_the_old_truncation() -> None:
    b = Builder()
    b.started("CommandAfterTheEnd")
    b.completed()  # no sdk_metadata: written before MoveTerminalCommands existed
    b.add("workflow_execution_completed")
    REPLAYER.replay_workflow_sync(WorkflowHistory("wf", b.events))


def test_history_with_the_flag_replays_the_move() -> None:
    b = Builder()
    b.started("CommandAfterTheEnd")
    completed = b.add("workflow_task_completed")
    completed.workflow_task_completed_event_attributes.sdk_metadata.core_used_flags.append(3)
    b.add("timer_started", timer_id="1")
    b.add("workflow_execution_completed")
    REPLAYER.replay_workflow_sync(WorkflowHistory("wf", b.events))
