"""The worker's building blocks on their own, without a server: heartbeat throttling, slots,
the rate limiter, the poller's shutdown, raising in an activity's thread, and the versioning
fields sent to servers with and without support for them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    PollActivityTaskQueueRequest,
    RespondActivityTaskCompletedRequest,
)
from tempyral.common import WorkerDeploymentVersion
from tempyral.exceptions import CancelledError
from tempyral.worker._heartbeat import HeartbeatThrottler, throttle_interval
from tempyral.worker._poller import TaskPoller
from tempyral.worker._slots import RateLimiter, SlotPermit, SlotSupplier
from tempyral.worker._thread_cancel import ThreadExceptionRaiser, async_exceptions_supported
from tempyral.worker._versioning import (
    VersioningStrategy,
    WorkerDeploymentConfig,
    check_server_support,
)


def payloads(value: str) -> list[Payload]:
    return [Payload(data=value.encode())]


def test_throttle_interval_rules() -> None:
    default, maximum = timedelta(seconds=30), timedelta(seconds=60)
    assert throttle_interval(timedelta(seconds=10), default=default, maximum=maximum) == 8.0
    assert throttle_interval(None, default=default, maximum=maximum) == 30.0
    # Servers send "no heartbeat timeout" as zero.
    assert throttle_interval(timedelta(0), default=default, maximum=maximum) == 30.0
    assert throttle_interval(timedelta(minutes=5), default=default, maximum=maximum) == 60.0


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, list[bytes]]] = []
        self.errors: list[Exception] = []
        self.started = time.monotonic()

    async def encode(self, items: list[Payload]) -> list[Payload]:
        if any(p.data == b"bad" for p in items):
            raise ValueError("cannot encode")
        return items

    async def send(self, items: list[Payload]) -> None:
        self.sent.append((time.monotonic() - self.started, [p.data for p in items]))

    def throttler(self, interval: float) -> HeartbeatThrottler:
        return HeartbeatThrottler(
            interval=interval,
            encode=self.encode,
            send=self.send,
            on_error=self.errors.append,
            on_sent=lambda: None,
        )


async def next_send(recorder: Recorder, count: int) -> tuple[float, list[bytes]]:
    """The ``count``-th heartbeat sent (1-based), waiting for it; generous for loaded machines."""
    for _ in range(1000):
        if len(recorder.sent) >= count:
            return recorder.sent[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"heartbeat {count} was never sent: {recorder.sent}")


async def test_throttler_sends_first_at_once_then_latest_per_interval() -> None:
    recorder = Recorder()
    interval = 1.0
    throttler = recorder.throttler(interval)
    throttler.record(payloads("1"))
    first_at, first = await next_send(recorder, 1)
    assert first == [b"1"]
    # Recorded during the interval: only the latest goes, once the interval has passed.
    throttler.record(payloads("2"))
    throttler.record(payloads("3"))
    second_at, second = await next_send(recorder, 2)
    assert second == [b"3"]
    assert second_at - first_at >= interval * 0.95
    # After an interval with nothing pending the activity is forgotten: the next one goes at
    # once, not at the end of another interval.
    await asyncio.sleep(interval * 1.2)
    recorded_at = time.monotonic() - recorder.started
    throttler.record(payloads("4"))
    third_at, third = await next_send(recorder, 3)
    assert third == [b"4"]
    # Held back, it would go a whole interval after it was recorded; at once, it goes well
    # before that. (Half an interval was the bound before: a window a loaded machine can miss.)
    assert third_at - recorded_at < interval * 0.9
    assert len(recorder.sent) == 3
    await throttler.close(flush=False)


@pytest.mark.parametrize("flush", [True, False])
async def test_throttler_close_flushes_pending_details_on_request(flush: bool) -> None:
    recorder = Recorder()
    throttler = recorder.throttler(10.0)
    throttler.record(payloads("first"))
    await asyncio.sleep(0.05)
    throttler.record(payloads("last"))
    began = time.monotonic()
    await throttler.close(flush=flush)
    assert time.monotonic() - began < 1  # the 10 s interval is cut short
    expected = [[b"first"], [b"last"]] if flush else [[b"first"]]
    assert [data for _, data in recorder.sent] == expected
    throttler.record(payloads("after close"))
    await asyncio.sleep(0.05)
    assert [data for _, data in recorder.sent] == expected


async def test_throttler_reports_encoding_errors() -> None:
    recorder = Recorder()
    throttler = recorder.throttler(0.1)
    throttler.record(payloads("bad"))
    await asyncio.sleep(0.05)
    assert recorder.sent == []
    assert [str(e) for e in recorder.errors] == ["cannot encode"]


async def test_slots_are_first_come_first_served() -> None:
    slots = SlotSupplier("activity", 2)
    first, second = slots.try_reserve(), slots.try_reserve()
    assert isinstance(first, SlotPermit)
    assert isinstance(second, SlotPermit)
    assert slots.try_reserve() is None
    waiter = asyncio.create_task(slots.reserve())
    await asyncio.sleep(0)
    assert not waiter.done()
    first.release()
    first.release()  # a second release does nothing
    third = await asyncio.wait_for(waiter, 1)
    assert slots.in_use == 2
    # A waiter cancelled as it is handed a slot passes it on.
    cancelled = asyncio.create_task(slots.reserve())
    await asyncio.sleep(0)
    cancelled.cancel()
    second.release()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert slots.in_use == 1
    third.release()
    assert slots.in_use == 0
    with pytest.raises(ValueError, match="at least 1"):
        SlotSupplier("activity", 0)


def test_rate_limiter_spaces_turns() -> None:
    now = [100.0]
    limiter = RateLimiter(4, clock=lambda: now[0])
    assert limiter.delay() == 0
    assert limiter.delay() == pytest.approx(0.25)
    assert limiter.delay() == pytest.approx(0.5)
    now[0] += 10  # idle: the next turn is immediate again (burst of one)
    assert limiter.delay() == 0
    assert limiter.delay() == pytest.approx(0.25)
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


async def test_poller_hands_over_tasks_and_stops_cleanly() -> None:
    slots = SlotSupplier("activity", 3)
    got: list[tuple[str, SlotPermit]] = []
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def poll() -> str:
        try:
            return await asyncio.wait_for(queue.get(), 0.2)
        except asyncio.TimeoutError:
            return ""  # the server's empty long-poll answer

    poller = TaskPoller(
        name="test",
        count=2,
        slots=slots,
        poll=poll,
        has_task=bool,
        on_task=lambda task, permit: got.append((task, permit)),
    )
    running = asyncio.create_task(poller.run())
    for task in ("a", "b", "c"):
        queue.put_nowait(task)
    for _ in range(100):
        if len(got) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(task for task, _ in got) == ["a", "b", "c"]
    assert slots.in_use == 3  # each task keeps its slot until released
    for _, permit in got:
        permit.release()
    await asyncio.sleep(0.05)
    poller.initiate_shutdown()
    await asyncio.wait_for(running, 2)
    assert slots.in_use == 0
    assert poller.polls_in_flight == 0


async def test_poller_raises_a_fatal_poll_error() -> None:
    async def poll() -> str:
        raise PermissionError("denied")

    poller = TaskPoller(
        name="test",
        count=3,
        slots=SlotSupplier("activity", 3),
        poll=poll,
        has_task=bool,
        on_task=lambda task, permit: None,
    )
    with pytest.raises(PermissionError, match="denied"):
        await asyncio.wait_for(poller.run(), 2)


@pytest.mark.skipif(not async_exceptions_supported(), reason="needs PyThreadState_SetAsyncExc")
def test_thread_raiser_interrupts_python_code_and_honours_shields() -> None:
    raiser = ThreadExceptionRaiser()
    outcome: dict[str, Any] = {}
    inside = threading.Event()

    def work() -> None:
        try:
            with raiser.active_thread():
                with raiser.shielded():
                    inside.set()
                    deadline = time.monotonic() + 0.3
                    while time.monotonic() < deadline:
                        pass  # busy Python code: interruptible, but shielded
                    outcome["shield_done"] = True
                while True:
                    time.sleep(0.01)
        except CancelledError:
            outcome["cancelled"] = True

    thread = threading.Thread(target=work)
    thread.start()
    assert inside.wait(5)
    raiser.raise_in_thread(CancelledError)
    thread.join(5)
    assert not thread.is_alive()
    assert outcome == {"shield_done": True, "cancelled": True}
    # Outside active_thread there is no thread to raise in: nothing happens.
    raiser.raise_in_thread(CancelledError)


TRACE_AFTER_RAISE = """
import sys, threading, time
from tempyral.exceptions import CancelledError
from tempyral.worker._thread_cancel import ThreadExceptionRaiser

