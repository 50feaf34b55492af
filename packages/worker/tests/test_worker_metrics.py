"""Worker metrics in-process, through a MetricBuffer: what replays must not repeat.

A worker that caches nothing (``max_cached_workflows=0``) replays each run from its history on
every task; the workflow's custom counter still counts once per run, and the run is counted
completed once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.runtime import MetricBuffer, Runtime, TelemetryConfig
from tempyral.worker import Worker


@activity.defn
async def ping() -> str:
    return "pong"


@workflow.defn
class CountsOnce:
    @workflow.run
    async def run(self) -> None:
        workflow.metric_meter().create_counter("runs_counted").add(1)
        for _ in range(3):  # three more tasks, each replaying the counter's line
            await workflow.execute_activity(ping, start_to_close_timeout=timedelta(seconds=10))


async def test_replays_do_not_repeat_custom_workflow_metrics(tempyral_target: str) -> None:
    buffer = MetricBuffer(100_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    client = await Client.connect(tempyral_target, runtime=runtime)
    task_queue = f"metrics-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CountsOnce],
        activities=[ping],
        max_cached_workflows=0,
    ):
        for _ in range(2):
            await client.execute_workflow(
                CountsOnce.run, id=f"counts-{uuid.uuid4()}", task_queue=task_queue
            )
    totals: Counter[str] = Counter()
    for update in buffer.retrieve_updates():
        if update.metric.name in ("runs_counted", "temporal_workflow_completed"):
            assert update.attributes["workflow_type"] == "CountsOnce"
            totals[update.metric.name] += int(update.value)
        if update.metric.name == "temporal_workflow_task_replay_latency":
            totals["replayed tasks"] += 1
    assert totals["replayed tasks"] >= 6  # the premise: tasks after the first did replay
    assert totals["runs_counted"] == 2
    assert totals["temporal_workflow_completed"] == 2


async def test_slot_gauges_follow_each_slot_taken_and_given_back(tempyral_target: str) -> None:
    buffer = MetricBuffer(100_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    client = await Client.connect(tempyral_target, runtime=runtime)
    task_queue = f"slots-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CountsOnce],
        activities=[ping],
        max_concurrent_activities=5,
        max_concurrent_workflow_tasks=4,
    ):
        await client.execute_workflow(
            CountsOnce.run, id=f"slots-{uuid.uuid4()}", task_queue=task_queue
        )
    used: dict[str, list[int]] = {}
    available: dict[str, list[int]] = {}
    for update in buffer.retrieve_updates():
        name = update.metric.name
        if name not in ("temporal_worker_task_slots_used", "temporal_worker_task_slots_available"):
            continue
        attributes = update.attributes
        assert (attributes["namespace"], attributes["task_queue"]) == ("default", task_queue)
        target = used if name.endswith("used") else available
        target.setdefault(str(attributes["worker_type"]), []).append(int(update.value))
    for worker_type, size in (("WorkflowWorker", 4), ("ActivityWorker", 5)):
        assert 1 in used[worker_type]  # a task held a slot
        assert used[worker_type][-1] == 0  # and gave it back
        assert available[worker_type][-1] == size
        assert min(available[worker_type]) < size


def test_worker_metrics_keep_each_label_set_apart_and_label_what_was_passed() -> None:
    # Records with labels go through instruments bound per label set: equal-comparing values of
    # other types (1 and True) must not share one, and a caller's dict changed afterwards must
    # not change what was recorded.
    from tempyral.worker._metrics import WorkerMetrics

    buffer = MetricBuffer(100)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False))
    meter = runtime.metric_meter.with_additional_attributes({"task_queue": "q"})
    metrics = WorkerMetrics(meter, "temporal_")
    labels: dict[str, str | int | bool] = {"workflow_type": "A"}
    metrics.count("workflow_completed", labels)
    labels["workflow_type"] = "B"
    metrics.count("workflow_completed", labels)
    metrics.count("workflow_completed", {"workflow_type": "A"})
    metrics.count("workflow_completed", {"flag": 1})
    metrics.count("workflow_completed", {"flag": True})
    metrics.duration("workflow_endtoend_latency", 0.25, {"workflow_type": "A"})
    metrics.gauge("num_pollers", 2, {"poller_type": "activity_task"})
    updates = [(u.metric.name, u.value, dict(u.attributes)) for u in buffer.retrieve_updates()]
    assert updates == [
        ("temporal_workflow_completed", 1, {"task_queue": "q", "workflow_type": "A"}),
        ("temporal_workflow_completed", 1, {"task_queue": "q", "workflow_type": "B"}),
        ("temporal_workflow_completed", 1, {"task_queue": "q", "workflow_type": "A"}),
        ("temporal_workflow_completed", 1, {"task_queue": "q", "flag": 1}),
        ("temporal_workflow_completed", 1, {"task_queue": "q", "flag": True}),
        ("temporal_workflow_endtoend_latency", 250, {"task_queue": "q", "workflow_type": "A"}),
        ("temporal_num_pollers", 2, {"task_queue": "q", "poller_type": "activity_task"}),
    ]
    assert type(updates[4][2]["flag"]) is bool


async def test_prometheus_reads_slot_gauges_at_scrape_and_lets_go_of_a_stopped_workers_pools(
    tempyral_target: str,
) -> None:
    import gc
    import socket
    import urllib.request
    import weakref

    from tempyral.runtime import PrometheusConfig

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = PrometheusConfig(bind_address=f"127.0.0.1:{port}")
    runtime = Runtime(telemetry=TelemetryConfig(metrics=config, attach_service_name=False))

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text: str = response.read().decode()
            return text

    try:
        client = await Client.connect(tempyral_target, runtime=runtime)
        task_queue = f"slots-{uuid.uuid4()}"
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[CountsOnce],
            activities=[ping],
            max_concurrent_activities=50,
        )
        labels = f'namespace="default",task_queue="{task_queue}",worker_type="ActivityWorker"'
        used = f"temporal_worker_task_slots_used{{{labels}}}"
        available = f"temporal_worker_task_slots_available{{{labels}}}"

        def values() -> tuple[int, int]:
            samples = [line.rsplit(" ", 1) for line in scrape().splitlines()]
            found = {sample[0]: sample[1] for sample in samples if sample[0] in (used, available)}
            return int(found[used]), int(found[available])

        async with worker:
            await client.execute_workflow(
                CountsOnce.run, id=f"slots-{uuid.uuid4()}", task_queue=task_queue
            )
            pool = worker._slots.activity
            idle = pool.in_use  # the pollers' slots, held while they wait
            assert await asyncio.to_thread(values) == (idle, 50 - idle)
            permit = pool.try_reserve()
            assert permit is not None
            assert await asyncio.to_thread(values) == (idle + 1, 49 - idle)
        # Shut down (the pollers' slots given back, the permit still held): the values read
        # last stay exposed...
        assert await asyncio.to_thread(values) == (1, 49)
        # ...and the exporter keeps no reference to the stopped worker's pools.
        gone = weakref.ref(pool)
        del worker, pool, permit  # a permit knows its pool
        gc.collect()
        assert gone() is None
    finally:
        runtime.close()
