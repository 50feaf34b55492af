"""Histories fetched from a real server (page by page, through tempyral's generated stubs) replay:
the official worker runs the workflows, tempyral replays what the server recorded."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.workflowservice.v1 import request_response_pb2 as rr
from tempyral.api.workflowservice.v1 import service_pb2_grpc
from tempyral.replay import Replayer, WorkflowHistory

RECORD = Path(__file__).parent / "golden" / "record.py"


@pytest.mark.integration
async def test_histories_fetched_page_by_page_replay(
    tempyral_target: str, replayer: Replayer
) -> None:
    ran = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(RECORD), "--target", tempyral_target, "activity_success,timers"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    ids: dict[str, str] = json.loads(ran.stdout.strip().splitlines()[-1])
    async with grpc.aio.insecure_channel(tempyral_target) as channel:
        stub = service_pb2_grpc.WorkflowServiceStub(channel)
        for workflow_id in ids.values():
            events = []
            token = b""
            pages = 0
            while True:
                response = await stub.GetWorkflowExecutionHistory(
                    rr.GetWorkflowExecutionHistoryRequest(
                        namespace="default",
                        execution=common_pb2.WorkflowExecution(workflow_id=workflow_id),
                        maximum_page_size=4,
                        next_page_token=token,
                    )
                )
                events.extend(response.history.events)
                pages += 1
                token = response.next_page_token
                if not token:
                    break
            assert pages > 1
            result = replayer.replay_workflow_sync(WorkflowHistory(workflow_id, events))
            assert result.replay_failure is None
            assert result.events == len(events)
