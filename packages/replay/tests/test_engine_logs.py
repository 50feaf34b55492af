"""The engine's own diagnostics go through loguru, tagged with the workflow run they concern.

tempyral's loguru logger is disabled by default (the client package turns it off so a library
stays quiet); a user who wants engine logs enables ``tempyral``, as this test does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from loguru import logger

from tempyral import workflow
from tempyral.replay import Replayer

from .histories import Builder


@workflow.defn
class CountsSignals:
    def __init__(self) -> None:
        self.total = 0

    @workflow.signal
    def add(self, amount: int) -> None:
        self.total += amount

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.total > 0)
        return self.total


@pytest.fixture
def engine_logs() -> Iterator[list[Any]]:
    records: list[Any] = []
    logger.enable("tempyral")
    sink = logger.add(lambda message: records.append(message.record), level="DEBUG")
    try:
        yield records
    finally:
        logger.remove(sink)
        logger.disable("tempyral")


def test_an_undecodable_signal_is_dropped_and_logged_with_the_run(
    engine_logs: list[Any],
) -> None:
    b = Builder()
    b.started("CountsSignals", run_id="run-7")
    b.completed()
    bad = b.add("workflow_execution_signaled", signal_name="add")
    payload = bad.workflow_execution_signaled_event_attributes.input.payloads.add()
    payload.metadata["encoding"] = b"json/plain"
    payload.data = b'"not a number"'
    b.signal("add", 3)
    b.task()
    instance = Replayer(workflows=[CountsSignals]).new_instance("wf-logs")
    completion = instance.activate(b.events)
    assert completion.failure is None
    [record] = [r for r in engine_logs if "Failed deserializing signal input" in r["message"]]
    assert record["level"].name == "ERROR"
    assert record["name"].startswith("tempyral.replay")
    assert set(record["extra"]) == {"workflow_id", "run_id", "workflow_type"}
    assert record["extra"]["workflow_id"] == "wf-logs"
    assert record["extra"]["workflow_type"] == "CountsSignals"
    assert record["exception"] is not None  # the decoding error itself is kept
