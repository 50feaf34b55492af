"""``LoggingConfig(format=LoggingFormat.JSON)``: tempyral's logs as JSON lines on stderr.

A worker that caches nothing replays the run on every task: ``workflow.logger`` lines still
come out once each (silent during replay), and every line is one JSON object carrying the run's
ids as fields.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.runtime import (
    LoggingConfig,
    LoggingFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from tempyral.worker import Worker


@activity.defn
async def shout(word: str) -> str:
    activity.logger.info("shouting %s", word)
    return word.upper()


@workflow.defn
class LogsTwice:
    @workflow.run
    async def run(self, word: str) -> str:
        workflow.logger.info("before %s", word)
        loud = ""
        for _ in range(2):  # more tasks, each replaying the lines above when nothing is cached
            loud = await workflow.execute_activity(
                shout, word, start_to_close_timeout=timedelta(seconds=10)
            )
        workflow.logger.warning("after %s", loud)
        return loud


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _json_runtime(core_level: str) -> Runtime:
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level=core_level, other_level="WARN"),
                format=LoggingFormat.JSON,
            )
        )
    )


async def test_workflow_and_activity_logs_are_json_with_their_ids_once_each(
    tempyral_target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = _json_runtime("INFO")
    client = await Client.connect(tempyral_target, runtime=runtime)
    task_queue = f"json-logs-{uuid.uuid4()}"
    workflow_id = f"json-logs-{uuid.uuid4()}"
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[LogsTwice],
            activities=[shout],
            max_cached_workflows=0,
        ):
            handle = await client.start_workflow(
                LogsTwice.run, "hey", id=workflow_id, task_queue=task_queue
            )
            assert await handle.result() == "HEY"
    finally:
        runtime.close()
    lines = _json_lines(capsys.readouterr().err)
    workflow_lines = [line for line in lines if line["logger"] == "tempyral.workflow"]
    assert [(line["level"], line["message"]) for line in workflow_lines] == [
        ("INFO", "before hey"),
        ("WARNING", "after HEY"),
    ]
    for line in workflow_lines:
        assert line["workflow_id"] == workflow_id
        assert line["run_id"] == handle.result_run_id
        assert line["workflow_type"] == "LogsTwice"
        assert line["task_queue"] == task_queue
        assert line["namespace"] == "default"
        assert line["attempt"] == 1
    activity_lines = [line for line in lines if line["logger"] == "tempyral.activity"]
    assert [line["message"] for line in activity_lines] == ["shouting hey"] * 2
    assert {line["activity_id"] for line in activity_lines} == {"1", "2"}
    for line in activity_lines:
        assert line["activity_type"] == "shout"
        assert line["workflow_id"] == workflow_id
        assert line["workflow_run_id"] == handle.result_run_id
        assert line["attempt"] == 1
        assert line["task_queue"] == task_queue


def test_the_filter_level_applies_and_closing_stops_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tempyral_logger = logging.getLogger("tempyral.worker.custom")
    runtime = _json_runtime("WARN")
    tempyral_logger.info("not at WARN")
    tempyral_logger.error("boom", extra={"tempyral": {"task_queue": "q1"}})
    runtime.close()
    tempyral_logger.error("after close")
    lines = _json_lines(capsys.readouterr().err)
    assert [(line["message"], line.get("task_queue")) for line in lines] == [("boom", "q1")]
    assert lines[0]["level"] == "ERROR"
    assert lines[0]["timestamp"].endswith("+00:00")


def test_an_unknown_filter_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown level 'LOUD'"):
        Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(filter="temporal_sdk_core=LOUD", format=LoggingFormat.JSON)
            )
        )


def test_tempyral_diagnostics_with_an_exception_are_one_json_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Code logging through tempyral's loguru logger from a tempyral module, as the worker does.
    source = (
        "from tempyral.common import logger\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logger.bind(workflow_id='wf-9').exception('task failed')\n"
    )
    runtime = _json_runtime("INFO")
    try:
        exec(compile(source, "fake_poller.py", "exec"), {"__name__": "tempyral.worker._fake"})
    finally:
        runtime.close()
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["logger"] == "tempyral.worker._fake"
    assert (line["level"], line["message"], line["workflow_id"]) == ("ERROR", "task failed", "wf-9")
    assert line["exception"].endswith("ZeroDivisionError: division by zero")
