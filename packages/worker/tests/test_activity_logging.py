"""Logging: ``activity.logger`` adds the activity's details to standard-library records, and the
worker's own loguru messages carry them too, but stay silent until ``logger.enable("tempyral")``."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from loguru import logger

from tempyral import activity
from tempyral.worker import Worker

pytestmark = pytest.mark.integration


@activity.defn
async def logs_and_fails(message: str) -> None:
    activity.logger.info("working on %s", message)
    raise RuntimeError("this attempt fails")


async def run_failing(harness: Any, client: Any, task_queue: str) -> Any:
    async with Worker(client, task_queue=task_queue, activities=[logs_and_fails]):
        return await harness.run_activity(
            {
                "activity": "logs_and_fails",
                "args": ["the order"],
                "task_queue": task_queue,
                "activity_id": "logging-activity",
                "retry": {"max_attempts": 1},
            }
        )


async def test_activity_logger_adds_activity_details(
    harness: Any, client: Any, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tempyral.activity")
    await run_failing(harness, client, task_queue)
    [record] = [r for r in caplog.records if r.name == "tempyral.activity"]
    assert record.getMessage().startswith("working on the order (")
    details = record.__dict__["temporal_activity"]
    assert details["activity_id"] == "logging-activity"
    assert details["activity_type"] == "logs_and_fails"
    assert details["attempt"] == 1
    assert details["task_queue"] == task_queue
    assert details["workflow_type"] == "RunActivity"
    assert activity.logger.base_logger is logging.getLogger("tempyral.activity")


async def test_worker_logs_are_silent_until_enabled(
    harness: Any, client: Any, task_queue: str
) -> None:
    messages: list[Any] = []
    sink = logger.add(messages.append, level="DEBUG", format="{message}")
    try:
        await run_failing(harness, client, f"{task_queue}-silent")
        assert messages == []
        logger.enable("tempyral")
        try:
            await run_failing(harness, client, task_queue)
        finally:
            logger.disable("tempyral")
    finally:
        logger.remove(sink)
    [failed] = [m for m in messages if "Completing activity as failed" in m]
    assert "activity_id=logging-activity" in failed
    assert "activity_type=logs_and_fails" in failed
    assert "attempt=1" in failed
    assert "workflow_id=RunActivity-" in failed
    assert "RuntimeError: this attempt fails" in failed  # the traceback is attached
    extra = failed.record["extra"]["temporal_activity"]
    assert extra["activity_type"] == "logs_and_fails"
