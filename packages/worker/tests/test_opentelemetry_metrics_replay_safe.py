"""``ReplaySafeMeterProvider`` and ``ReplaySafeLoggerProvider`` used from workflow code.

The workflow records on OpenTelemetry instruments and emits a log record, then runs three
activities; the worker caches nothing, so each later task replays the run from the start. A
replay-safe meter and logger record once per run; the same counter made on the wrapped (plain)
provider counts the replays too, which proves they happened. A query runs on a replayed run yet
is live, so what it records is kept; a ``Replayer`` replaying the history records nothing. The
official SDK runs the same scenario (``scripts/official_replay_safe.py``, its own process) and
must record the same values and log records.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import opentelemetry._logs
import opentelemetry.metrics
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.contrib.opentelemetry import ReplaySafeLoggerProvider, ReplaySafeMeterProvider
from tempyral.worker import Replayer, Worker

pytestmark = pytest.mark.integration

OFFICIAL = Path(__file__).parent / "scripts" / "official_replay_safe.py"

READER = InMemoryMetricReader()
PLAIN_METERS = MeterProvider(metric_readers=[READER])
LOG_EXPORTER = InMemoryLogRecordExporter()
PLAIN_LOGGERS = LoggerProvider()
PLAIN_LOGGERS.add_log_record_processor(SimpleLogRecordProcessor(LOG_EXPORTER))


@dataclass
class Telemetry:
    reader: InMemoryMetricReader
    logs: InMemoryLogRecordExporter

    def points(self) -> dict[str, float]:
        """Each metric's value: a counter's sum, a histogram's count, a gauge's last value."""
        values: dict[str, float] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        count = getattr(point, "count", None)
                        value = count if count is not None else getattr(point, "value", 0)
                        values[metric.name] = values.get(metric.name, 0) + value
        return values

    def log_bodies(self) -> list[str]:
        return sorted(str(data.log_record.body) for data in self.logs.get_finished_logs())


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """The global replay-safe providers (each can be set once per process) and what they got."""
    if not isinstance(opentelemetry.metrics.get_meter_provider(), ReplaySafeMeterProvider):
        opentelemetry.metrics.set_meter_provider(ReplaySafeMeterProvider(PLAIN_METERS))
    if not isinstance(opentelemetry._logs.get_logger_provider(), ReplaySafeLoggerProvider):
        opentelemetry._logs.set_logger_provider(ReplaySafeLoggerProvider(PLAIN_LOGGERS))
    assert isinstance(opentelemetry.metrics.get_meter_provider(), ReplaySafeMeterProvider), (
        "another test set a global meter provider first"
    )
    assert isinstance(opentelemetry._logs.get_logger_provider(), ReplaySafeLoggerProvider), (
        "another test set a global logger provider first"
    )
    READER.get_metrics_data()  # the reader's cumulative totals carry on: start from a reading
    LOG_EXPORTER.clear()
    yield Telemetry(READER, LOG_EXPORTER)
    LOG_EXPORTER.clear()


@activity.defn
async def tick() -> None:
    return None


@workflow.defn
class RecordsOnce:
    @workflow.run
    async def run(self, run_id: str) -> None:
        meter = opentelemetry.metrics.get_meter("replay-safe-test")
        attributes = {"run": run_id}
        meter.create_counter(f"runs_{run_id}").add(1, attributes)
        meter.create_up_down_counter(f"open_{run_id}").add(1, attributes)
        meter.create_histogram(f"sizes_{run_id}").record(7, attributes)
        meter.create_gauge(f"level_{run_id}").set(3, attributes)
        # The plain SDK reads the clock to record: the replay-safe meter lifts the guard itself.
        with workflow.unsafe.sandbox_unrestricted():
            PLAIN_METERS.get_meter("plain").create_counter(f"plain_runs_{run_id}").add(1)
        logger = opentelemetry._logs.get_logger("replay-safe-test")
        if logger.enabled():
            logger.emit(body=f"started {run_id}")
        for _ in range(3):
            await workflow.execute_activity(tick, start_to_close_timeout=timedelta(seconds=10))

    @workflow.query
    def looked_at(self, run_id: str) -> str:
        opentelemetry.metrics.get_meter("replay-safe-test").create_counter(f"queries_{run_id}").add(
            1
        )
        opentelemetry._logs.get_logger("replay-safe-test").emit(body=f"queried {run_id}")
        return "seen"


async def run_official(target: str) -> tuple[dict[str, float], list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(OFFICIAL),
        "--target",
        target,
        "--queue",
        f"replay-safe-official-{uuid.uuid4()}",
        "--id",
        f"replay-safe-official-{uuid.uuid4()}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    output = out.decode()
    assert process.returncode == 0, output
    lines = dict(line.split(" ", 1) for line in output.splitlines() if " " in line)
    assert "POINTS" in lines, output
    assert "LOGS" in lines, output
    return json.loads(lines["POINTS"]), json.loads(lines["LOGS"])


async def test_workflow_code_records_metrics_and_logs_once_per_run_not_on_replay(
    tempyral_target: str, telemetry: Telemetry
) -> None:
    official_run = asyncio.ensure_future(run_official(tempyral_target))
    client = await Client.connect(tempyral_target)
    queue = f"replay-safe-{uuid.uuid4()}"
    run_id = uuid.uuid4().hex[:8]
    async with Worker(
        client,
        task_queue=queue,
        workflows=[RecordsOnce],
        activities=[tick],
        max_cached_workflows=0,
    ):
        handle = await client.start_workflow(
            RecordsOnce.run,
            run_id,
            id=f"replay-safe-{run_id}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=60),  # a failing task retries until then
        )
        await handle.result()
        assert await handle.query(RecordsOnce.looked_at, run_id) == "seen"

    points = telemetry.points()
    assert points[f"plain_runs_{run_id}"] >= 4  # the premise: the run's code ran on 3 replays
    assert points[f"runs_{run_id}"] == 1
    assert points[f"open_{run_id}"] == 1
    assert points[f"sizes_{run_id}"] == 1  # one histogram recording
    assert points[f"level_{run_id}"] == 3
    assert points[f"queries_{run_id}"] == 1  # live, though the query's run was replayed
    assert telemetry.log_bodies() == [f"queried {run_id}", f"started {run_id}"]

    await Replayer(workflows=[RecordsOnce]).replay_workflow(await handle.fetch_history())
    replayed = telemetry.points()
    assert replayed[f"plain_runs_{run_id}"] == points[f"plain_runs_{run_id}"] + 1
    assert replayed[f"runs_{run_id}"] == 1
    assert replayed[f"sizes_{run_id}"] == 1
    assert telemetry.log_bodies() == [f"queried {run_id}", f"started {run_id}"]

    official_points, official_logs = await official_run
    names = ["runs", "open", "sizes", "level", "queries"]
    assert {name: replayed[f"{name}_{run_id}"] for name in names} == official_points
    assert [body.split(" ")[0] for body in telemetry.log_bodies()] == official_logs


def test_outside_workflows_everything_is_recorded(telemetry: Telemetry) -> None:
    name = f"outside_{uuid.uuid4().hex[:8]}"
    opentelemetry.metrics.get_meter("replay-safe-test").create_counter(name).add(2)
    logger = opentelemetry._logs.get_logger("replay-safe-test")
    assert logger.enabled()
    logger.emit(body=name)
    assert telemetry.points()[name] == 2
    assert telemetry.log_bodies() == [name]