raiser = ThreadExceptionRaiser()
inside = threading.Event()

def work():
    try:
        with raiser.active_thread():
            inside.set()
            while True:
                time.sleep(0.01)
    except CancelledError:
        pass

thread = threading.Thread(target=work)
thread.start()
inside.wait(5)
raiser.raise_in_thread(CancelledError)
thread.join(5)
calls = []
sys.settrace(lambda frame, event, arg: calls.append(event))
sum(i for i in range(10))
sys.settrace(None)
print("traced", len(calls))
"""


@pytest.mark.skipif(not async_exceptions_supported(), reason="needs PyThreadState_SetAsyncExc")
def test_tracing_works_after_a_thread_was_interrupted() -> None:
    """Coverage and debuggers trace threads: an interruption must not leave the interpreter in a
    state where tracing hangs (as clearing an async exception does on CPython 3.11)."""
    done = subprocess.run(
        [sys.executable, "-c", TRACE_AFTER_RAISE],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("traced ")


def test_versioning_fields_follow_the_server_capabilities() -> None:
    strategy = VersioningStrategy(build_id="b-1")
    check_server_support(strategy, server_version="1.20.0", build_id_capable=False)
    request = PollActivityTaskQueueRequest()
    strategy.apply_to_poll(request)
    assert not request.HasField("worker_version_capabilities")
    assert not request.HasField("deployment_options")

    check_server_support(strategy, server_version="1.32.0", build_id_capable=True)
    strategy.apply_to_poll(request)
    assert request.worker_version_capabilities.build_id == "b-1"
    assert not request.worker_version_capabilities.use_versioning


def test_versioning_the_server_cannot_do_is_refused() -> None:
    legacy = VersioningStrategy(build_id="b-1", use_build_id_versioning=True)
    with pytest.raises(RuntimeError, match="use_worker_versioning=True needs build-ID-based"):
        check_server_support(legacy, server_version="1.18.0", build_id_capable=False)
    version = WorkerDeploymentVersion("deploy", "b-2")
    versioned = VersioningStrategy(
        build_id="b-2", deployment=WorkerDeploymentConfig(version, use_worker_versioning=True)
    )
    with pytest.raises(RuntimeError, match=r"needs Temporal Server 1\.29\.1 or newer"):
        check_server_support(versioned, server_version="1.27.2", build_id_capable=True)
    check_server_support(versioned, server_version="1.29.1", build_id_capable=True)
    # Unversioned deployment options are only information: any server takes them.
    unversioned = VersioningStrategy(
        build_id="b-2", deployment=WorkerDeploymentConfig(version, use_worker_versioning=False)
    )
    check_server_support(unversioned, server_version="1.20.0", build_id_capable=False)
    request = RespondActivityTaskCompletedRequest()
    unversioned.apply_to_response(request)
    assert request.deployment_options.deployment_name == "deploy"
    assert not request.HasField("worker_version")
