"""ActivityEnvironment runs activity code with the activity context, as the official one does."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from typing import Any

import pytest

from tempyral import activity
from tempyral.common import MetricMeter
from tempyral.converter import DataConverter
from tempyral.exceptions import CancelledError
from tempyral.testing import ActivityEnvironment


def test_sync_activity_sees_overridden_info_and_heartbeats() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_id="act-7", attempt=3)
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    def work(name: str) -> str:
        activity.heartbeat("halfway", 50)
        info = activity.info()
        return f"{name}:{info.activity_id}:{info.attempt}:{activity.in_activity()}"

    assert env.run(work, "sync") == "sync:act-7:3:True"
    assert beats == [("halfway", 50)]
    assert not activity.in_activity()


async def test_async_activity_runs_awaited_with_the_context() -> None:
    env = ActivityEnvironment()

    async def work(x: int) -> tuple[int, str]:
        await asyncio.sleep(0)
        return x * 2, activity.info().workflow_id or ""

    assert await env.run(work, 21) == (42, "test")


async def test_cancel_from_heartbeat_cancels_async_activity_with_details() -> None:
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: env.cancel(
        activity.ActivityCancellationDetails(paused=True)
    )
    seen: list[activity.ActivityCancellationDetails | None] = []

    async def work() -> None:
        activity.heartbeat()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append(activity.cancellation_details())
            assert activity.is_cancelled()
            raise

    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await env.run(work)
    assert time.monotonic() - started < 5
    assert seen == [activity.ActivityCancellationDetails(paused=True)]


def test_cancel_raises_cancelled_error_in_a_sync_activity_thread() -> None:
    env = ActivityEnvironment()
    waiting = threading.Event()

    def work() -> str:
        waiting.set()
        for _ in range(500):  # a pure-Python loop: the raised exception lands between bytecodes
            time.sleep(0.01)
        return "not cancelled"

    canceller = threading.Thread(target=lambda: (waiting.wait(5), env.cancel()))
    canceller.start()
    with pytest.raises(CancelledError):
        env.run(work)
    canceller.join()


def test_sync_activity_that_opts_out_only_sees_the_flag() -> None:
    env = ActivityEnvironment()

    @activity.defn(no_thread_cancel_exception=True)
    def work() -> bool:
        env.cancel()
        time.sleep(0.05)
        return activity.is_cancelled()

    assert env.run(work) is True


def test_cancel_before_run_and_only_first_details_count() -> None:
    env = ActivityEnvironment()
    env.cancel(activity.ActivityCancellationDetails(timed_out=True))
    env.cancel(activity.ActivityCancellationDetails(reset=True))

    def work() -> activity.ActivityCancellationDetails | None:
        assert activity.is_cancelled()
        return activity.cancellation_details()

    assert env.run(work) == activity.ActivityCancellationDetails(timed_out=True)


async def test_worker_shutdown_reaches_a_running_async_activity() -> None:
    env = ActivityEnvironment()

    async def work() -> str:
        asyncio.get_running_loop().call_later(0.01, env.worker_shutdown)
        await asyncio.wait_for(activity.wait_for_worker_shutdown(), 5)
        return "shut down" if activity.is_worker_shutdown() else "running"

    assert await env.run(work) == "shut down"


async def test_client_only_in_async_activities() -> None:
    client: Any = object()  # any object stands for the client: the environment only hands it on
    env = ActivityEnvironment(client=client)

    async def async_work() -> object:
        return activity.client()

    def sync_work() -> object:
        return activity.client()

    assert await env.run(async_work) is client
    with pytest.raises(RuntimeError, match="only available in `async def` activities"):
        env.run(sync_work)


def test_payload_converter_and_metric_meter_are_the_environments() -> None:
    env = ActivityEnvironment()
    converter = DataConverter.default.payload_converter
    env.payload_converter = converter

    def work() -> tuple[object, MetricMeter]:
        return activity.payload_converter(), activity.metric_meter()

    got_converter, meter = env.run(work)
    assert got_converter is converter
    meter.create_counter("calls").add(1)  # the default no-op meter accepts metrics


def test_default_info_is_a_fresh_copy() -> None:
    info = ActivityEnvironment.default_info()
    assert (info.activity_id, info.task_queue, info.namespace) == ("test", "test", "default")
    assert ActivityEnvironment.default_info() is not info
